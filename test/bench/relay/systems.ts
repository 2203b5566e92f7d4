import type { ServerConfig, ServerKind } from "./workload";

/** A system under test: one server process (embedded) or two sharing a redis-server (scaled). */
export type System = {
  readonly key: string;
  readonly label: string;
  readonly kind: ServerKind;
  readonly scaled: boolean;
  /** The system this one is compared with. */
  readonly baseline?: string;
  /** A variant run to explain a result, not one the issue names. */
  readonly diagnostic?: boolean;
  /**
   * Run in this order, on the same processes. Latency comes before saturation: a p99 at a fixed rate is a steady
   * state, and the saturation run leaves each heap full of promoted garbage that V8 collects over the next 15 s
   * and more (measured: mark-compacts of up to 10 ms, scavenges twice as long, in a window 15 s after it).
   * Idle connections come first where measured: RSS per connection needs a heap without a saturation run's
   * slack, and the embedded p99 that follows them is no goal.
   */
  readonly phases: readonly Phase[];
  readonly config?: Partial<ServerConfig>;
  /** Scaled mode only: Redis with its append-only file (as in production) or without (a diagnostic). */
  readonly redisAof?: boolean;
  /** Diagnostics run only when one of these goals was missed (or when --only names them). */
  readonly when?: readonly GoalKey[];
};

export type Phase = "idle" | "heap" | "saturation" | "latency" | "profile";

/** The goals (see report.ts). */
export type GoalKey = "embedded-sio" | "embedded-ws" | "scaled-sio" | "scaled-p99" | "rss";

export const SYSTEMS: readonly System[] = [
  { key: "ws", label: "raw ws forwarder", kind: "ws", scaled: false, phases: ["idle", "latency", "saturation"] },
  {
    key: "sio",
    label: "plain Socket.io",
    kind: "sio",
    scaled: false,
    baseline: "ws",
    phases: ["idle", "latency", "saturation"],
  },
  {
    key: "parley",
    label: "Parley embedded",
    kind: "parley",
    scaled: false,
    baseline: "sio",
    phases: ["idle", "latency", "saturation", "profile"],
  },
  {
    key: "sio-redis",
    label: "2× Socket.io + Redis adapter",
    kind: "sio",
    scaled: true,
    baseline: "sio",
    phases: ["latency", "saturation"],
  },
  {
    key: "parley-redis",
    label: "2× Parley scaled (Redis)",
    kind: "parley",
    scaled: true,
    baseline: "sio-redis",
    phases: ["latency", "saturation", "profile"],
  },
  {
    key: "parley-warn",
    label: "Parley embedded, LOG_LEVEL=warn",
    kind: "parley",
    scaled: false,
    baseline: "parley",
    diagnostic: true,
    phases: ["saturation"],
    config: { logLevel: "warn" },
    when: ["embedded-sio", "embedded-ws", "scaled-sio"],
  },
  {
    // The latency run right after a saturation run, as in a relay recovering from a burst: what the burst's
    // garbage (and Redis's append-only file, grown by it) adds to the tail. Always run, so it is always reported.
    key: "parley-redis-after-burst",
    label: "2× Parley scaled, latency right after saturation",
    kind: "parley",
    scaled: true,
    baseline: "parley-redis",
    diagnostic: true,
    phases: ["saturation", "latency"],
  },
  {
    key: "parley-redis-no-aof",
    label: "2× Parley scaled, Redis without AOF",
    kind: "parley",
    scaled: true,
    redisAof: false,
    baseline: "parley-redis",
    diagnostic: true,
    phases: ["latency"],
    when: ["scaled-p99"],
  },
  {
    key: "sio-heap",
    label: "plain Socket.io, heap snapshots",
    kind: "sio",
    scaled: false,
    baseline: "sio",
    diagnostic: true,
    phases: ["heap"],
    when: ["rss"],
  },
  {
    key: "parley-heap",
    label: "Parley embedded, heap snapshots",
    kind: "parley",
    scaled: false,
    baseline: "sio-heap",
    diagnostic: true,
    phases: ["heap"],
    when: ["rss"],
  },
];
