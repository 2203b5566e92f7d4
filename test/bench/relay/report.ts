/**
 * The benchmark's report: tables of every measurement with its baseline and
 * ratio, the issue's goals, and — for goals missed — what the CPU profiles,
 * the diagnostic runs and Redis say dominates the cost.
 */
import os from "node:os";
import type { Latency, Result, Saturation, WindowStats } from "./measure";
import type { GcPauses, PauseStats } from "./gc-pauses";
import type { HeapGrowth } from "./heap";
import type { ProfileSummary } from "./profile";
import type { GoalKey } from "./systems";
import type { ValidationCost } from "./validation";
import { PACED_RATE, PAYLOAD_BYTES } from "./workload";

const KIB = 1024;
const GOAL_RSS_BYTES = 16 * KIB;
const GOAL_P99_MS = 5;

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—");
const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "—");
const kb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / KIB).toFixed(1)} KB` : "—");
const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : "—");
const pct = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(0)}%` : "—");
const say = (text = ""): void => console.log(text);

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  say(line(header));
  say(widths.map((w) => "─".repeat(w)).join("  "));
  for (const row of rows) say(line(row));
}

/** Server CPU time per delivered message, in µs. */
const cpuPerMessage = (w: WindowStats | undefined, messages: number | undefined): number =>
  w === undefined || messages === undefined ? Number.NaN : (w.serverCpuMs * 1000) / messages;
const satUs = (r: Result | undefined): number => cpuPerMessage(r?.saturation, r?.saturation?.delivered);
const pacedUs = (r: Result | undefined): number => cpuPerMessage(r?.latency, r?.latency?.samples);
const redisUs = (w: WindowStats | undefined, messages: number | undefined): number =>
  w === undefined || messages === undefined ? Number.NaN : (w.redisCpuMs * 1000) / messages;
const cpuShare = (w: WindowStats, cpuMs: number): string => pct((cpuMs / w.wallMs) * 100);
/** The servers' garbage collection pauses over the window, summed (a send crosses both instances in scaled mode). */
const gcPausedShare = (w: WindowStats): number =>
  w.gc.reduce((sum, g) => sum + g.minor.totalMs + g.major.totalMs, 0) / w.wallMs;
const gcPausedPct = (w: WindowStats): string => `${(gcPausedShare(w) * 100).toFixed(1)}%`;
/** Each server's pauses in a window, in words. */
const names = (w: WindowStats): string => w.gc.map((g, i) => `${"AB"[i]} ${gcWords(g, w.wallMs)}`).join("; ");

/** One server's pauses in a window, in words. */
function gcWords(g: GcPauses, wallMs: number): string {
  const kind = (stats: PauseStats, name: string): string =>
    stats.count === 0
      ? `no ${name}`
      : `${int(stats.count)} ${name}${stats.count === 1 ? "" : "s"} ` +
        `(${stats.count === 1 ? ms(stats.maxMs) : `mean ${ms(stats.totalMs / stats.count)}, longest ${ms(stats.maxMs)}`})`;
  return (
    `${kind(g.minor, "scavenge")} and ${kind(g.major, "mark-compact")}, ` +
    `${(((g.minor.totalMs + g.major.totalMs) / wallMs) * 100).toFixed(1)}% of the window`
  );
}

type Goal = {
  readonly key: GoalKey;
  readonly what: string;
  readonly value: string;
  readonly against: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean | undefined;
  /** CPU other processes used during the two windows compared (% of one core), when they are windows. */
  readonly other: string;
};

export function goals(results: ReadonlyMap<string, Result>): Goal[] {
  const sat = (key: string): number => results.get(key)?.saturation?.throughput ?? Number.NaN;
  const judge = (value: number, ok: (v: number) => boolean): boolean | undefined =>
    Number.isFinite(value) ? ok(value) : undefined;
  const p99 = results.get("parley-redis")?.latency?.p99 ?? Number.NaN;
  const sioRedisP99 = results.get("sio-redis")?.latency?.p99 ?? Number.NaN;
  const rss = results.get("parley")?.idle?.rssPerConnection ?? Number.NaN;
  const sioRss = results.get("sio")?.idle?.rssPerConnection ?? Number.NaN;
  const other = (a: WindowStats | undefined, b: WindowStats | undefined): string =>
    `${pct(a?.otherPct ?? Number.NaN)} / ${pct(b?.otherPct ?? Number.NaN)}`;
  const phaseOf = (key: string, phase: "saturation" | "latency"): WindowStats | undefined => results.get(key)?.[phase];
  return [
    {
      key: "embedded-sio",
      what: "Saturation: Parley embedded vs plain Socket.io",
      value: `${int(sat("parley"))} msg/s`,
      against: `${int(sat("sio"))} msg/s`,
      ratio: ratio(sat("parley") / sat("sio")),
      target: "≥ 1.0×",
      met: judge(sat("parley") / sat("sio"), (v) => v >= 1),
      other: other(phaseOf("parley", "saturation"), phaseOf("sio", "saturation")),
    },
    {
      key: "embedded-ws",
      what: "Saturation: Parley embedded vs raw ws",
      value: `${int(sat("parley"))} msg/s`,
      against: `${int(sat("ws"))} msg/s`,
      ratio: ratio(sat("parley") / sat("ws")),
      target: "≥ 0.6×",
      met: judge(sat("parley") / sat("ws"), (v) => v >= 0.6),
      other: other(phaseOf("parley", "saturation"), phaseOf("ws", "saturation")),
    },
    {
      key: "scaled-sio",
      what: "Saturation: 2× Parley scaled vs 2× Socket.io + Redis",
      value: `${int(sat("parley-redis"))} msg/s`,
      against: `${int(sat("sio-redis"))} msg/s`,
      ratio: ratio(sat("parley-redis") / sat("sio-redis")),
      target: "≥ 1.0×",
      met: judge(sat("parley-redis") / sat("sio-redis"), (v) => v >= 1),
      other: other(phaseOf("parley-redis", "saturation"), phaseOf("sio-redis", "saturation")),
    },
    {
      key: "scaled-p99",
      what: `Cross-instance p99 at ${int(PACED_RATE)} msg/s, Parley scaled`,
      value: ms(p99),
      against: ms(sioRedisP99),
      ratio: ratio(p99 / sioRedisP99),
      target: `≤ ${GOAL_P99_MS} ms`,
      met: judge(p99, (v) => v <= GOAL_P99_MS),
      other: other(phaseOf("parley-redis", "latency"), phaseOf("sio-redis", "latency")),
    },
    {
      key: "rss",
      what: "RSS per idle authenticated connection, Parley embedded",
      value: kb(rss),
      against: kb(sioRss),
      ratio: ratio(rss / sioRss),
      target: "≤ 16 KB",
      met: judge(rss, (v) => v <= GOAL_RSS_BYTES),
      other: "",
    },
  ];
}

export function printTables(results: ReadonlyMap<string, Result>, idleConnections: number): void {
  const all = [...results.values()];
  const mark = (r: Result): string => `${r.system.label}${r.system.diagnostic === true ? " (diagnostic)" : ""}`;

  say();
  say("Saturation (CPU from /proc in % of one core: servers under test, load generator, processes outside the");
  say(
    "benchmark; µs/msg: server CPU time per delivered message; runs: windows run to find one with little outside load)",
  );
  table(
    ["system", "msg/s", "server µs/msg", "server CPU", "gen CPU", "other CPU", "runs"],
    all
      .filter((r) => r.saturation !== undefined)
      .map((r) => {
        const s = r.saturation!;
        return [
          mark(r),
          int(s.throughput),
          fixed(satUs(r)),
          cpuShare(s, s.serverCpuMs),
          cpuShare(s, s.generatorCpuMs),
          pct(s.otherPct),
          String(s.attempts),
        ];
      }),
    [1, 2, 3, 4, 5, 6],
  );

  say();
  say(
    `Latency at ${int(PACED_RATE)} msg/s (send→receive at the receiver; ack: send→the server's answer at the sender)`,
  );
  table(
    [
      "system",
      ...["p50", "p90", "p99", "p99.9", "max", "ack p50", "ack p99"],
      ...["server µs/msg", "GC paused", "other CPU", "runs"],
    ],
    all
      .filter((r) => r.latency !== undefined)
      .map((r) => {
        const l = r.latency!;
        const row = [l.p50, l.p90, l.p99, l.p999, l.max, l.ackP50, l.ackP99].map((n) => ms(n));
        return [mark(r), ...row, fixed(pacedUs(r)), gcPausedPct(l), pct(l.otherPct), String(l.attempts)];
      }),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );

  say();
  say(
    `Idle connections: server RSS (VmRSS after a full GC) and JS heap, before and after ` +
      `${int(idleConnections)} more connections`,
  );
  table(
    ["system", "connections", "opened in", "RSS before", "RSS after", "RSS/conn", "heap/conn"],
    all
      .filter((r) => r.idle !== undefined)
      .map((r) => {
        const i = r.idle!;
        return [
          mark(r),
          int(i.connections),
          `${fixed(i.openMs / 1000)} s`,
          `${fixed(i.rssBefore / 2 ** 20)} MB`,
          `${fixed(i.rssAfter / 2 ** 20)} MB`,
          kb(i.rssPerConnection),
          kb(i.heapPerConnection),
        ];
      }),
    [1, 2, 3, 4, 5, 6],
  );

  for (const r of all.filter((r) => r.system.scaled)) {
    const parts = [r.saturation, r.latency].flatMap((w, i) => {
      if (w === undefined) return [];
      const messages = i === 0 ? (w as Saturation).delivered : (w as Latency).samples;
      const [a, b] = w.perServerCpuMs.map((cpu) => fixed((cpu * 1000) / messages));
      return [
        `${i === 0 ? "saturation" : `${int(PACED_RATE)} msg/s`}: A ${a} + B ${b} µs/msg, ` +
          `redis-server ${fixed(redisUs(w, messages))} µs/msg`,
      ];
    });
    say(`  ${r.system.label}: ${parts.join("; ")}`);
  }
  for (const r of all.filter((r) => r.system.kind === "parley")) {
    const parts = [
      ...(r.saturation === undefined ? [] : [`${fixed(r.saturation.envelopesPerEvent)} at saturation`]),
      ...(r.latency === undefined ? [] : [`${fixed(r.latency.envelopesPerEvent)} at ${int(PACED_RATE)} msg/s`]),
    ];
    if (parts.length > 0) {
      say(
        `  ${r.system.label}: ${parts.join(", ")} envelopes per \`send\` (the client batches what becomes due in one ` +
          `turn, as the web client's outbox does; the baselines send one per event)`,
      );
    }
  }
  const problems = all.flatMap(({ system, saturation, latency, idle }) => [
    ...(saturation !== undefined && (saturation.refused > 0 || saturation.undelivered > 0)
      ? [`${system.label}: saturation had ${saturation.refused} refused, ${saturation.undelivered} undelivered sends`]
      : []),
    ...(latency !== undefined && (latency.refused > 0 || latency.lost > 0)
      ? [`${system.label}: latency run had ${latency.refused} refused, ${latency.lost} undelivered sends`]
      : []),
    ...(latency !== undefined && latency.achievedRate < PACED_RATE * 0.97
      ? [`${system.label}: the generator reached only ${int(latency.achievedRate)} msg/s of ${PACED_RATE}`]
      : []),
    ...(idle !== undefined && idle.failed > 0 ? [`${system.label}: ${idle.failed} idle connections failed`] : []),
  ]);
  for (const problem of problems) say(`  ! ${problem}`);

  say();
  say("Each measurement as a ratio to its baseline (throughput: higher is better; the rest: lower is better)");
  const rows: string[][] = [];
  const add = (
    metric: string,
    mine: Result,
    base: Result,
    value: (r: Result) => number,
    show: (n: number) => string,
  ) => {
    const a = value(mine);
    const b = value(base);
    if (Number.isFinite(a) && Number.isFinite(b)) {
      rows.push([metric, mark(mine), show(a), base.system.label, show(b), ratio(a / b)]);
    }
  };
  const pairs = all.flatMap((mine) => {
    const base = mine.system.baseline === undefined ? undefined : results.get(mine.system.baseline);
    return base === undefined ? [] : [[mine, base] as const];
  });
  // The issue's second baseline for the embedded relay: raw ws.
  const parley = results.get("parley");
  const ws = results.get("ws");
  if (parley !== undefined && ws !== undefined) pairs.splice(2, 0, [parley, ws]);
  for (const [mine, base] of pairs) {
    add("saturation msg/s", mine, base, (r) => r.saturation?.throughput ?? Number.NaN, int);
    add("server µs/msg, saturation", mine, base, satUs, (n) => fixed(n));
    add(`server µs/msg, ${int(PACED_RATE)}/s`, mine, base, pacedUs, (n) => fixed(n));
    add(`p50, ${int(PACED_RATE)}/s`, mine, base, (r) => r.latency?.p50 ?? Number.NaN, ms);
    add(`p99, ${int(PACED_RATE)}/s`, mine, base, (r) => r.latency?.p99 ?? Number.NaN, ms);
    add("RSS per idle connection", mine, base, (r) => r.idle?.rssPerConnection ?? Number.NaN, kb);
  }
  table(["metric", "system", "value", "baseline", "baseline value", "ratio"], rows, [2, 4, 5]);

  say();
  say("Goals (other CPU: what processes outside the benchmark used during Parley's window / the baseline's)");
  table(
    ["goal", "Parley", "baseline", "ratio", "target", "result", "other CPU"],
    goals(results).map((g) => [
      g.what,
      g.value,
      g.against,
      g.ratio,
      g.target,
      g.met === undefined ? "not run" : g.met ? "met" : "MISSED",
      g.other,
    ]),
    [1, 2, 3, 6],
  );
}

// ---------------------------------------------------------------- where the time goes

/** Profile components (see profile.ts) grouped by what they do for a message; first match wins. */
const CONCERNS: readonly (readonly [string, RegExp])[] = [
  ["base64url check of the ciphertext (src/protocol/encoding.ts)", /^parley src\/protocol\/encoding\.ts$/],
  [
    "logging (pino, sonic-boom, src/relay/logger.ts)",
    /^npm (pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|on-exit-leak-free|atomic-sleep)$|^parley src\/relay\/logger\.ts$/,
  ],
  ["WebSocket I/O (ws framing, socket write syscalls)", /^npm ws$/],
  [
    "Socket.io (parser JSON encode/decode, engine.io, rooms, adapter)",
    /^npm (socket\.io|socket\.io-parser|engine\.io|engine\.io-parser|socket\.io-adapter|@socket\.io\/.+|notepack\.io|debug)$/,
  ],
  ["Redis client (ioredis)", /^npm (ioredis|@ioredis\/.+|redis-errors|redis-parser|denque|standard-as-callback)$/],
  ["metrics (prom-client)", /^npm (prom-client|tdigest|bintrees)$/],
  ["Parley's session, validation, mailbox (other src files)", /^parley /],
  ["garbage collection", /^V8 garbage collector$/],
];
const OTHER = "other (Node core, V8, unattributed)";

function byConcern(summary: ProfileSummary): Map<string, number> {
  const out = new Map<string, number>([...CONCERNS.map(([name]) => [name, 0] as const), [OTHER, 0]]);
  for (const component of summary.components) {
    const concern = CONCERNS.find(([, match]) => match.test(component.name))?.[0] ?? OTHER;
    out.set(concern, (out.get(concern) ?? 0) + component.ms);
  }
  return out;
}

type Column = {
  readonly label: string;
  readonly summary: ProfileSummary;
  /** The process's CPU time (from /proc) per delivered message in the profiled window, in µs. */
  readonly cpuUsPerMessage: number;
};

function profileColumns(results: ReadonlyMap<string, Result>): Column[] {
  return [...results.values()].flatMap((r) =>
    r.profile === undefined
      ? []
      : r.profile.summaries.map((summary, i) => ({
          label: r.system.scaled ? `${r.system.label}, ${"AB"[i]}` : r.system.label,
          summary,
          cpuUsPerMessage: (r.profile!.saturation.perServerCpuMs[i]! * 1000) / r.profile!.saturation.delivered,
        })),
  );
}

function printProfiles(results: ReadonlyMap<string, Result>): void {
  const columns = profileColumns(results);
  if (columns.length === 0) return;
  say();
  say(
    "Where the servers' time goes at saturation: CPU profile of the main thread over a measured window, same " +
      "run. Share of the sampled time; µs/msg = share × the process's CPU per delivered message (from /proc) in " +
      "that window. Node-core and native time is charged to the package or file that called it. Throughput " +
      "under the profiler: " +
      [...results.values()]
        .filter((r) => r.profile !== undefined)
        .map((r) => `${r.system.label} ${int(r.profile!.saturation.throughput)} msg/s`)
        .join(", ") +
      ".",
  );
  const concerns = columns.map((c) => byConcern(c.summary));
  const names = [...CONCERNS.map(([name]) => name), OTHER];
  const cell = (c: Column, spent: number): string =>
    `${pct((spent / c.summary.busyMs) * 100).padStart(4)} ${fixed((spent / c.summary.busyMs) * c.cpuUsPerMessage).padStart(5)}`;
  table(
    ["concern", ...columns.map((c) => c.label)],
    [
      ...names.map((name) => [name, ...columns.map((c, i) => cell(c, concerns[i]!.get(name) ?? 0))]),
      ["main thread, total", ...columns.map((c) => cell(c, c.summary.busyMs))],
    ],
    columns.map((_, i) => i + 1),
  );
  for (const c of columns.slice(0, 1)) {
    say();
    table(
      [`top functions by self time, ${c.label}`, "share", "µs/msg"],
      c.summary.functions
        .slice(0, 12)
        .map((f) => [
          f.name,
          pct((f.ms / c.summary.busyMs) * 100),
          fixed((f.ms / c.summary.busyMs) * c.cpuUsPerMessage, 2),
        ]),
      [1, 2],
    );
  }
}

function concernShare(column: Column | undefined, prefix: string): { share: number; us: number } {
  if (column === undefined) return { share: Number.NaN, us: Number.NaN };
  const spent = [...byConcern(column.summary)].find(([name]) => name.startsWith(prefix))?.[1] ?? 0;
  const share = spent / column.summary.busyMs;
  return { share, us: share * column.cpuUsPerMessage };
}

function inclusive(column: Column | undefined, name: string): number {
  const found = column?.summary.parleyInclusive.find((f) => f.name.startsWith(`${name} `));
  return found === undefined || column === undefined ? Number.NaN : found.ms / column.summary.busyMs;
}

const CIPHERTEXT_CHARS = Math.ceil((PAYLOAD_BYTES * 4) / 3);

/** The windows behind a goal that other processes disturbed, as a warning line, or undefined. */
function disturbed(
  quietPct: number,
  windows: readonly (readonly [string, WindowStats | undefined])[],
): string | undefined {
  const noisy = windows.filter(([, w]) => w !== undefined && w.otherPct > quietPct);
  if (noisy.length === 0) return undefined;
  return (
    `  ! Other processes used CPU during ${noisy.map(([name, w]) => `${name} (${pct(w!.otherPct)})`).join(", ")}: ` +
    `read the throughput and latency here with that in mind; CPU per message is the steadier figure.`
  );
}

export function printAnalysis(
  results: ReadonlyMap<string, Result>,
  validation: ValidationCost | undefined,
  quietPct: number,
): void {
  printProfiles(results);
  const get = (key: string): Result | undefined => results.get(key);
  const missed = goals(results).filter((g) => g.met === false);
  const columns = profileColumns(results);
  const column = (label: string | undefined): Column | undefined => columns.find((c) => c.label === label);
  const [ws, sio, parley, sioRedis, scaled] = ["ws", "sio", "parley", "sio-redis", "parley-redis"].map(get);
  const embedded = column(parley?.system.label);
  const scaledA = column(`${scaled?.system.label}, A`);
  const scaledB = column(`${scaled?.system.label}, B`);
  const quiet = get("parley-warn");
  const fixedRelay = get("parley-fixed");
  const noAof = get("parley-redis-no-aof");
  const afterBurst = get("parley-redis-after-burst")?.latency;
  const cores = os.cpus().length;

  if (afterBurst !== undefined && scaled?.latency !== undefined) {
    const l = scaled.latency;
    say();
    say(`Cross-instance latency right after a saturation run (a relay recovering from a burst; diagnostic):`);
    say(
      `  - p99 ${ms(afterBurst.p99)} (p50 ${ms(afterBurst.p50)}) against ${ms(l.p99)} (p50 ${ms(l.p50)}) in the ` +
        `steady state above (other CPU ${pct(afterBurst.otherPct)} and ${pct(l.otherPct)}). Garbage collection ` +
        `on the instances: ${names(afterBurst)}, against ${names(l)}` +
        (gcPausedShare(afterBurst) > 1.3 * gcPausedShare(l)
          ? `: the burst leaves promoted garbage that V8 is still collecting, in more and longer pauses.`
          : `: no more paused than in the steady state.`),
    );
  }

  say();
  if (missed.length === 0) {
    say("Every goal is met.");
    return;
  }
  say("Missed goals: what dominates the cost (measured in this run) and what would close it");
  const keys = new Set(missed.map((g) => g.key));

  if (keys.has("embedded-sio") || keys.has("embedded-ws")) {
    const base64 = concernShare(embedded, "base64url");
    const logging = concernShare(embedded, "logging");
    const socketIo = concernShare(embedded, "Socket.io");
    const wsIo = concernShare(embedded, "WebSocket");
    const gc = concernShare(embedded, "garbage");
    say();
    say("Embedded throughput (Parley vs plain Socket.io, vs raw ws):");
    say(
      `  - Server CPU per delivered message at saturation: Parley ${fixed(satUs(parley))} µs, plain Socket.io ` +
        `${fixed(satUs(sio))} µs, raw ws ${fixed(satUs(ws))} µs (at ${int(PACED_RATE)} msg/s: ` +
        `${fixed(pacedUs(parley))} / ${fixed(pacedUs(sio))} / ${fixed(pacedUs(ws))} µs). Parley does ` +
        `${fixed(satUs(parley) - satUs(sio))} µs more work per message than Socket.io, and with the generator on ` +
        `the same ${cores} cores its throughput follows that cost.`,
    );
    say(
      `  - Validating the envelope (validateEnvelope, including the ciphertext's base64url check, which no ` +
        `longer decodes it) is ${pct(inclusive(embedded, "validateEnvelope") * 100)} of the relay's main thread ` +
        `(base64url ${pct(base64.share * 100)}, ≈ ${fixed(base64.us)} µs/msg); garbage collection ` +
        `${pct(gc.share * 100)}.` +
        (validation === undefined
          ? ""
          : ` Measured alone in this process (CPU time per call): isBase64Url ` +
            `${fixed(validation.isBase64UrlUs, 2)} µs on the 1 KiB ciphertext, validateEnvelope ` +
            `${fixed(validation.validateEnvelopeUs, 2)} µs; the reference non-decoding check in ` +
            `test/bench/relay/base64-check.ts ${fixed(validation.canonicalCheckUs, 2)} µs` +
            `${validation.sameAnswers ? " (same answers on 20,000 test strings)" : " — BUT THE ANSWERS DIFFERED"}.`),
    );
    say(
      `  - Logging (sends are logged at debug, off by default): ${pct(logging.share * 100)} of the main ` +
        `thread (≈ ${fixed(logging.us)} µs/msg).` +
        (quiet?.saturation === undefined
          ? ""
          : ` At LOG_LEVEL=warn: ${fixed(satUs(quiet))} µs/msg (vs ${fixed(satUs(parley))}), ` +
            `${int(quiet.saturation.throughput)} msg/s.`),
    );
    say(
      `  - The rest is the stack Parley shares with the baseline: Socket.io (parser JSON encode/decode, engine.io, ` +
        `rooms) ${pct(socketIo.share * 100)}, WebSocket I/O ${pct(wsIo.share * 100)}.`,
    );
    // Per-message CPU budgets the goals imply, judged by the steadier figure.
    const sioBudget = satUs(sio);
    const wsBudget = satUs(ws) / 0.6;
    if (fixedRelay?.saturation !== undefined && sio?.saturation !== undefined) {
      const f = fixedRelay.saturation;
      const comparable = Math.abs(f.otherPct - sio.saturation.otherPct) <= quietPct;
      say(
        `  - Both fixes, measured: the relay with LOG_LEVEL=warn and src/protocol/encoding.ts swapped (by a module ` +
          `hook; src/ untouched) for one whose isBase64Url does not decode costs ${fixed(satUs(fixedRelay))} µs/msg, ` +
          `against ${fixed(satUs(parley))} as it is. By CPU per message, ≥ 1.0× Socket.io means at most ` +
          `${fixed(sioBudget)} µs/msg and ≥ 0.6× raw ws at most ${fixed(wsBudget)}. It delivered ` +
          `${int(f.throughput)} msg/s` +
          (comparable
            ? ` (${ratio(f.throughput / sio.saturation.throughput)} plain Socket.io, ` +
              `${ratio(f.throughput / (ws?.saturation?.throughput ?? NaN))} raw ws).`
            : `, but other processes took ${pct(f.otherPct)} of a core in its window against ` +
              `${pct(sio.saturation.otherPct)} in Socket.io's, so that throughput does not compare.`),
      );
      say(
        `  - To close it: check the ciphertext's alphabet without decoding it, and log sends at debug rather than ` +
          `info` +
          (satUs(fixedRelay) <= sioBudget
            ? "; measured, that is enough."
            : `; ${fixed(satUs(fixedRelay) - sioBudget)} µs/msg above Socket.io would then remain, in the rest of ` +
              `Parley's share of the profile (session dispatch, rate limits, mailbox, acks).`),
      );
    }
    if (keys.has("embedded-ws")) {
      const sioVsWs = (sio?.saturation?.throughput ?? NaN) / (ws?.saturation?.throughput ?? NaN);
      say(
        `  - Against raw ws: plain Socket.io itself reaches ${ratio(sioVsWs)} of raw ws here (${fixed(satUs(sio))} ` +
          `vs ${fixed(satUs(ws))} µs/msg), so ≥ 0.6× raw ws asks Parley to cost about what Socket.io alone costs ` +
          `(≤ ${fixed(wsBudget)} µs/msg). Beyond the fixes above, that means cheaper Socket.io: its JSON packet ` +
          `encoding and decoding (socket.io-parser, in the Socket.io share above) is what socket.io-msgpack-parser ` +
          `replaces (the issue reports it cut the per-message cost by a third; not installed, so not measured ` +
          `here), and ws's optional native add-ons (bufferutil, utf-8-validate; not installed) target the ` +
          `WebSocket share.`,
      );
    }
    const warning = disturbed(quietPct, [
      ["Parley embedded", parley?.saturation],
      ["plain Socket.io", sio?.saturation],
      ["raw ws", ws?.saturation],
      ["the fixed relay", fixedRelay?.saturation],
    ]);
    if (warning !== undefined) say(warning);
  }

  if (keys.has("scaled-sio") && scaled?.saturation !== undefined && sioRedis?.saturation !== undefined) {
    const s = scaled.saturation;
    const b = sioRedis.saturation;
    const evalsha = s.redis?.commands.find((c) => c.name === "evalsha");
    const publish = b.redis?.commands.find((c) => c.name === "publish");
    const perServer = (w: Saturation, i: number): string => fixed((w.perServerCpuMs[i]! * 1000) / w.delivered);
    say();
    say("Scaled throughput (2× Parley on Redis vs 2× Socket.io with the Redis adapter):");
    say(
      `  - CPU per delivered message: Parley's instances ${fixed(satUs(scaled))} µs (A ${perServer(s, 0)}, B ` +
        `${perServer(s, 1)}) plus redis-server ${fixed(redisUs(s, s.delivered))} µs, against Socket.io's ` +
        `${fixed(satUs(sioRedis))} µs (A ${perServer(b, 0)}, B ${perServer(b, 1)}) plus ` +
        `${fixed(redisUs(b, b.delivered))} µs: all of it on the same ${cores} cores as the generator.`,
    );
    if (evalsha !== undefined) {
      say(
        `  - Inside Redis: ${int(evalsha.calls)} EVALSHA in the window (a store per send batch, a delete per ack ` +
          `batch), ${fixed(evalsha.usec / evalsha.calls)} µs each, ${fixed(evalsha.usec / s.delivered)} µs per ` +
          `message` +
          (publish === undefined
            ? ""
            : `; the Socket.io adapter's PUBLISH: ${fixed(publish.usec / publish.calls)} µs per message`) +
          `. Each envelope's ${int(CIPHERTEXT_CHARS)}-character ciphertext travels to Redis once, inside the push ` +
          `message the store script publishes; the script stores each envelope's JSON cut from it (a duplicate ` +
          `check, XADD and HSET per envelope), and the ack script deletes it (HGET, XDEL, HDEL), all written to ` +
          `the append-only file.`,
      );
    }
    say(
      `  - Instance A (senders): Redis client ${pct(concernShare(scaledA, "Redis client").share * 100)} of its main ` +
        `thread, garbage collection ${pct(concernShare(scaledA, "garbage").share * 100)}, the base64url check ` +
        `${pct(concernShare(scaledA, "base64url").share * 100)}, logging ${pct(concernShare(scaledA, "logging").share * 100)}; ` +
        `instance B (receivers): Socket.io and its Redis adapter ${pct(concernShare(scaledB, "Socket.io").share * 100)}, ` +
        `WebSocket I/O ${pct(concernShare(scaledB, "WebSocket").share * 100)}, Redis client ` +
        `${pct(concernShare(scaledB, "Redis client").share * 100)}.`,
    );
    say(
      satUs(scaled) < satUs(sioRedis)
        ? `  - To close it: Parley's instances already spend less per message than Socket.io's; the difference is ` +
            `Redis, one core shared by every instance, running the durable store and the ack the baseline does ` +
            `not have. Fewer Redis commands per envelope (or a Redis on cores of its own, as in production) close it.`
        : `  - To close it: the embedded fixes (they run on A too); the store script already publishes the push, ` +
            `so a send takes one Redis round trip.`,
    );
    const warning = disturbed(quietPct, [
      ["Parley scaled", s],
      ["Socket.io + Redis", b],
    ]);
    if (warning !== undefined) say(warning);
  }

  if (keys.has("scaled-p99") && scaled?.latency !== undefined) {
    const l = scaled.latency;
    const evidence = l.redis;
    const worstStall = Math.max(0, ...(evidence?.events.map((e) => e.maxMs) ?? []));
    say();
    say(`Cross-instance p99 at ${int(PACED_RATE)} msg/s:`);
    say(
      `  - p99 ${ms(l.p99)} (p50 ${ms(l.p50)}); the Socket.io + Redis baseline in the same setting: p99 ` +
        `${ms(sioRedis?.latency?.p99 ?? Number.NaN)}. The sender's "stored" answer alone has p99 ${ms(l.ackP99)}: ` +
        (l.ackP99 >= 0.7 * l.p99
          ? `most of the tail is there before the adapter's fan-out to B, in handling the send on A and the ` +
            `store script's round trip to Redis.`
          : `most of the tail comes after the store, in the adapter's fan-out to B and B's push.`),
    );
    if (evidence !== undefined) {
      const events = evidence.events.map((e) => `${e.event} up to ${e.maxMs} ms`).join(", ");
      say(
        `  - Redis in that window: ${events === "" ? "no stall of 1 ms or more" : `stalls ${events}`}; ` +
          `${evidence.delayedFsyncs} writes delayed behind a pending fsync of the append-only file; ` +
          `${evidence.rewrites} AOF rewrites. ` +
          (worstStall * 4 < l.p99
            ? `Its longest recorded stall is under a quarter of the p99.`
            : `Its longest recorded stall (${worstStall} ms) is a large part of the p99.`),
      );
    }
    {
      const base = sioRedis?.latency;
      const share = gcPausedShare(l);
      const longest = Math.max(0, ...l.gc.map((g) => Math.max(g.minor.maxMs, g.major.maxMs)));
      say(
        `  - Garbage collection on the instances in that window (a pause stops every socket of its process): ` +
          `${names(l)}` +
          (base === undefined ? ". " : `; Socket.io + Redis: ${names(base)}. `) +
          (share >= 0.005 && longest * 2 >= l.p99 - l.p50
            ? `A send meets a pause on one of the instances about ${fixed(share * 100)}% of the time, against the ` +
              `1% the p99 leaves out, and waits for it on top of the median: the pauses set much of the p99. ` +
              `Fewer bytes allocated per message mean fewer pauses.`
            : `Pauses are too rare or too short to set the p99.`),
      );
    }
    /** `variant` against `reference`, when the machine was equally quiet in both windows. */
    const compare = (variant: Latency, reference: Latency, helps: string, doesNot: string): string =>
      `p99 ${ms(variant.p99)} against ${ms(reference.p99)} (other CPU ${pct(variant.otherPct)} and ` +
      `${pct(reference.otherPct)}): ` +
      (Math.abs(variant.otherPct - reference.otherPct) > quietPct
        ? "the machine was not equally busy in the two windows, so this does not settle it."
        : variant.p99 < 0.7 * reference.p99
          ? helps
          : doesNot);
    if (noAof?.latency !== undefined) {
      say(
        `  - Redis without its append-only file, on fresh processes like the run above: ` +
          compare(
            noAof.latency,
            l,
            "the append-only file accounts for much of the tail.",
            "the append-only file does not account for the tail.",
          ),
      );
    }
    const busyPct = ((l.serverCpuMs + l.redisCpuMs + l.generatorCpuMs) / l.wallMs) * 100;
    say(
      `  - Load on the machine in that window: the two instances, Redis and the generator used ${pct(busyPct)} of ` +
        `one core and other processes ${pct(l.otherPct)}, of the ${cores * 100}% there is: ` +
        (busyPct + l.otherPct > cores * 100 * 0.8
          ? "close to full, so sends queue for CPU and the tail grows."
          : "room to spare, so the tail is not CPU queueing alone."),
    );
    say(
      `  - Per message at ${int(PACED_RATE)} msg/s the two instances and Redis spend ` +
        `${fixed(pacedUs(scaled) + redisUs(l, l.samples))} µs per message (Socket.io + Redis: ` +
        `${fixed(pacedUs(sioRedis) + redisUs(sioRedis?.latency, sioRedis?.latency?.samples))} µs): each send's ` +
        `own path is that much longer: the durable store and the ack (the store script, which also publishes the ` +
        `push, so a send takes one Redis round trip, and the ack script, which deletes 10 ms of acks at once, both ` +
        `written to the append-only file), ` +
        `which the baseline does not have, and B's push. Cutting that work shortens the median and the tail.`,
    );
    const warning = disturbed(quietPct, [
      ["Parley scaled", l],
      ["Socket.io + Redis", sioRedis?.latency],
    ]);
    if (warning !== undefined) say(warning);
  }

  if (keys.has("rss")) {
    const p = parley?.idle;
    const s = sio?.idle;
    const w = ws?.idle;
    say();
    say("RSS per idle connection:");
    if (p !== undefined && s !== undefined && w !== undefined) {
      say(
        `  - Parley ${kb(p.rssPerConnection)} (JS heap ${kb(p.heapPerConnection)}), plain Socket.io ` +
          `${kb(s.rssPerConnection)} (heap ${kb(s.heapPerConnection)}), raw ws ${kb(w.rssPerConnection)} ` +
          `(heap ${kb(w.heapPerConnection)}): the JS heap is most of it. Socket.io's per-socket objects take ` +
          `${kb(s.heapPerConnection - w.heapPerConnection)} of heap over raw ws, Parley's session ` +
          `${kb(p.heapPerConnection - s.heapPerConnection)} over Socket.io.`,
      );
    }
    printHeapGrowth(get("parley-heap"), get("sio-heap"));
  }
}

/** Heap snapshot diffs: what one more idle connection holds, Parley against plain Socket.io. */
function printHeapGrowth(parley: Result | undefined, sio: Result | undefined): void {
  const mine = parley?.heap;
  if (mine === undefined) return;
  const theirs = new Map((sio?.heap?.growth ?? []).map((g) => [g.kind, g]));
  const total = (growth: readonly { bytes: number }[]): number => growth.reduce((sum, g) => sum + g.bytes, 0);
  const rows = mine.growth
    .map((g) => ({ ...g, extra: g.bytes - (theirs.get(g.kind)?.bytes ?? 0) }))
    .sort((a, b) => b.extra - a.extra)
    .slice(0, 12);
  say(
    `  - Heap snapshots around ${int(mine.connections)} more connections (objects by constructor, closures by ` +
      `function; ${kb(total(mine.growth))} per Parley connection, ` +
      `${sio?.heap === undefined ? "Socket.io not measured" : `${kb(total(sio.heap.growth))} per Socket.io one`}), ` +
      `largest differences first:`,
  );
  table(
    ["    kind", "Parley count", "Parley bytes", "Socket.io count", "Socket.io bytes", "Parley extra"],
    rows.map((g) => [
      `    ${g.kind}`,
      fixed(g.count),
      int(g.bytes),
      fixed(theirs.get(g.kind)?.count ?? 0),
      int(theirs.get(g.kind)?.bytes ?? 0),
      int(g.extra),
    ]),
    [1, 2, 3, 4, 5],
  );
  const closures = (growth: readonly HeapGrowth[]) =>
    growth
      .filter((g) => g.kind.endsWith(" closure"))
      .reduce((sum, g) => ({ count: sum.count + g.count, bytes: sum.bytes + g.bytes }), { count: 0, bytes: 0 });
  const ours = closures(mine.growth);
  const base = closures(sio?.heap?.growth ?? []);
  say(
    `  - Closures alone: ${fixed(ours.count)} per Parley connection (${int(ours.bytes)} bytes, plus the contexts ` +
      `they keep) against ${fixed(base.count)} for Socket.io. To close it: fewer per-connection closures and ` +
      `objects in the session (state in one object, shared handlers), starting with the largest differences above.`,
  );
}
