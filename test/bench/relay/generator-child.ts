/**
 * A load generator process: holds sender/receiver pairs (both ends of a pair
 * in this process, so send→receive latency uses one clock), or a crowd of
 * idle connections. Driven by the orchestrator over IPC.
 */
import { randomBytes } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { authMessage } from "../../../src/protocol/auth";
import {
  addressOf,
  generateIdentity,
  loadCrypto,
  signEd25519,
  type IdentityKeyPair,
} from "../../../src/protocol/crypto";
import { encodeBase64Url } from "../../../src/protocol/encoding";
import { packBatches } from "../../../src/protocol/batch";
import { ACK_DELAY_MS, MAX_ACK_IDS } from "../../../src/protocol/limits";
import { RELAY_EVENTS_VERSION } from "../../../src/protocol/version";
import { emitEvent, serveRpc } from "./ipc";
import { PAYLOAD_BYTES, messageId, percentile, sentAtOf, type ClientKind } from "./workload";

type Envelope = { readonly v: 1; readonly to: string; readonly id: string; readonly ct: string };
type Done = (ok: boolean) => void;
type Sender = { send(envelope: Envelope, done: Done): void; close(): void };
type Closable = { close(): void };

const CONNECT_TIMEOUT_MS = 20_000;
const CT = randomBytes(PAYLOAD_BYTES).toString("base64url");

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function wsUrl(url: string, id: string): string {
  return `${url.replace(/^http/, "ws")}/?id=${encodeURIComponent(id)}`;
}

function openWs(url: string, id: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(url, id), { perMessageDeflate: false });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
  });
}

function openSio(url: string, auth?: { id: string }): Socket {
  return io(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    timeout: CONNECT_TIMEOUT_MS,
    ...(auth === undefined ? {} : { auth }),
  });
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
}

type Challenge = { nonce: string; origin: string };

/**
 * Connects and authenticates as Parley's web client does: challenge → sign authMessage(origin, nonce) → `auth`.
 * `prepare` adds listeners before anything can arrive.
 */
async function openParley(url: string, identity: IdentityKeyPair, prepare?: (socket: Socket) => void): Promise<Socket> {
  const socket = openSio(url);
  prepare?.(socket);
  const challenge = new Promise<Challenge>((resolve, reject) => {
    socket.once("challenge", resolve);
    socket.once("connect_error", reject);
    socket.once("disconnect", (reason) => reject(new Error(`disconnected before the challenge: ${reason}`)));
  });
  const { nonce, origin } = await challenge;
  const response = {
    v: RELAY_EVENTS_VERSION,
    address: addressOf(identity.signing.publicKey),
    signature: encodeBase64Url(signEd25519(identity.signing.secretKey, authMessage(origin, nonce))),
  };
  const reply: unknown = await socket.timeout(CONNECT_TIMEOUT_MS).emitWithAck("auth", response);
  if (typeof reply !== "object" || reply === null || !("ok" in reply) || reply.ok !== true) {
    socket.disconnect();
    throw new Error(`parley refused auth: ${JSON.stringify(reply)}`);
  }
  return socket;
}

function isStored(reply: unknown): boolean {
  return typeof reply === "object" && reply !== null && "ok" in reply && reply.ok === true;
}

async function connectSender(kind: ClientKind, url: string, index: number, identity: IdentityKeyPair) {
  if (kind === "ws") {
    const socket = await openWs(url, `s${index}`);
    const waiting: Done[] = [];
    // The forwarder answers each frame in order on one socket, so answers match sends first-in, first-out.
    socket.on("message", (data: Buffer) => waiting.shift()?.(isStored(JSON.parse(data.toString()))));
    const sender: Sender = {
      send(envelope, done) {
        waiting.push(done);
        socket.send(JSON.stringify(envelope));
      },
      close: () => socket.terminate(),
    };
    return sender;
  }
  if (kind === "parley") return batchingSender(await openParley(url, identity));
  const socket = openSio(url, { id: `s${index}` });
  await connected(socket);
  const sender: Sender = {
    send(envelope, done) {
      socket.emit("send", envelope, (reply: unknown) => done(isStored(reply)));
    },
    close: () => socket.disconnect(),
  };
  return sender;
}

/**
 * Parley's sender does what the web client's outbox does: envelopes handed over in the same turn leave in one
 * `send`, packed by the protocol's batch limits, and each is answered on its own.
 */
function batchingSender(socket: Socket): Sender {
  type Queued = { readonly envelope: Envelope; readonly done: Done };
  let queued: Queued[] = [];
  const flush = (): void => {
    const items = queued;
    queued = [];
    for (const batch of packBatches(items, (item) => item.envelope.ct.length)) {
      emitted.events += 1;
      emitted.envelopes += batch.length;
      socket.emit(
        "send",
        batch.map((item) => item.envelope),
        (reply: unknown) => {
          const results = storedFlags(reply, batch.length);
          batch.forEach((item, i) => item.done(results[i] === true));
        },
      );
    }
  };
  return {
    send(envelope, done) {
      if (queued.length === 0) queueMicrotask(flush);
      queued.push({ envelope, done });
    },
    close: () => socket.disconnect(),
  };
}

/** Which envelopes of a batch the relay answered "stored". */
function storedFlags(reply: unknown, count: number): boolean[] {
  if (!isStored(reply) || typeof reply !== "object" || reply === null || !("results" in reply)) {
    return new Array<boolean>(count).fill(false);
  }
  const results = Array.isArray(reply.results) ? (reply.results as unknown[]) : [];
  return Array.from({ length: count }, (_, i) => isStored(results[i]));
}

/** Receivers hand each envelope's id to `onEnvelope`; Parley's also ack, batched as the web client does (RL8). */
async function connectReceiver(
  kind: ClientKind,
  url: string,
  identity: IdentityKeyPair,
  onEnvelope: (id: string) => void,
): Promise<Closable> {
  const address = addressOf(identity.signing.publicKey);
  if (kind === "ws") {
    const socket = await openWs(url, address);
    socket.on("message", (data: Buffer) => onEnvelope((JSON.parse(data.toString()) as Envelope).id));
    return { close: () => socket.terminate() };
  }
  if (kind === "sio") {
    const socket = openSio(url, { id: address });
    socket.on("envelope", (envelope: Envelope) => onEnvelope(envelope.id));
    await connected(socket);
    return { close: () => socket.disconnect() };
  }
  let pending: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const socket = await openParley(url, identity, (opening) => {
    opening.on("envelopes", (envelopes: Envelope[]) => {
      for (const envelope of envelopes) {
        onEnvelope(envelope.id);
        pending.push(envelope.id);
        if (pending.length >= MAX_ACK_IDS) flush();
        else timer ??= setTimeout(flush, ACK_DELAY_MS);
      }
    });
  });
  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    socket.emit("ack", batch);
  }
  return { close: () => socket.disconnect() };
}

/** Runs `open` for `count` items, at most `concurrency` at a time; returns how many failed. */
async function openAll(count: number, concurrency: number, open: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        await open(i);
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return failed;
}

/** `send` events and the envelopes they carried, so far (Parley's senders batch; the baselines send one per event). */
const emitted = { events: 0, envelopes: 0 };
const envelopesPerEvent = (from: { events: number; envelopes: number }): number =>
  emitted.events === from.events ? 1 : (emitted.envelopes - from.envelopes) / (emitted.events - from.events);

// State of this generator.
let senders: Sender[] = [];
let receivers: Closable[] = [];
const idle: Closable[] = [];
let offset = 0;
let delivered = 0;
let onDelivered: ((id: string) => void) | undefined;

const deliver = (id: string): void => {
  delivered += 1;
  onDelivered?.(id);
};

let sequence = 0;
function envelopeFor(sender: number, to: string): Envelope {
  return { v: 1, to, id: messageId(offset + sender, ++sequence, performance.now()), ct: CT };
}

let destinations: string[] = [];

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

export type SetupParams = {
  kind: ClientKind;
  senderUrl: string;
  receiverUrl: string;
  pairs: number;
  offset: number;
};

export type SaturateParams = { warmupMs: number; durationMs: number; window: number; drainMs: number };
export type SaturateResult = {
  delivered: number;
  ms: number;
  generatorCpuMs: number;
  sent: number;
  refused: number;
  /** Sent and not received by the end of the drain. */
  undelivered: number;
  /** Envelopes per `send` event in the window. */
  envelopesPerEvent: number;
};

export type PacedParams = { rate: number; warmupMs: number; durationMs: number; drainMs: number };
export type PacedResult = {
  samples: number;
  sentInWindow: number;
  achievedRate: number;
  refused: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  generatorCpuMs: number;
  envelopesPerEvent: number;
  /** Every sample, in ms, sorted (the orchestrator merges generators). */
  latencies: number[];
  /** Send → the server's acknowledgement at the sender, in ms, sorted. */
  ackLatencies: number[];
};

export type IdleParams = { kind: ClientKind; url: string; count: number; concurrency: number };
export type IdleResult = { opened: number; failed: number; ms: number };

serveRpc({
  setup: async (params) => {
    const p = params as SetupParams;
    await loadCrypto();
    offset = p.offset;
    const ids = Array.from({ length: p.pairs }, () => ({ sender: generateIdentity(), receiver: generateIdentity() }));
    destinations = ids.map(({ receiver }) => addressOf(receiver.signing.publicKey));
    receivers = await Promise.all(ids.map(({ receiver }) => connectReceiver(p.kind, p.receiverUrl, receiver, deliver)));
    senders = await Promise.all(ids.map(({ sender }, i) => connectSender(p.kind, p.senderUrl, p.offset + i, sender)));
    // Let every join (and, across instances, the adapter's view of it) settle before load.
    await sleep(200);
    return null;
  },

  /** Closed loop: each sender keeps `window` sends awaiting the server's acknowledgement. */
  saturate: async (params): Promise<SaturateResult> => {
    const p = params as SaturateParams;
    const startDelivered = delivered;
    let running = true;
    let sent = 0;
    let refused = 0;
    const inFlight = senders.map(() => 0);
    const pump = (i: number): void => {
      const sender = senders[i]!;
      while (running && inFlight[i]! < p.window) {
        inFlight[i]! += 1;
        sent += 1;
        sender.send(envelopeFor(i, destinations[i]!), (ok) => {
          inFlight[i]! -= 1;
          if (!ok) refused += 1;
          pump(i);
        });
      }
    };
    senders.forEach((_, i) => pump(i));
    await sleep(p.warmupMs);
    const d0 = delivered;
    const e0 = { ...emitted };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    emitEvent("window-start");
    await sleep(p.durationMs);
    const d1 = delivered;
    const perEvent = envelopesPerEvent(e0);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    emitEvent("window-end");
    running = false;
    await until(() => inFlight.every((n) => n === 0) && delivered - startDelivered >= sent - refused, p.drainMs);
    return {
      delivered: d1 - d0,
      ms: t1 - t0,
      generatorCpuMs: (cpu.user + cpu.system) / 1000,
      sent,
      refused,
      undelivered: sent - refused - (delivered - startDelivered),
      envelopesPerEvent: perEvent,
    };
  },

  /** Open loop at a fixed total rate, spread evenly over the pairs; latency is recorded at the receiver. */
  paced: async (params): Promise<PacedResult> => {
    const p = params as PacedParams;
    const start = performance.now();
    const windowStart = start + p.warmupMs;
    const windowEnd = windowStart + p.durationMs;
    const latencies = new Float64Array(Math.ceil((p.rate * p.durationMs) / 1000) * 2 + 1_000);
    const ackLatencies = new Float64Array(latencies.length);
    let acks = 0;
    let samples = 0;
    let issued = 0;
    let sentInWindow = 0;
    let refused = 0;
    onDelivered = (id) => {
      const sentAt = sentAtOf(id);
      if (sentAt >= windowStart && sentAt < windowEnd && samples < latencies.length) {
        latencies[samples++] = performance.now() - sentAt;
      }
    };
    let cpu0 = process.cpuUsage();
    let cpuMs = 0;
    let windowOpen = false;
    let e0 = { ...emitted };
    let perEvent = 1;
    await new Promise<void>((resolve) => {
      const ticker = setInterval(() => {
        const now = performance.now();
        if (!windowOpen && now >= windowStart) {
          windowOpen = true;
          cpu0 = process.cpuUsage();
          e0 = { ...emitted };
          emitEvent("window-start");
        }
        if (now >= windowEnd) {
          const cpu = process.cpuUsage(cpu0);
          cpuMs = (cpu.user + cpu.system) / 1000;
          perEvent = envelopesPerEvent(e0);
          emitEvent("window-end");
          clearInterval(ticker);
          resolve();
          return;
        }
        const due = Math.floor(((now - start) * p.rate) / 1000);
        while (issued < due) {
          const i = issued % senders.length;
          issued += 1;
          const envelope = envelopeFor(i, destinations[i]!);
          const sentAt = sentAtOf(envelope.id);
          const inWindow = sentAt >= windowStart;
          if (inWindow) sentInWindow += 1;
          senders[i]!.send(envelope, (ok) => {
            if (!ok) refused += 1;
            if (inWindow && acks < ackLatencies.length) ackLatencies[acks++] = performance.now() - sentAt;
          });
        }
      }, 1);
    });
    await until(() => samples >= sentInWindow, p.drainMs);
    onDelivered = undefined;
    const sorted = latencies.subarray(0, samples).sort();
    const ackSorted = ackLatencies.subarray(0, acks).sort();
    return {
      samples,
      sentInWindow,
      achievedRate: (sentInWindow * 1000) / p.durationMs,
      refused,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      max: percentile(sorted, 100),
      generatorCpuMs: cpuMs,
      envelopesPerEvent: perEvent,
      latencies: Array.from(sorted),
      ackLatencies: Array.from(ackSorted),
    };
  },

  /** Opens `count` idle connections (authenticated for Parley) and holds them until this process ends. */
  idle: async (params): Promise<IdleResult> => {
    const p = params as IdleParams;
    await loadCrypto();
    const identities = p.kind === "parley" ? Array.from({ length: p.count }, () => generateIdentity()) : [];
    const started = performance.now();
    const tag = randomBytes(4).toString("hex");
    const failed = await openAll(p.count, p.concurrency, async (i) => {
      if (p.kind === "ws") {
        const socket = await openWs(p.url, `idle-${tag}-${i}`);
        idle.push({ close: () => socket.terminate() });
      } else if (p.kind === "sio") {
        const socket = openSio(p.url, { id: `idle-${tag}-${i}` });
        await connected(socket);
        idle.push({ close: () => socket.disconnect() });
      } else {
        const socket = await openParley(p.url, identities[i]!);
        idle.push({ close: () => socket.disconnect() });
      }
    });
    return { opened: p.count - failed, failed, ms: performance.now() - started };
  },

  stop: async () => {
    for (const client of [...senders, ...receivers, ...idle]) client.close();
    setImmediate(() => process.exit(0));
    return null;
  },
});
emitEvent("ready", { pid: process.pid });
