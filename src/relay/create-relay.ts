import type { Server as HttpServer } from "node:http";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { loadCrypto, systemRandomBytes, type RandomBytes } from "../protocol/crypto";
import type { ClientToServerEvents, ServerToClientEvents } from "../protocol/events";
import {
  ADDRESS_SEND_BURST,
  ADDRESS_SENDS_PER_SECOND,
  AUTH_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  MAX_FRAME_BYTES,
  SOCKET_EVENT_BURST,
  SOCKET_EVENTS_PER_SECOND,
} from "../protocol/limits";
import { clientIp, createConnectionCounter } from "./connections";
import { describeFailure, pinoLogger, type Logger } from "./logger";
import { createMemoryMailbox, DEFAULT_MEMORY_MAILBOX_LIMITS, type Mailbox, type MemoryMailboxLimits } from "./mailbox";
import { createRelayMetrics, type RelayMetrics } from "./metrics";
import { canonicalOrigin, originAllowed, requestOrigin } from "./origin";
import { createAddressLimiter, type RateLimit } from "./rate-limit";
import { PUSH_CHANNEL_PREFIX } from "./push-message";
import { createRedisMailbox } from "./redis-mailbox";
import { redeliverLocal } from "./delivery";
import { startSession, type RelayServer } from "./session";
import { sharedPing, watchResubscribe } from "./subscriptions";

export type RelayDeps = {
  /** The server to attach to; the relay never listens by itself. */
  readonly httpServer: HttpServer;
  /** The origin clients must sign (`https://relay.example`). Without it, each connection's Host header decides. */
  readonly publicOrigin?: string;
  /** Browser origins allowed to connect. Without a list, any origin may (see `originAllowed`). */
  readonly allowedOrigins?: readonly string[];
  /**
   * Scaled mode: mailboxes in Redis Streams and routing between instances
   * through the Redis adapter. Without it the relay is one process with
   * in-memory mailboxes (embedded mode).
   */
  readonly redisUrl?: string;
  readonly now?: () => number;
  readonly randomBytes?: RandomBytes;
  readonly logger?: Logger;
  /** Another store (tests); its owner closes it. Defaults to Redis in scaled mode, else memory. */
  readonly mailbox?: Mailbox;
  readonly mailboxLimits?: Partial<MemoryMailboxLimits>;
  readonly rateLimit?: RateLimit;
  readonly addressRateLimit?: RateLimit;
  readonly maxConnectionsPerIp?: number;
  /** How many proxies in front of the relay append to X-Forwarded-For (0: the TCP peer is the client). */
  readonly trustProxyHops?: number;
  readonly authTimeoutMs?: number;
  /** How often expired envelopes are swept out of the mailbox. */
  readonly sweepIntervalMs?: number;
};

export type Relay = {
  readonly io: RelayServer;
  readonly metrics: RelayMetrics;
  /** Whether to send traffic here: storage reachable (scaled mode) and not draining. */
  ready(): boolean;
  /**
   * Graceful drain: refuses new connections and events, lets handlers in
   * flight finish (at most `graceMs`), then closes every socket, so clients
   * reconnect to another instance. Resolves when closed.
   */
  drain(graceMs: number): Promise<void>;
  /** Disconnects every socket and stops the relay. socket.io also closes the attached http server. */
  close(): Promise<void>;
};

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

function checkedOrigin(value: string, what: string): string {
  const origin = canonicalOrigin(value);
  if (origin === undefined) {
    throw new Error(`createRelay: ${what} must be an origin like https://relay.example, got ${JSON.stringify(value)}`);
  }
  return origin;
}

type RedisClients = { readonly data: Redis; readonly pub: Redis; readonly sub: Redis };

/**
 * Three connections: commands for mailboxes fail at once while Redis is
 * unreachable (no offline queue), so a send is refused rather than left
 * hanging or acked; the adapter's publisher and subscriber queue and retry,
 * and ioredis subscribes again after every reconnect.
 */
function connectRedis(url: string, logger: Logger): RedisClients {
  const retryStrategy = (attempt: number): number => Math.min(attempt * 200, 2_000);
  const data = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy });
  const pub = new Redis(url, { retryStrategy });
  const sub = pub.duplicate();
  for (const [role, client] of Object.entries({ data, pub, sub })) {
    client.on("error", (error: unknown) => {
      logger.warn({ event: "redis-error", role, ...describeFailure(error) }, "redis connection problem");
    });
    client.on("ready", () => logger.info({ event: "redis-ready", role }, "redis connected"));
  }
  return { data, pub, sub };
}

/**
 * The relay: authenticates sockets by signature, stores envelopes in the
 * recipient's mailbox, pushes them to its online sockets (on any instance),
 * deletes them when acked. It reads no environment; `server.ts` and `main.ts`
 * compose it.
 */
export async function createRelay(deps: RelayDeps): Promise<Relay> {
  const publicOrigin = deps.publicOrigin === undefined ? undefined : checkedOrigin(deps.publicOrigin, "publicOrigin");
  const allowed =
    deps.allowedOrigins === undefined
      ? undefined
      : new Set(deps.allowedOrigins.map((origin) => checkedOrigin(origin, "allowedOrigins entry")));
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? pinoLogger();
  const limits = { ...DEFAULT_MEMORY_MAILBOX_LIMITS, ...deps.mailboxLimits };
  const redis = deps.redisUrl === undefined ? undefined : connectRedis(deps.redisUrl, logger);
  const mailbox =
    deps.mailbox ??
    (redis === undefined ? createMemoryMailbox(now, limits) : createRedisMailbox(redis.data, limits, true));
  const metrics = createRelayMetrics(() => mailbox.depth());
  const trustProxyHops = deps.trustProxyHops ?? 0;
  const connections = createConnectionCounter(deps.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP);
  let draining = false;
  await loadCrypto();

  const refuse = (reason: string, answer: (message: string, ok: boolean) => void): void => {
    metrics.rejections.inc({ reason });
    answer(reason, false);
  };

  const io: RelayServer = new Server<ClientToServerEvents, ServerToClientEvents>(deps.httpServer, {
    serveClient: false,
    // WebSocket only: no long-polling sessions, so no sticky sessions and no CORS preflights are needed.
    transports: ["websocket"],
    maxHttpBufferSize: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    allowRequest: (request, answer) => {
      if (draining) return refuse("draining", answer);
      if (!originAllowed(request, allowed)) return refuse("origin", answer);
      if (publicOrigin === undefined && requestOrigin(request) === undefined) return refuse("bad-host", answer);
      if (!connections.admits(clientIp(request, trustProxyHops))) return refuse("connection-limit", answer);
      answer(null, true);
    },
  });
  // Sharded Pub/Sub (Redis 7), one channel per address room: a push reaches only the instances where its
  // recipient is connected, so each instance handles its own sockets' traffic rather than everybody's.
  if (redis !== undefined) {
    io.adapter(
      createShardedAdapter(redis.pub, redis.sub, { channelPrefix: PUSH_CHANNEL_PREFIX, subscriptionMode: "dynamic" }),
    );
    watchResubscribe(redis.sub, () => redeliverLocal(io, mailbox, metrics), logger);
  }

  const context = {
    io,
    mailbox,
    logger,
    now,
    randomBytes: deps.randomBytes ?? systemRandomBytes,
    rateLimit: deps.rateLimit ?? { perSecond: SOCKET_EVENTS_PER_SECOND, burst: SOCKET_EVENT_BURST },
    addressLimiter: createAddressLimiter(
      deps.addressRateLimit ?? { perSecond: ADDRESS_SENDS_PER_SECOND, burst: ADDRESS_SEND_BURST },
      now,
    ),
    authTimeoutMs: deps.authTimeoutMs ?? AUTH_TIMEOUT_MS,
    metrics,
    inFlight: new Set<Promise<void>>(),
    // The room's subscription is sent on the subscriber connection when the room is created; a PING on that
    // connection is answered only after Redis has applied it. While Redis is away the PING would wait for its
    // return, so it gives up and the session closes the socket, as when the drain fails.
    routed: redis === undefined ? () => Promise.resolve() : sharedPing(redis.sub),
  };

  io.on("connection", (socket) => {
    try {
      const ip = clientIp(socket.request, trustProxyHops);
      // allowRequest checked the count, but handshakes racing each other all passed it.
      if (!connections.admits(ip)) {
        metrics.rejections.inc({ reason: "connection-limit" });
        socket.disconnect(true);
        return;
      }
      const close = connections.open(ip);
      metrics.connections.inc();
      socket.on("disconnect", () => {
        close();
        metrics.connections.dec();
      });
      const origin = publicOrigin ?? requestOrigin(socket.request);
      if (origin === undefined) {
        socket.disconnect(true);
        return;
      }
      startSession(context, socket, origin);
    } catch (error) {
      logger.warn({ event: "connection-failed", ...describeFailure(error) }, "could not start a session");
      socket.disconnect(true);
    }
  });
  io.engine.on("connection_error", (error: unknown) => {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "unknown";
    logger.info({ event: "connection-refused", code }, "connection refused before socket.io");
  });

  const sweeper = setInterval(() => {
    mailbox.sweep().then(
      (dropped) => {
        if (dropped > 0) logger.info({ event: "mailbox-sweep", dropped }, "expired envelopes dropped");
      },
      (error: unknown) => logger.warn({ event: "mailbox-sweep-failed", ...describeFailure(error) }, "sweep failed"),
    );
  }, deps.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  // The sweep alone must not keep a process alive.
  sweeper.unref();

  if (publicOrigin === undefined) {
    logger.warn({ event: "no-public-origin" }, "no public origin configured: clients sign the Host header's origin");
  }
  logger.info(
    {
      event: "relay-started",
      mode: redis === undefined ? "embedded" : "scaled",
      publicOrigin: publicOrigin ?? "from Host header",
    },
    "relay ready",
  );

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      draining = true;
      clearInterval(sweeper);
      await io.close();
      if (deps.mailbox === undefined) await mailbox.close();
      if (redis !== undefined) await Promise.allSettled([redis.data.quit(), redis.pub.quit(), redis.sub.quit()]);
    })());

  return {
    io,
    metrics,
    ready: () =>
      !draining &&
      (redis === undefined || [redis.data, redis.pub, redis.sub].every((client) => client.status === "ready")),
    drain: async (graceMs) => {
      draining = true;
      logger.info({ event: "draining", inFlight: context.inFlight.size }, "draining: no new connections");
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([Promise.allSettled([...context.inFlight]), deadline]);
      clearTimeout(timer);
      await close();
    },
    close,
  };
}
