import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { io, type Socket } from "socket.io-client";
import { afterEach } from "vitest";
import { authMessage } from "../../src/protocol/auth";
import {
  addressOf,
  generateIdentity,
  loadCrypto,
  signEd25519,
  systemRandomBytes,
  type IdentityKeyPair,
} from "../../src/protocol/crypto";
import type { Address } from "../../src/protocol/address";
import { encodeBase64Url } from "../../src/protocol/encoding";
import type { Envelope, MessageId } from "../../src/protocol/envelope";
import { createRelay, type Relay, type RelayDeps } from "../../src/relay/create-relay";
import type { LogFields, Logger } from "../../src/relay/logger";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/relay/server";
import { RELAY_EVENTS_VERSION } from "../../src/protocol/version";

export { createPrng } from "../support/prng";

/** Every wait in these tests is bounded; nothing sleeps for a fixed time. */
export const WAIT_MS = 3_000;

export type Emitter = {
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
};

/** The first `event` on `emitter`, with its first argument, or a rejection after `ms`. */
export function once<T = unknown>(emitter: Emitter, event: string, ms = WAIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args[0] as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`once: no "${event}" within ${ms} ms`));
    }, ms);
    emitter.once(event, listener);
  });
}

/**
 * Queues every `event` so tests can take them one by one, in order, with a timeout. With `each`, an event's
 * payload is a list whose items are queued one by one (the relay pushes envelopes in batches).
 */
export function recorder<T = unknown>(socket: Socket, event: string, each = false) {
  const items: T[] = [];
  const waiters: ((item: T) => void)[] = [];
  const take = (item: T): void => {
    const waiter = waiters.shift();
    if (waiter) waiter(item);
    else items.push(item);
  };
  socket.on(event, (payload: unknown) => {
    if (!each) return take(payload as T);
    if (!Array.isArray(payload)) throw new Error(`recorder: "${event}" carried ${JSON.stringify(payload)}, not a list`);
    for (const item of payload as T[]) take(item);
  });
  return {
    items,
    next(ms = WAIT_MS): Promise<T> {
      const ready = items.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`recorder: no "${event}" within ${ms} ms`)), ms);
        waiters.push((item) => {
          clearTimeout(timer);
          resolve(item);
        });
      });
    },
  };
}

export type CapturedLog = {
  readonly level: "debug" | "info" | "warn";
  readonly fields: LogFields;
  readonly msg: string;
};

export function captureLogger(): { logger: Logger; lines: CapturedLog[]; text(): string } {
  const lines: CapturedLog[] = [];
  return {
    lines,
    logger: {
      debug: (fields, msg) => lines.push({ level: "debug", fields, msg }),
      info: (fields, msg) => lines.push({ level: "info", fields, msg }),
      warn: (fields, msg) => lines.push({ level: "warn", fields, msg }),
    },
    text: () => lines.map((line) => JSON.stringify(line)).join("\n"),
  };
}

export type TestRelay = {
  readonly url: string;
  readonly port: number;
  readonly relay: Relay;
  readonly logs: ReturnType<typeof captureLogger>;
  close(): Promise<void>;
};

/** A relay on 127.0.0.1 and a free port, logging into memory. */
export async function startRelay(deps: Partial<Omit<RelayDeps, "httpServer">> = {}, port = 0): Promise<TestRelay> {
  await loadCrypto();
  const logs = captureLogger();
  const httpServer = createServer();
  const relay = await createRelay({ httpServer, logger: logs.logger, ...deps });
  await new Promise<void>((resolve) => httpServer.listen(port, "127.0.0.1", resolve));
  const actual = (httpServer.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${actual}`, port: actual, relay, logs, close: () => relay.close() };
}

const emptyStatic = mkdtempSync(path.join(tmpdir(), "parley-static-"));

/** A relay as `main.ts` runs it (HTTP endpoints included) on 127.0.0.1 and a free port, serving no app. */
export function startTestServer(options: Partial<StartServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    port: 0,
    host: "127.0.0.1",
    staticDir: emptyStatic,
    logger: captureLogger().logger,
    ...options,
  });
}

/** A raw, untyped client: it can send anything, as a hostile one would. */
export function connect(url: string, extra: { extraHeaders?: Record<string, string> } = {}): Socket {
  return io(url, { transports: ["websocket"], reconnection: false, forceNew: true, ...extra });
}

export type Challenge = { v: number; nonce: string; origin: string };

export type Peer = {
  socket: Socket;
  identity: IdentityKeyPair;
  address: Address;
  challenge: Challenge;
  /** Envelopes received from before authentication on, so the mailbox drain is captured too. */
  inbox: ReturnType<typeof recorder<Envelope>>;
};

export function signChallenge(identity: IdentityKeyPair, origin: string, nonce: string) {
  return {
    v: RELAY_EVENTS_VERSION,
    address: addressOf(identity.signing.publicKey),
    signature: encodeBase64Url(signEd25519(identity.signing.secretKey, authMessage(origin, nonce))),
  };
}

/** Connects and authenticates as `identity` (a new one by default). */
export async function authenticated(url: string, identity = generateIdentity()): Promise<Peer> {
  const socket = connect(url);
  const inbox = recorder<Envelope>(socket, "envelopes", true);
  const challenge = await once<Challenge>(socket, "challenge");
  const reply = await socket
    .timeout(WAIT_MS)
    .emitWithAck("auth", signChallenge(identity, challenge.origin, challenge.nonce));
  if (reply?.ok !== true) throw new Error(`authenticated: relay refused: ${JSON.stringify(reply)}`);
  return { socket, identity, address: addressOf(identity.signing.publicKey), challenge, inbox };
}

/**
 * The relays and sockets of one test file, all closed after each test. Call it once at the top level of the file:
 * it registers that `afterEach` itself.
 */
export function relayHarness() {
  let relays: TestRelay[] = [];
  let sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all(relays.map((r) => r.close()));
    relays = [];
    sockets = [];
  });

  /** Disconnects `socket` after the test. */
  function track(socket: Socket): void {
    sockets.push(socket);
  }

  return {
    track,
    /** A relay (see `startRelay`), closed after the test. */
    async relay(deps: Parameters<typeof startRelay>[0] = {}, port = 0): Promise<TestRelay> {
      const started = await startRelay(deps, port);
      relays.push(started);
      return started;
    },
    /** An authenticated peer (see `authenticated`), disconnected after the test. */
    async peer(url: string, identity = generateIdentity()): Promise<Peer> {
      const connected = await authenticated(url, identity);
      track(connected.socket);
      return connected;
    },
    /** A raw client (see `connect`), disconnected after the test. */
    client(url: string, extra: Parameters<typeof connect>[1] = {}): Socket {
      const socket = connect(url, extra);
      track(socket);
      return socket;
    },
  };
}

export function messageId(): MessageId {
  return encodeBase64Url(systemRandomBytes(16)) as MessageId;
}

/** A well-formed envelope with random "ciphertext" of `bytes` bytes. */
export function envelopeTo(to: Address, bytes = 96): Envelope {
  return { v: 1, to, id: messageId(), ct: encodeBase64Url(systemRandomBytes(bytes)) };
}

/** Two well-behaved clients that must keep working whatever a third one does; `track` collects their sockets for cleanup. */
export async function bystanders(url: string, track: (socket: Socket) => void) {
  const alice = await authenticated(url);
  const bob = await authenticated(url);
  track(alice.socket);
  track(bob.socket);
  return {
    async stillExchange(): Promise<void> {
      const envelope = envelopeTo(bob.address);
      const reply = await send(alice.socket, envelope);
      const received = await bob.inbox.next();
      if (JSON.stringify(reply) !== JSON.stringify({ ok: true, id: envelope.id, status: "stored" })) {
        throw new Error(`stillExchange: send answered ${JSON.stringify(reply)}`);
      }
      if (received.id !== envelope.id || received.ct !== envelope.ct) throw new Error("stillExchange: wrong envelope");
    },
  };
}

/** A `send` of whatever `payload` is, answered as the relay answers it: per envelope, or the batch refused. */
export function sendBatch(socket: Socket, payload: unknown): Promise<unknown> {
  return socket.timeout(WAIT_MS).emitWithAck("send", payload);
}

/** A `send` of one envelope (or one value in its place), answered with that envelope's result; a refusal of the whole batch as is. */
export async function send(socket: Socket, envelope: unknown): Promise<unknown> {
  const answer = await sendBatch(socket, [envelope]);
  if (typeof answer !== "object" || answer === null || !("results" in answer)) return answer;
  const { results } = answer;
  if (!Array.isArray(results) || results.length !== 1) throw new Error(`send: answered ${JSON.stringify(answer)}`);
  return results[0];
}

/** Resolves when the socket either answers a probe (so everything it sent before was handled) or is gone. */
export async function settled(socket: Socket): Promise<void> {
  if (socket.disconnected) return;
  await Promise.race([socket.timeout(WAIT_MS).emitWithAck("probe"), once(socket, "disconnect")]);
}
