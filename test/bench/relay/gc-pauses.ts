import { PerformanceObserver, constants } from "node:perf_hooks";

/**
 * Garbage collection pauses on a server's main thread, as Node reports them
 * (`gc` performance entries): while one runs, no socket of that process is
 * served, so a send arriving meanwhile waits for it. The latency report sets
 * them beside the p99.
 */
export type GcPauses = {
  /** Scavenges of the young generation. */
  readonly minor: PauseStats;
  /** Mark-compact collections of the whole heap (their final, stop-the-world part). */
  readonly major: PauseStats;
};

export type PauseStats = { readonly count: number; readonly totalMs: number; readonly maxMs: number };

const none = (): { count: number; totalMs: number; maxMs: number } => ({ count: 0, totalMs: 0, maxMs: 0 });

/** Starts recording; `take()` returns the pauses since the last take (or the start) and starts afresh. */
export function recordGcPauses(): { take(): GcPauses } {
  let minor = none();
  let major = none();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail: unknown = "detail" in entry ? entry.detail : undefined;
      const kind = typeof detail === "object" && detail !== null && "kind" in detail ? detail.kind : undefined;
      // Incremental marking steps and weak callbacks are left out: they are small slices, not whole pauses.
      const stats =
        kind === constants.NODE_PERFORMANCE_GC_MINOR
          ? minor
          : kind === constants.NODE_PERFORMANCE_GC_MAJOR
            ? major
            : undefined;
      if (stats === undefined) continue;
      stats.count += 1;
      stats.totalMs += entry.duration;
      stats.maxMs = Math.max(stats.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    take: () => {
      const taken = { minor, major };
      minor = none();
      major = none();
      return taken;
    },
  };
}
