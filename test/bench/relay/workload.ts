import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { LogLevel } from "../../../src/relay/logger";

/** The workload the issue names; every system under test gets exactly this. */
export const PAIRS = 100;
/** 1 KiB of "ciphertext", base64url as in a Parley envelope (1,366 characters). */
export const PAYLOAD_BYTES = 1024;
/** Sends each sender keeps in flight at saturation, awaiting the server's send acknowledgement. */
export const WINDOW = 32;
/** Total sends per second across all pairs in the latency run. */
export const PACED_RATE = 2_000;
export const IDLE_CONNECTIONS = 10_000;

/** The systems under test. */
export type ServerKind = "ws" | "sio" | "parley";
export type ClientKind = ServerKind;

export type ServerConfig = {
  readonly kind: ServerKind;
  readonly redisUrl?: string;
  /** Parley's log level; main.ts defaults to info. */
  readonly logLevel?: LogLevel;
};

/** Limits generous enough that the benchmark measures the relay's work, not its refusals; stated in the output. */
export const BENCH_LIMITS = {
  maxConnectionsPerIp: 1_000_000,
  rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
  addressRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
} as const;

/**
 * Message ids carry their send time, so latency is measured at the receiver
 * without a lookup: 16 bytes (a Parley message id) = float64 send time
 * (performance.now() of the generator process, which holds both ends of a
 * pair), sender index, sequence number.
 */
export function messageId(sender: number, seq: number, sentAt: number): string {
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeDoubleLE(sentAt, 0);
  bytes.writeUInt32LE(sender, 8);
  bytes.writeUInt32LE(seq >>> 0, 12);
  return bytes.toString("base64url");
}

export function sentAtOf(id: string): number {
  return Buffer.from(id, "base64url").readDoubleLE(0);
}

export type ProcessCpu = { readonly pid: number; readonly ms: number };

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const answer = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const value = Number(answer.stdout.trim());
    ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU time of a process (all its threads) so far, in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** The resident set of a process in bytes, from /proc/<pid>/status. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Machine-wide CPU time so far, busy and total, in ms (all cores). */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const scale = 1000 / clockTicks();
  return { busy: (total - idle) * scale, total: total * scale };
}

export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
