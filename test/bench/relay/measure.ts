/**
 * The benchmark's measurements: starting the processes of a system under
 * test, driving its generators through each phase, and reading CPU and
 * memory of every process from /proc around the measured windows.
 */
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { IdleResult, PacedResult, SaturateResult, SetupParams } from "./generator-child";
import { spawnChild, type ChildHandle } from "./ipc";
import type { GcPauses } from "./gc-pauses";
import { heapGrowth, heapKinds, type HeapGrowth } from "./heap";
import { summariseProfile, type CpuProfile, type ProfileSummary } from "./profile";
import type { BenchRedis } from "./redis";
import type { System } from "./systems";
import {
  PACED_RATE,
  PAIRS,
  WINDOW,
  machineCpuMs,
  percentile,
  processCpuMs,
  processRssBytes,
  type ServerConfig,
} from "./workload";

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER_ENTRY = path.join(here, "server-child.ts");
const GENERATOR_ENTRY = path.join(here, "generator-child.ts");

export type Settings = {
  readonly warmupMs: number;
  /**
   * Warm-up of the latency run at its own rate: long enough that what is measured is the steady state at that
   * rate, not the JIT's first second (p99 of 70-120 ms, measured). The tail of a saturation run before it would
   * take far longer to settle (see `System.phases`), so the latency run comes first.
   */
  readonly pacedWarmupMs: number;
  readonly windowMs: number;
  /**
   * The latency run's window: long enough that its p99 is not one scheduling stall. On 2 cores shared by four
   * busy processes, one stall of 20-30 ms was 1% of a 3 s window and made its p99 (measured: p99 from 2.8 to
   * 11 ms in runs of the same code).
   */
  readonly pacedWindowMs: number;
  readonly drainMs: number;
  readonly idleConnections: number;
  readonly idleWarmConnections: number;
  readonly idleHolders: number;
  /** Connections opened between the two heap snapshots (smaller than idleConnections: snapshots are large). */
  readonly heapConnections: number;
  readonly generators: number;
  readonly profiling: boolean;
  readonly profileDir: string;
  readonly profileIntervalUs: number;
  /** A window during which other processes used more than this (% of one core) is run again… */
  readonly quietPct: number;
  /** …at most this many times in all; the quietest is kept… */
  readonly attempts: number;
  /** …while the run has repeats left (a machine that is busy all along would otherwise double the runtime). */
  readonly repeats: { left: number };
};

export type WindowStats = {
  readonly wallMs: number;
  /** CPU time of the servers under test during the window (both instances in scaled mode). */
  readonly serverCpuMs: number;
  readonly perServerCpuMs: readonly number[];
  readonly redisCpuMs: number;
  readonly generatorCpuMs: number;
  /** CPU used by processes outside this benchmark during the window, in % of one core. */
  readonly otherPct: number;
  /** Windows run to get one with little outside load. */
  readonly attempts: number;
  /** Each server's garbage collection pauses in the window (A, then B in scaled mode). */
  readonly gc: readonly GcPauses[];
  /** Scaled mode: what Redis reported about the window. */
  readonly redis?: RedisEvidence;
};

export type Saturation = WindowStats & {
  readonly throughput: number;
  readonly delivered: number;
  readonly refused: number;
  readonly undelivered: number;
  /** Envelopes per `send` event in the window (generators averaged). */
  readonly envelopesPerEvent: number;
};

export type Latency = WindowStats & {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** Send → the server's acknowledgement ("stored" for Parley), at the sender. */
  readonly ackP50: number;
  readonly ackP99: number;
  readonly samples: number;
  readonly achievedRate: number;
  readonly lost: number;
  readonly refused: number;
  readonly envelopesPerEvent: number;
};

export type RedisEvidence = {
  /** Writes Redis held back because the previous fsync of its append-only file had not finished. */
  readonly delayedFsyncs: number;
  readonly rewrites: number;
  readonly forks: number;
  /** LATENCY LATEST: what stalled Redis for 1 ms or more, with the worst stall. */
  readonly events: readonly { readonly event: string; readonly maxMs: number }[];
  /** INFO commandstats over the window. */
  readonly commands: readonly { readonly name: string; readonly calls: number; readonly usec: number }[];
};

export type Idle = {
  readonly connections: number;
  readonly failed: number;
  readonly openMs: number;
  readonly rssPerConnection: number;
  readonly heapPerConnection: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
};

export type HeapDiff = {
  readonly connections: number;
  /** Per connection, largest first. */
  readonly growth: readonly HeapGrowth[];
};

export type Profiled = {
  readonly saturation: Saturation;
  /** One per server process (A then B in scaled mode). */
  readonly summaries: readonly ProfileSummary[];
};

export type Result = {
  readonly system: System;
  saturation?: Saturation;
  latency?: Latency;
  idle?: Idle;
  heap?: HeapDiff;
  profile?: Profiled;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const progress = (text: string): void => {
  process.stderr.write(`  · ${text}\n`);
};

function cpuOf(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return Number.NaN;
  }
}

type Running = { readonly handle: ChildHandle; readonly url: string };

async function startServers(system: System, redis: BenchRedis): Promise<Running[]> {
  const config: ServerConfig = {
    ...system.config,
    kind: system.kind,
    ...(system.scaled ? { redisUrl: redis.url } : {}),
  };
  return Promise.all(
    Array.from({ length: system.scaled ? 2 : 1 }, async (_, i) => {
      const handle = spawnChild(`${system.key} server ${"AB"[i]}`, SERVER_ENTRY, [JSON.stringify(config)], {
        nodeFlags: ["--expose-gc"],
      });
      const { port } = await handle.next<{ port: number }>("ready", 30_000);
      return { handle, url: `http://127.0.0.1:${port}` };
    }),
  );
}

async function startGenerators(name: string, count: number): Promise<ChildHandle[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const handle = spawnChild(`${name} ${i}`, GENERATOR_ENTRY, []);
      await handle.next("ready", 30_000);
      return handle;
    }),
  );
}

type Load = {
  readonly generators: ChildHandle[];
  readonly servers: ChildHandle[];
  readonly redis: BenchRedis | undefined;
};

/**
 * CPU of the servers, Redis, the generators and the machine between the first generator's window events, and
 * the servers' garbage collection pauses in between.
 */
function meterWindow(load: Load): Promise<WindowStats> {
  const generators = load.generators.map((g) => g.pid);
  const snapshot = () => ({
    at: performance.now(),
    servers: load.servers.map((server) => cpuOf(server.pid)),
    redis: load.redis === undefined ? 0 : cpuOf(load.redis.pid),
    generators: generators.map(cpuOf),
    machine: machineCpuMs(),
  });
  const first = load.generators[0]!;
  const gcPauses = () => Promise.all(load.servers.map((server) => server.call<GcPauses>("gcPauses")));
  const start = first.next("window-start", 120_000).then(async () => {
    const at = snapshot();
    await gcPauses();
    return at;
  });
  const end = first.next("window-end", 120_000).then(snapshot);
  const gc = end.then(gcPauses);
  return Promise.all([start, end, gc]).then(([a, b, gc]): WindowStats => {
    const perServerCpuMs = b.servers.map((ms, i) => ms - a.servers[i]!);
    const wallMs = b.at - a.at;
    const serverCpuMs = perServerCpuMs.reduce((x, y) => x + y, 0);
    const redisCpuMs = b.redis - a.redis;
    const generatorCpuMs = b.generators.reduce((x, y, i) => x + y - a.generators[i]!, 0);
    const machinePct =
      ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100 * os.cpus().length;
    const oursPct = ((serverCpuMs + redisCpuMs + generatorCpuMs) / wallMs) * 100;
    return {
      wallMs,
      serverCpuMs,
      perServerCpuMs,
      redisCpuMs,
      generatorCpuMs,
      otherPct: Math.max(0, machinePct - oursPct),
      attempts: 1,
      gc,
    };
  });
}

/** Runs a measurement again while other processes on the machine took a share of its CPU; keeps the quietest. */
async function quietest<T extends WindowStats>(settings: Settings, measure: () => Promise<T>): Promise<T> {
  let best: T | undefined;
  let attempts = 0;
  while (attempts < settings.attempts) {
    attempts += 1;
    const result = await measure();
    if (best === undefined || result.otherPct < best.otherPct) best = result;
    if (result.otherPct <= settings.quietPct || settings.repeats.left <= 0) break;
    settings.repeats.left -= 1;
  }
  return { ...best!, attempts };
}

/** Wraps a window with what Redis says about it: stalls, append-only file activity, time per command. */
async function withRedis<T extends WindowStats>(redis: BenchRedis | undefined, measure: () => Promise<T>): Promise<T> {
  if (redis === undefined) return measure();
  await redis.call("LATENCY", "RESET");
  await redis.call("CONFIG", "RESETSTAT");
  const before = await redis.info();
  const result = await measure();
  const after = await redis.info();
  const delta = (name: string): number => Number(after.get(name) ?? 0) - Number(before.get(name) ?? 0);
  const latest = (await redis.call("LATENCY", "LATEST")) as [string, number, number, number][];
  const commands = [...after]
    .filter(([name]) => name.startsWith("cmdstat_"))
    .map(([name, value]) => {
      const field = (key: string): number => Number(new RegExp(`${key}=([0-9.]+)`).exec(value)?.[1] ?? 0);
      return { name: name.slice("cmdstat_".length), calls: field("calls"), usec: field("usec") };
    })
    .filter((command) => command.calls > 0)
    .sort((a, b) => b.usec - a.usec);
  return {
    ...result,
    redis: {
      delayedFsyncs: delta("aof_delayed_fsync"),
      rewrites: delta("aof_rewrites"),
      forks: delta("total_forks"),
      events: latest.map(([event, , , maxMs]) => ({ event, maxMs })),
      commands,
    },
  };
}

async function saturate(settings: Settings, load: Load): Promise<Saturation> {
  const meter = meterWindow(load);
  const params = {
    warmupMs: settings.warmupMs,
    durationMs: settings.windowMs,
    window: WINDOW,
    drainMs: settings.drainMs,
  };
  const results = await Promise.all(load.generators.map((g) => g.call<SaturateResult>("saturate", params, 120_000)));
  const window = await meter;
  return {
    ...window,
    throughput: results.reduce((sum, r) => sum + (r.delivered * 1000) / r.ms, 0),
    delivered: results.reduce((sum, r) => sum + r.delivered, 0),
    refused: results.reduce((sum, r) => sum + r.refused, 0),
    undelivered: results.reduce((sum, r) => sum + r.undelivered, 0),
    envelopesPerEvent: results.reduce((sum, r) => sum + r.envelopesPerEvent, 0) / results.length,
  };
}

async function paced(settings: Settings, load: Load): Promise<Latency> {
  const meter = meterWindow(load);
  const params = {
    rate: PACED_RATE / load.generators.length,
    warmupMs: settings.pacedWarmupMs,
    durationMs: settings.pacedWindowMs,
    drainMs: settings.drainMs,
  };
  const results = await Promise.all(load.generators.map((g) => g.call<PacedResult>("paced", params, 120_000)));
  const window = await meter;
  const all = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
  const acks = Float64Array.from(results.flatMap((r) => r.ackLatencies)).sort();
  const sentInWindow = results.reduce((sum, r) => sum + r.sentInWindow, 0);
  return {
    ...window,
    p50: percentile(all, 50),
    p90: percentile(all, 90),
    p99: percentile(all, 99),
    p999: percentile(all, 99.9),
    max: percentile(all, 100),
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    samples: all.length,
    achievedRate: results.reduce((sum, r) => sum + r.achievedRate, 0),
    lost: sentInWindow - all.length,
    refused: results.reduce((sum, r) => sum + r.refused, 0),
    envelopesPerEvent: results.reduce((sum, r) => sum + r.envelopesPerEvent, 0) / results.length,
  };
}

async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** RSS of the server before and after `idleConnections` more idle connections (authenticated for Parley). */
async function measureIdle(settings: Settings, system: System, server: Running): Promise<Idle> {
  const holders = await startGenerators(`${system.key} idle holder`, settings.idleHolders);
  try {
    // Warm-up connections first, so code compiled and caches filled on first use are not charged per connection.
    await holders[0]!.call<IdleResult>("idle", {
      kind: system.kind,
      url: server.url,
      count: settings.idleWarmConnections,
      concurrency: 50,
    });
    const before = await server.handle.call<NodeJS.MemoryUsage>("memory");
    const rssBefore = processRssBytes(server.handle.pid);
    const share = Math.ceil(settings.idleConnections / holders.length);
    const results = await Promise.all(
      holders.map((holder, i) =>
        holder.call<IdleResult>(
          "idle",
          {
            kind: system.kind,
            url: server.url,
            count: Math.min(share, settings.idleConnections - i * share),
            concurrency: 100,
          },
          300_000,
        ),
      ),
    );
    await sleep(500);
    const after = await server.handle.call<NodeJS.MemoryUsage>("memory");
    const rssAfter = processRssBytes(server.handle.pid);
    const connections = results.reduce((sum, r) => sum + r.opened, 0);
    return {
      connections,
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      openMs: Math.max(...results.map((r) => r.ms)),
      rssPerConnection: (rssAfter - rssBefore) / connections,
      heapPerConnection: (after.heapUsed - before.heapUsed) / connections,
      rssBefore,
      rssAfter,
    };
  } finally {
    await Promise.all(holders.map((holder) => holder.stop(3_000)));
    // The load phases start with the idle crowd gone.
    await until(async () => (await server.handle.call<number>("connections")) === 0, 20_000);
  }
}

/** Heap snapshots before and after `heapConnections` more idle connections: what each connection adds, by kind. */
async function measureHeap(settings: Settings, system: System, server: Running): Promise<HeapDiff> {
  const [holder] = await startGenerators(`${system.key} heap holder`, 1);
  try {
    const open = (count: number) =>
      holder!.call<IdleResult>("idle", { kind: system.kind, url: server.url, count, concurrency: 50 }, 120_000);
    await open(settings.idleWarmConnections);
    const snapshot = (name: string) =>
      server.handle.call<string>(
        "heapSnapshot",
        { file: path.join(settings.profileDir, `${system.key}-${name}.heapsnapshot`) },
        120_000,
      );
    const before = heapKinds(await snapshot("before"));
    const { opened } = await open(settings.heapConnections);
    const after = heapKinds(await snapshot("after"));
    return { connections: opened, growth: heapGrowth(before, after, opened) };
  } finally {
    await holder?.stop(3_000);
  }
}

/** Saturation with the servers' CPU profiler running over exactly the measured window. */
async function profiled(settings: Settings, system: System, servers: Running[], load: Load): Promise<Profiled> {
  const first = load.generators[0]!;
  const interval = { intervalUs: settings.profileIntervalUs };
  const started = first
    .next("window-start", 120_000)
    .then(() => Promise.all(servers.map((s) => s.handle.call("profileStart", interval))));
  const stopped = first.next("window-end", 120_000).then(() =>
    Promise.all(
      servers.map((s, i) =>
        s.handle.call<string>("profileStop", {
          file: path.join(settings.profileDir, `${system.key}-${"AB"[i]}.cpuprofile`),
        }),
      ),
    ),
  );
  const saturation = await saturate(settings, load);
  await started;
  const files = await stopped;
  return {
    saturation,
    summaries: files.map((file) => summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile)),
  };
}

/** Every phase of one system, its processes started for it and stopped (by pid if need be) after it. */
export async function runSystem(settings: Settings, system: System, redis: BenchRedis): Promise<Result> {
  const result: Result = { system };
  if (system.scaled) {
    await redis.flush();
    await redis.call("CONFIG", "SET", "appendonly", system.redisAof === false ? "no" : "yes");
  }
  progress(`${system.label}: starting`);
  const servers = await startServers(system, redis);
  let generators: ChildHandle[] = [];
  /** The load generators, started and connected for the first phase that needs them. */
  let loaded: Load | undefined;
  const load = async (): Promise<Load> => {
    if (loaded !== undefined) return loaded;
    generators = await startGenerators(`${system.key} generator`, settings.generators);
    const perGenerator = Math.ceil(PAIRS / generators.length);
    await Promise.all(
      generators.map((g, i) =>
        g.call<null>("setup", {
          kind: system.kind,
          senderUrl: servers[0]!.url,
          // Scaled: every receiver on the other instance, so every message crosses Redis.
          receiverUrl: servers[servers.length - 1]!.url,
          pairs: Math.min(perGenerator, PAIRS - i * perGenerator),
          offset: i * perGenerator,
        } satisfies SetupParams),
      ),
    );
    loaded = { generators, servers: servers.map((s) => s.handle), redis: system.scaled ? redis : undefined };
    return loaded;
  };
  try {
    // In the order the system lists them: what one phase leaves behind (garbage, a grown heap) is the next one's
    // starting point.
    for (const phase of system.phases) {
      switch (phase) {
        case "idle":
          progress(`${system.label}: ${settings.idleConnections.toLocaleString("en-US")} idle connections`);
          result.idle = await measureIdle(settings, system, servers[0]!);
          break;
        case "heap":
          progress(
            `${system.label}: heap snapshots around ${settings.heapConnections.toLocaleString("en-US")} connections`,
          );
          result.heap = await measureHeap(settings, system, servers[0]!);
          break;
        case "saturation": {
          const running = await load();
          progress(`${system.label}: saturation`);
          result.saturation = await quietest(settings, () =>
            withRedis(running.redis, () => saturate(settings, running)),
          );
          break;
        }
        case "latency": {
          const running = await load();
          progress(`${system.label}: ${PACED_RATE} msg/s`);
          result.latency = await quietest(settings, () => withRedis(running.redis, () => paced(settings, running)));
          break;
        }
        case "profile":
          if (!settings.profiling) break;
          progress(`${system.label}: saturation under the CPU profiler`);
          result.profile = await profiled(settings, system, servers, await load());
          break;
      }
    }
  } finally {
    await Promise.all(generators.map((g) => g.stop(3_000)));
    await Promise.all(servers.map((s) => s.handle.stop(5_000)));
  }
  return result;
}
