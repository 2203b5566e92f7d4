import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort, requireRedisServer } from "../../integration/redis";
import { track } from "./ipc";

/**
 * A redis-server for the benchmark: test/integration/redis.ts's `startRedis`,
 * adapted to expose its pid (its CPU time is part of scaled mode's cost) and
 * configured as infrastructure/compose.yaml runs it in production: append-only
 * file fsynced every second, noeviction.
 */
export type BenchRedis = {
  readonly url: string;
  readonly pid: number;
  flush(): Promise<void>;
  call(command: string, ...args: string[]): Promise<unknown>;
  /** Redis's INFO as name → value. */
  info(): Promise<Map<string, string>>;
  dispose(): void;
};

export async function startBenchRedis(options: { appendOnly: boolean } = { appendOnly: true }): Promise<BenchRedis> {
  requireRedisServer();
  const dir = mkdtempSync(path.join(tmpdir(), "parley-bench-redis-"));
  const port = await freePort();
  const child = spawn(
    "redis-server",
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--protected-mode", "no"],
      ...["--appendonly", options.appendOnly ? "yes" : "no", "--appendfsync", "everysec"],
      ...["--maxmemory-policy", "noeviction"],
      // Records what made Redis stall for 1 ms or more (LATENCY LATEST), for the report.
      ...["--latency-monitor-threshold", "1"],
    ],
    { stdio: "ignore" },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("redis-server did not start");
  const untrack = track(pid, "redis-server");
  const url = `redis://127.0.0.1:${port}`;
  // Commands queue until the server answers; it is retried every 50 ms for at most 5 s.
  const client = new Redis(url, { retryStrategy: (attempt) => (attempt > 100 ? null : 50) });
  client.on("error", () => undefined);
  await client.ping();
  return {
    url,
    pid,
    flush: async () => {
      await client.flushall();
    },
    call: (command, ...args) => client.call(command, ...args),
    info: async () => {
      const text = await client.info("everything");
      return new Map(
        text
          .split("\r\n")
          .filter((line) => line.includes(":"))
          .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)] as const),
      );
    },
    dispose: () => {
      client.disconnect();
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      untrack();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
