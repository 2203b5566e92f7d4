/**
 * `npm run bench:relay`: Parley's relay against its baselines, on one
 * workload, in one run. 100 sender/receiver pairs exchange 1 KiB envelopes
 * through:
 *   - a minimal raw `ws` forwarder (the physical baseline),
 *   - plain Socket.io forwarding to a room (what excalidraw-room does),
 *   - Parley's relay in embedded mode (startServer, real Ed25519 auth),
 *   - two plain Socket.io instances with the Redis adapter, and two Parley
 *     instances on Redis (senders on instance A, receivers on B),
 * plus diagnostic variants that explain the results. Each server runs in its
 * own process, the load generator in another. Reported: saturation
 * throughput, p50/p99 latency at a fixed 2,000 msg/s, RSS per idle
 * (authenticated) connection at 10,000 connections and server CPU per
 * message, each as a ratio to its baseline; the goals; and, from CPU
 * profiles of the Parley servers taken in the same run, where their time goes.
 *
 * Flags: --quick (short windows, 2,000 idle connections), --idle=N,
 * --generators=N (load generator processes, default 1), --only=key,key (see
 * relay/systems.ts), --no-profile, --profile-dir=DIR (keep the .cpuprofile
 * files, for Chrome DevTools).
 */
import { ACK_DELAY_MS } from "../../src/protocol/limits";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { killAll, liveChildren } from "./relay/ipc";
import { progress, runSystem, type Result, type Settings } from "./relay/measure";
import { startBenchRedis } from "./relay/redis";
import { goals, printAnalysis, printTables } from "./relay/report";
import { SYSTEMS } from "./relay/systems";
import { measureValidation } from "./relay/validation";
import { BENCH_LIMITS, IDLE_CONNECTIONS, PACED_RATE, PAIRS, PAYLOAD_BYTES, WINDOW } from "./relay/workload";

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined =>
  args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
const quick = flag("--quick");
const keepProfilesIn = option("--profile-dir");
const only = option("--only")?.split(",");

const settings: Settings = {
  warmupMs: quick ? 500 : 750,
  pacedWarmupMs: quick ? 2_000 : 3_000,
  windowMs: quick ? 1_500 : 3_000,
  pacedWindowMs: quick ? 1_500 : 10_000,
  drainMs: 10_000,
  idleConnections: Math.max(100, Number(option("--idle") ?? (quick ? 2_000 : IDLE_CONNECTIONS))),
  idleWarmConnections: 200,
  idleHolders: 2,
  heapConnections: 2_000,
  generators: Math.max(1, Number(option("--generators") ?? 1)),
  profiling: !flag("--no-profile"),
  profileDir: keepProfilesIn ?? mkdtempSync(path.join(os.tmpdir(), "parley-bench-profiles-")),
  profileIntervalUs: 250,
  quietPct: 25,
  attempts: 2,
  repeats: { left: 4 },
};

function header(): void {
  const cpus = os.cpus();
  const say = (text: string): void => console.log(text);
  const openFiles = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim();
  say(
    `Relay benchmark: ${PAIRS} sender/receiver pairs, ${PAYLOAD_BYTES}-byte envelopes (base64url ciphertext); ` +
      `node ${process.version}; ${cpus.length} × ${cpus[0]?.model.trim() ?? "?"}; ulimit -n ${openFiles}`,
  );
  say(
    `- ${cpus.length} cores for everything: the servers, the load generator and redis-server compete for them, so a ` +
      `busy generator takes CPU from the server it measures. The tables show each one's CPU, and the CPU other ` +
      `processes on the machine used meanwhile ("other"; a window with more than ${settings.quietPct}% is run ` +
      `again, up to ${settings.repeats.left} repeats per run, and the quieter kept). Server CPU per message is the figure ` +
      `least disturbed by this.`,
  );
  say(
    `- Each server in its own process on 127.0.0.1 and a free port; ${settings.generators} load generator ` +
      `process(es) hold both ends of every pair. Saturation: each sender keeps ${WINDOW} sends awaiting the ` +
      `server's answer; ${settings.warmupMs} ms warm-up, ${settings.windowMs} ms measured; msg/s delivered to ` +
      `receivers. Latency: ${PACED_RATE} msg/s open loop, spread evenly over the pairs, send→receive at the ` +
      `receiver (one clock), on processes that have not run saturation yet (but for the after-burst diagnostic), ${settings.pacedWarmupMs} ms warm-up at that rate, ${settings.pacedWindowMs} ms measured (${((PACED_RATE * settings.pacedWindowMs) / 100_000).toLocaleString("en-US")} samples beyond the p99). Parley's receivers ack what they get as the web ` +
      `client does (what gathers within ${ACK_DELAY_MS} ms, in one \`ack\`), and its senders put what they hand over in one turn into one \`send\`, as the ` +
      `web client's outbox does; the baselines have no mailbox and nothing to ack, and send one envelope per event.`,
  );
  say(
    `- RSS: the server's VmRSS after a full GC, before and after ${settings.idleConnections.toLocaleString("en-US")} ` +
      `more idle connections (after ${settings.idleWarmConnections} warm-up ones), over the count; Parley's are ` +
      `authenticated (challenge, Ed25519 signature). KB = 1,024 bytes.`,
  );
  say(
    `- Parley runs as main.ts runs it (pino at info to stdout, here /dev/null; metrics on), with limits raised so ` +
      `the benchmark measures work, not refusals: maxConnectionsPerIp ${BENCH_LIMITS.maxConnectionsPerIp}, ` +
      `rateLimit and addressRateLimit ${BENCH_LIMITS.rateLimit.perSecond}/s with that burst (defaults: 20 ` +
      `connections per IP, 50 events/s per socket, 100 sends/s per address). redis-server runs as in ` +
      `infrastructure/compose.yaml (append-only file, fsync every second).`,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  header();
  mkdirSync(settings.profileDir, { recursive: true });
  const results = new Map<string, Result>();
  const redis = await startBenchRedis();
  try {
    for (const system of SYSTEMS) {
      const missed = new Set(goals(results).flatMap((goal) => (goal.met === false ? [goal.key] : [])));
      const wanted =
        only === undefined
          ? system.when === undefined || system.when.some((goal) => missed.has(goal))
          : only.includes(system.key);
      if (wanted) results.set(system.key, await runSystem(settings, system, redis));
    }
  } finally {
    redis.dispose();
    if (keepProfilesIn === undefined) rmSync(settings.profileDir, { recursive: true, force: true });
  }
  progress("validateEnvelope in this process");
  const validation = measureValidation();
  printTables(results, settings.idleConnections);
  printAnalysis(results, validation, settings.quietPct);
  if (keepProfilesIn !== undefined)
    console.log(`\nCPU profiles kept in ${keepProfilesIn} (Chrome DevTools opens them).`);
  console.log(`\nTotal time ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

const abort = (signal: string): void => {
  console.error(`bench: ${signal}; stopping ${liveChildren().size} child processes`);
  killAll();
  process.exit(1);
};
process.on("SIGINT", () => abort("SIGINT"));
process.on("SIGTERM", () => abort("SIGTERM"));

try {
  await main();
} catch (error) {
  console.error("bench: failed:", error);
  process.exitCode = 1;
} finally {
  // Whatever happened, no server, generator or redis-server outlives the run.
  killAll();
}
