import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { loadCrypto, systemRandomBytes, type RandomBytes } from "../protocol/crypto";
import type { ClientToServerEvents, ServerToClientEvents } from "../protocol/events";
import { AUTH_TIMEOUT_MS, MAX_FRAME_BYTES, SOCKET_EVENT_BURST, SOCKET_EVENTS_PER_SECOND } from "../protocol/limits";
import { describeFailure, jsonLineLogger, type Logger } from "./logger";
import { createMemoryMailbox, DEFAULT_MEMORY_MAILBOX_LIMITS, type Mailbox, type MemoryMailboxLimits } from "./mailbox";
import { canonicalOrigin, originAllowed, requestOrigin } from "./origin";
import type { RateLimit } from "./rate-limit";
import { startSession, type RelayServer } from "./session";

export type RelayDeps = {
  /** The server to attach to; the relay never listens by itself. */
  readonly httpServer: HttpServer;
  /** The origin clients must sign (`https://relay.example`). Without it, each connection's Host header decides. */
  readonly publicOrigin?: string;
  /** Browser origins allowed to connect. Without a list, any origin may (see `originAllowed`). */
  readonly allowedOrigins?: readonly string[];
  readonly now?: () => number;
  readonly randomBytes?: RandomBytes;
  readonly logger?: Logger;
  /** Another store (issue #4: Redis); its owner closes it. Defaults to an in-memory mailbox with `mailboxLimits`. */
  readonly mailbox?: Mailbox;
  readonly mailboxLimits?: Partial<MemoryMailboxLimits>;
  readonly rateLimit?: RateLimit;
  readonly authTimeoutMs?: number;
  /** How often expired envelopes are swept out of the mailbox. */
  readonly sweepIntervalMs?: number;
};

export type Relay = {
  readonly io: RelayServer;
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

/**
 * The relay: authenticates sockets by signature, stores envelopes in the
 * recipient's mailbox, pushes them to its online sockets, deletes them when
 * acked. It reads no environment; `server.ts` and `main.ts` compose it.
 */
export async function createRelay(deps: RelayDeps): Promise<Relay> {
  const publicOrigin = deps.publicOrigin === undefined ? undefined : checkedOrigin(deps.publicOrigin, "publicOrigin");
  const allowed =
    deps.allowedOrigins === undefined
      ? undefined
      : new Set(deps.allowedOrigins.map((origin) => checkedOrigin(origin, "allowedOrigins entry")));
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? jsonLineLogger();
  const mailbox = deps.mailbox ?? createMemoryMailbox(now, { ...DEFAULT_MEMORY_MAILBOX_LIMITS, ...deps.mailboxLimits });
  await loadCrypto();

  const io: RelayServer = new Server<ClientToServerEvents, ServerToClientEvents>(deps.httpServer, {
    serveClient: false,
    // WebSocket only: no long-polling sessions, so no sticky sessions and no CORS preflights are needed.
    transports: ["websocket"],
    maxHttpBufferSize: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    allowRequest: (request, answer) => {
      if (!originAllowed(request, allowed)) return answer("origin not allowed", false);
      if (publicOrigin === undefined && requestOrigin(request) === undefined) return answer("bad host", false);
      answer(null, true);
    },
  });

  const context = {
    io,
    mailbox,
    logger,
    now,
    randomBytes: deps.randomBytes ?? systemRandomBytes,
    rateLimit: deps.rateLimit ?? { perSecond: SOCKET_EVENTS_PER_SECOND, burst: SOCKET_EVENT_BURST },
    authTimeoutMs: deps.authTimeoutMs ?? AUTH_TIMEOUT_MS,
  };

  io.on("connection", (socket) => {
    try {
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
  logger.info({ event: "relay-started", publicOrigin: publicOrigin ?? "from Host header" }, "relay ready");

  return {
    io,
    close: async () => {
      clearInterval(sweeper);
      await io.close();
      if (deps.mailbox === undefined) await mailbox.close();
    },
  };
}
