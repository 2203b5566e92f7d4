import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { addressOf, generateIdentity, loadCrypto, type IdentityKeyPair } from "../../src/protocol/crypto";
import { encodeBase64Url } from "../../src/protocol/encoding";
import type { Envelope, MessageId } from "../../src/protocol/envelope";
import { ACK_DELAY_MS, MAX_BATCH_ENVELOPES } from "../../src/protocol/limits";
import { RELAY_EVENTS_VERSION } from "../../src/protocol/version";
import { createMemoryMailbox, DEFAULT_MEMORY_MAILBOX_LIMITS, type Mailbox } from "../../src/relay/mailbox";
import {
  connectRelay,
  type ConnectRelayOptions,
  type RelayClient,
  type RelayClientError,
  type RelayStatus,
} from "../../src/web/transport/relay-client";
import { authenticated, envelopeTo, relayHarness, WAIT_MS } from "./support";

const { relay } = relayHarness();
let clients: RelayClient[] = [];
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const client of clients) client.close();
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  clients = [];
  cleanups = [];
});

/** Resolves with the first value `check` accepts among those pushed later, or rejects after WAIT_MS. */
function signal<T>() {
  const seen: T[] = [];
  const waiters: { check: (value: T) => boolean; resolve: (value: T) => void }[] = [];
  return {
    seen,
    push(value: T): void {
      seen.push(value);
      for (const waiter of [...waiters]) {
        if (waiter.check(value)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(value);
        }
      }
    },
    when(check: (value: T) => boolean, what: string): Promise<T> {
      const found = seen.find(check);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`signal: no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
        waiters.push({
          check,
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
        });
      });
    },
  };
}

type TestClient = {
  client: RelayClient;
  identity: IdentityKeyPair;
  statuses: ReturnType<typeof signal<RelayStatus>>;
  received: ReturnType<typeof signal<Envelope>>;
  errors: ReturnType<typeof signal<RelayClientError>>;
  online(): Promise<RelayStatus>;
};

function client(
  url: string,
  identity = generateIdentity(),
  onEnvelope: (envelope: Envelope) => Promise<void> = () => Promise.resolve(),
  extra: Partial<ConnectRelayOptions> = {},
): TestClient {
  const statuses = signal<RelayStatus>();
  const received = signal<Envelope>();
  const errors = signal<RelayClientError>();
  const connected = connectRelay({
    url,
    identity,
    onEnvelope: async (envelope) => {
      await onEnvelope(envelope);
      received.push(envelope);
    },
    onStatus: (status) => statuses.push(status),
    onError: (error) => errors.push(error),
    retryDelayMs: 20,
    maxRetryDelayMs: 100,
    timeoutMs: 1_000,
    ...extra,
  });
  clients.push(connected);
  return {
    client: connected,
    identity,
    statuses,
    received,
    errors,
    online: () => statuses.when((status) => status === "online", "online status"),
  };
}

/** A mailbox whose acks tests can wait for. */
function watchedMailbox() {
  const memory = createMemoryMailbox(Date.now);
  const acked = signal<MessageId>();
  const mailbox: Mailbox = {
    ...memory,
    ack: async (address, ids) => {
      const removed = await memory.ack(address, ids);
      for (const id of ids) acked.push(id);
      return removed;
    },
  };
  return { mailbox, acked };
}

describe("relay client", () => {
  it("[RL1] two clients authenticate and exchange an envelope through the relay", async () => {
    const { url } = await relay();
    const alice = client(url);
    const bob = client(url);
    await Promise.all([alice.online(), bob.online()]);
    expect(alice.statuses.seen).toEqual(["connecting", "online"]);
    const envelope = envelopeTo(bob.client.address);
    expect(await alice.client.send(envelope)).toEqual({ ok: true, id: envelope.id, status: "stored" });
    expect(await bob.received.when((e) => e.id === envelope.id, "envelope")).toEqual(envelope);
  });

  it("[RL8] acks an envelope only after onEnvelope resolved", async () => {
    const { mailbox, acked } = watchedMailbox();
    const { url } = await relay({ mailbox });
    let release: () => void = () => undefined;
    const stored = new Promise<void>((resolve) => (release = resolve));
    const handed = signal<string>();
    const alice = client(url);
    const bob = client(url, generateIdentity(), async (envelope) => {
      handed.push(envelope.id);
      await stored;
    });
    await Promise.all([alice.online(), bob.online()]);
    const envelope = envelopeTo(bob.client.address);
    await alice.client.send(envelope);
    await handed.when((id) => id === envelope.id, "hand-over");
    expect(await mailbox.list(bob.client.address)).toEqual([envelope]);
    expect(acked.seen).toEqual([]);
    release();
    await acked.when((id) => id === envelope.id, "ack");
    expect(await mailbox.list(bob.client.address)).toEqual([]);
  });

  it("[RL8] an envelope whose handler failed is not acked and comes again on the next connection", async () => {
    const { url } = await relay();
    const alice = client(url);
    const bobIdentity = generateIdentity();
    const failing = client(url, bobIdentity, () => Promise.reject(new Error("disk full")));
    await Promise.all([alice.online(), failing.online()]);
    const envelope = envelopeTo(failing.client.address);
    await alice.client.send(envelope);
    expect(await failing.errors.when((e) => e.code === "handler-failed", "handler-failed")).toEqual({
      code: "handler-failed",
      id: envelope.id,
    });
    failing.client.close();
    const bob = client(url, bobIdentity);
    expect(await bob.received.when((e) => e.id === envelope.id, "redelivery")).toEqual(envelope);
  });

  it("[RL8] after a failed handler, the envelopes behind it wait and all come again in order, each stored once", async () => {
    const { url } = await relay();
    const alice = client(url);
    const bobIdentity = generateIdentity();
    await alice.online();
    // Bob is offline: three envelopes wait in his mailbox, and his first attempt to store the first one fails.
    const bobAddress = addressOf(bobIdentity.signing.publicKey);
    const envelopes = [envelopeTo(bobAddress), envelopeTo(bobAddress), envelopeTo(bobAddress)];
    for (const envelope of envelopes) await alice.client.send(envelope);
    let failures = 1;
    const handled: string[] = [];
    const bob = client(url, bobIdentity, async (envelope) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error("disk full");
      }
      handled.push(envelope.id);
    });
    await bob.errors.when((e) => e.code === "handler-failed", "handler-failed");
    await bob.received.when((e) => e.id === envelopes[2]!.id, "the last envelope");
    expect(handled).toEqual(envelopes.map((e) => e.id));
  });

  it("[RL8] acks a large mailbox in batches, so the relay's rate limit drops none and nothing is redelivered", async () => {
    const { mailbox, acked } = watchedMailbox();
    const { url } = await relay({ mailbox });
    const bobIdentity = generateIdentity();
    const bobAddress = addressOf(bobIdentity.signing.publicKey);
    // 600 envelopes wait: three times the rate limit's burst if each were acked on its own.
    await mailbox.put(Array.from({ length: 600 }, () => envelopeTo(bobAddress, 32)));
    const bob = client(url, bobIdentity);
    await bob.received.when(() => bob.received.seen.length === 600, "600 envelopes");
    await acked.when(() => acked.seen.length === 600, "600 acks");
    expect(await mailbox.list(bobAddress)).toEqual([]);
    expect(bob.errors.seen).toEqual([]);
  });

  it("[RL9] keeps an unacknowledged send and delivers it once the relay is back", async () => {
    const first = await relay();
    const alice = client(first.url);
    const bob = client(first.url);
    await Promise.all([alice.online(), bob.online()]);
    await first.close();
    await alice.statuses.when((status) => status === "connecting", "connecting after the relay stopped");
    const envelope = envelopeTo(bob.client.address);
    const sending = alice.client.send(envelope);
    // The same id again shares the pending send rather than queueing a copy.
    const again = alice.client.send(envelope);

    await relay({}, first.port);
    expect(await sending).toEqual({ ok: true, id: envelope.id, status: "stored" });
    expect(await again).toEqual({ ok: true, id: envelope.id, status: "stored" });
    expect(await bob.received.when((e) => e.id === envelope.id, "envelope after restart")).toEqual(envelope);
    expect(alice.statuses.seen.filter((status) => status === "online")).toHaveLength(2);
  });

  it("[RL9] retries a send refused as mailbox-full, and it is stored once the recipient has acked", async () => {
    const memory = createMemoryMailbox(Date.now, { ...DEFAULT_MEMORY_MAILBOX_LIMITS, maxEnvelopes: 1 });
    const refused = signal<MessageId>();
    const mailbox: Mailbox = {
      ...memory,
      put: async (envelopes) => {
        const results = await memory.put(envelopes);
        for (const [i, result] of results.entries()) if (!result.ok) refused.push(envelopes[i]!.id);
        return results;
      },
    };
    const { url } = await relay({ mailbox });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const alice = client(url);
    // Bob keeps the first envelope unacked, so it fills his one-envelope mailbox.
    const bob = client(url, generateIdentity(), () => held);
    await Promise.all([alice.online(), bob.online()]);
    const first = envelopeTo(bob.client.address);
    const second = envelopeTo(bob.client.address);
    expect(await alice.client.send(first)).toEqual({ ok: true, id: first.id, status: "stored" });

    let settled = false;
    const sending = alice.client.send(second).finally(() => (settled = true));
    const refusals = () => refused.seen.filter((id) => id === second.id).length;
    await refused.when(() => refusals() >= 3, "a send refused as mailbox-full, then retried twice");
    expect(settled).toBe(false);
    release();
    expect(await sending).toEqual({ ok: true, id: second.id, status: "stored" });
    expect(await bob.received.when((e) => e.id === second.id, "the retried envelope")).toEqual(second);
    expect(bob.received.seen.map((e) => e.id)).toEqual([first.id, second.id]);
  });

  it("[RL14][RL13] sends handed over in one turn leave together, packed by the batch limits, and come in one push each", async () => {
    const memory = createMemoryMailbox(Date.now);
    const batches: number[] = [];
    const mailbox: Mailbox = {
      ...memory,
      put: (envelopes) => {
        batches.push(envelopes.length);
        return memory.put(envelopes);
      },
    };
    const { url } = await relay({ mailbox });
    const alice = client(url);
    const bob = await authenticated(url);
    const pushes: number[] = [];
    bob.socket.on("envelopes", (envelopes: unknown[]) => pushes.push(envelopes.length));
    await alice.online();
    const envelopes = Array.from({ length: MAX_BATCH_ENVELOPES + 8 }, () => envelopeTo(bob.address));
    const results = await Promise.all(envelopes.map((envelope) => alice.client.send(envelope)));
    expect(results).toEqual(envelopes.map((envelope) => ({ ok: true, id: envelope.id, status: "stored" })));
    expect(batches).toEqual([MAX_BATCH_ENVELOPES, 8]);
    for (const envelope of envelopes) expect(await bob.inbox.next()).toEqual(envelope);
    expect(pushes).toEqual([MAX_BATCH_ENVELOPES, 8]);
    bob.socket.disconnect();
  });

  it("[EN11][RL11] refuses locally what the relay would refuse, and resolves pending sends on close", async () => {
    const { url } = await relay();
    const alice = client(url);
    const bad = { ...envelopeTo(alice.client.address), ct: "" };
    expect(await alice.client.send(bad)).toMatchObject({ ok: false, error: { code: "malformed", id: bad.id } });
    alice.client.close();
    expect(await alice.client.send(envelopeTo(alice.client.address))).toMatchObject({
      ok: false,
      error: { code: "unauthenticated" },
    });
    expect(alice.client.status()).toBe("offline");
  });
});

/** A scripted relay, to make the client meet what a real relay never does. */
async function scriptedRelay(script: (socket: Socket, origin: string) => void) {
  await loadCrypto();
  const httpServer = createServer();
  const server = new Server(httpServer, { transports: ["websocket"] });
  const events = signal<{ name: string; args: unknown[] }>();
  let url = "";
  server.on("connection", (socket) => {
    socket.onAny((name: string, ...args: unknown[]) => events.push({ name, args }));
    script(socket, url);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  cleanups.push(() => server.close());
  return { url, events };
}

describe("relay client against a misbehaving relay", () => {
  it("[AU10] refuses to sign a challenge for another origin", async () => {
    const { url, events } = await scriptedRelay((socket) => {
      socket.emit("challenge", { v: RELAY_EVENTS_VERSION, nonce: "A".repeat(43), origin: "https://evil.example" });
    });
    const alice = client(url);
    expect(await alice.errors.when((e) => e.code === "origin-mismatch", "origin-mismatch")).toEqual({
      code: "origin-mismatch",
      expected: url,
      received: "https://evil.example",
    });
    expect(events.seen.map((event) => event.name)).not.toContain("auth");
    expect(alice.client.status()).toBe("offline");
  });

  it("[RL9][RL12] sends again only the envelopes of a batch refused with a transient code", async () => {
    const identity = generateIdentity();
    const address = addressOf(identity.signing.publicKey);
    const { url, events } = await scriptedRelay((socket, origin) => {
      socket.emit("challenge", { v: RELAY_EVENTS_VERSION, nonce: encodeBase64Url(new Uint8Array(32)), origin });
      socket.on("auth", (_response: unknown, reply: (result: unknown) => void) => reply({ ok: true, address }));
      let sends = 0;
      socket.on("send", (envelopes: Envelope[], reply: (result: unknown) => void) => {
        sends += 1;
        const refuse = (envelope: Envelope, code: string) => ({
          ok: false,
          error: { code, message: "no", event: "send", id: envelope.id },
        });
        reply({
          ok: true,
          results: envelopes.map((envelope, i) =>
            sends === 1 && (i === 1 || i === 2)
              ? refuse(envelope, i === 1 ? "rate-limited" : "unavailable")
              : sends === 1 && i === 3
                ? refuse(envelope, "too-large")
                : { ok: true, id: envelope.id, status: "stored" },
          ),
        });
      });
    });
    const alice = client(url, identity);
    await alice.online();
    const [first, second, third, fourth] = [1, 2, 3, 4].map(() => envelopeTo(address)) as [
      Envelope,
      Envelope,
      Envelope,
      Envelope,
    ];
    const results = await Promise.all([first, second, third, fourth].map((envelope) => alice.client.send(envelope)));
    expect(results).toEqual([
      { ok: true, id: first.id, status: "stored" },
      { ok: true, id: second.id, status: "stored" },
      { ok: true, id: third.id, status: "stored" },
      { ok: false, error: expect.objectContaining({ code: "too-large", id: fourth.id }) },
    ]);
    // The two answered "later" wait together and leave again in one batch.
    const sent = events.seen.filter((event) => event.name === "send").map((event) => event.args[0]);
    expect(sent).toEqual([
      [first, second, third, fourth],
      [second, third],
    ]);
  });

  it("[RL8] acks a stream of envelopes together, within ACK_DELAY_MS of the first, and what it holds when closed", async () => {
    const identity = generateIdentity();
    const address = addressOf(identity.signing.publicKey);
    const stream = [envelopeTo(address), envelopeTo(address), envelopeTo(address)];
    const last = envelopeTo(address);
    let push: (envelope: Envelope) => void = () => undefined;
    const { url, events } = await scriptedRelay((socket, origin) => {
      socket.emit("challenge", { v: RELAY_EVENTS_VERSION, nonce: encodeBase64Url(new Uint8Array(32)), origin });
      socket.on("auth", (_response: unknown, reply: (result: unknown) => void) => reply({ ok: true, address }));
      push = (envelope) => socket.emit("envelopes", [envelope]);
    });
    const bob = client(url, identity);
    await bob.online();
    // One push every 50 ms: each its own event, all within the first one's ACK_DELAY_MS.
    for (const envelope of stream) {
      push(envelope);
      await bob.received.when((e) => e.id === envelope.id, "the envelope");
      await new Promise((resolve) => setTimeout(resolve, ACK_DELAY_MS / 5));
    }
    const acks = () => events.seen.filter((event) => event.name === "ack").map((event) => event.args);
    await events.when(() => acks().length >= 1, "an ack");
    expect(acks()).toEqual([[stream.map((e) => e.id)]]);
    // Closing does not drop an ack it holds.
    push(last);
    await bob.received.when((e) => e.id === last.id, "the last envelope");
    await new Promise((resolve) => setImmediate(resolve));
    bob.client.close();
    await events.when(() => acks().length >= 2, "the held ack");
    expect(acks()[1]).toEqual([[last.id]]);
  });

  it("[RL8] when a handler fails, the acks held for the envelopes stored before it still go out", async () => {
    const identity = generateIdentity();
    const address = addressOf(identity.signing.publicKey);
    const [stored, failing] = [envelopeTo(address), envelopeTo(address)];
    const { url, events } = await scriptedRelay((socket, origin) => {
      socket.emit("challenge", { v: RELAY_EVENTS_VERSION, nonce: encodeBase64Url(new Uint8Array(32)), origin });
      socket.on("auth", (_response: unknown, reply: (result: unknown) => void) => {
        reply({ ok: true, address });
        socket.emit("envelopes", [stored, failing]);
      });
    });
    const bob = client(url, identity, (envelope) =>
      envelope.id === failing.id ? Promise.reject(new Error("disk full")) : Promise.resolve(),
    );
    await bob.errors.when((e) => e.code === "handler-failed", "handler-failed");
    await events.when((event) => event.name === "ack", "the held ack");
    expect(events.seen.filter((event) => event.name === "ack").map((event) => event.args)).toEqual([[[stored.id]]]);
  });

  it("[RL10] hands a redelivered id to the app once, and acks it each time", async () => {
    const identity = generateIdentity();
    const address = addressOf(identity.signing.publicKey);
    const envelope = envelopeTo(address);
    const { url, events } = await scriptedRelay((socket, origin) => {
      socket.emit("challenge", { v: RELAY_EVENTS_VERSION, nonce: encodeBase64Url(new Uint8Array(32)), origin });
      socket.on("auth", (_response: unknown, reply: (result: unknown) => void) => {
        reply({ ok: true, address });
        socket.emit("envelopes", [envelope, { ...envelope, to: addressOf(generateIdentity().signing.publicKey) }]);
        socket.emit("envelopes", [envelope]);
      });
      // Pushes the envelope once more after the first ack, as a relay may after a reconnect.
      let acks = 0;
      socket.on("ack", () => {
        acks += 1;
        if (acks === 1) socket.emit("envelopes", [envelope]);
      });
    });
    const bob = client(url, identity);
    await bob.errors.when((e) => e.code === "bad-envelope", "bad-envelope for a foreign recipient");
    const acks = () => events.seen.filter((event) => event.name === "ack");
    await events.when(() => acks().length >= 2, "two acks");
    expect(acks().map((event) => event.args)).toEqual([[[envelope.id]], [[envelope.id]]]);
    expect(bob.received.seen).toEqual([envelope]);
  });
});
