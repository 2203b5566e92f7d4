import type { Socket } from "socket.io-client";
import { describe, expect, it, vi } from "vitest";
import { addressOf, generateIdentity } from "../../src/protocol/crypto";
import { RELAY_ERROR_CODES } from "../../src/protocol/errors";
import { parseAckIds } from "../../src/protocol/validate";
import { createMemoryMailbox, type Mailbox } from "../../src/relay/mailbox";
import {
  bystanders,
  createPrng,
  envelopeTo,
  messageId,
  once,
  relayHarness,
  send,
  sendBatch,
  settled,
  WAIT_MS,
} from "./support";

const { relay, peer, client: raw, track } = relayHarness();

/**
 * One argument, shaped as the contract answers: `{ ok: false, error }`, `{ ok: true, address }` for `auth`, or for
 * `send` `{ ok: true, results }` with one `{ ok: true, id, status: "stored" }` or `{ ok: false, error }` per envelope.
 */
function isTypedAnswer(reply: unknown[] | undefined): boolean {
  return reply?.length === 1 && isTypedResult(reply[0], true);
}

function isTypedResult(result: unknown, batch: boolean): boolean {
  if (typeof result !== "object" || result === null) return false;
  const fields = result as Record<string, unknown>;
  if (fields["ok"] === true) {
    const keys = Object.keys(fields).sort().join();
    if (keys === "id,ok,status") return fields["status"] === "stored";
    if (keys === "address,ok") return typeof fields["address"] === "string";
    const results = fields["results"];
    return batch && keys === "ok,results" && Array.isArray(results) && results.every((r) => isTypedResult(r, false));
  }
  const error = fields["error"];
  if (fields["ok"] !== false || Object.keys(fields).length !== 2 || typeof error !== "object" || error === null) {
    return false;
  }
  const { code, message } = error as Record<string, unknown>;
  return RELAY_ERROR_CODES.some((known) => known === code) && typeof message === "string";
}

async function assertExchange(url: string): Promise<void> {
  const alice = await peer(url);
  const bob = await peer(url);
  const envelope = envelopeTo(bob.address);
  expect(await send(alice.socket, envelope)).toEqual({ ok: true, id: envelope.id, status: "stored" });
  expect(await bob.inbox.next()).toEqual(envelope);
}

describe("relay errors and robustness", () => {
  it("[ER2] answers unknown events with unknown-event, by callback or by relay:error", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const alice = await peer(url);
    expect(await alice.socket.timeout(3000).emitWithAck("subscribe", { room: "all" })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: "unknown-event", event: "subscribe" }),
    });
    alice.socket.emit("envelopes", [envelopeTo(alice.address)]);
    expect(await once(alice.socket, "relay:error")).toMatchObject({ code: "unknown-event", event: "envelopes" });
    // Unknown events are refused before authentication is checked.
    const stranger = raw(url);
    await once(stranger, "challenge");
    stranger.emit("x".repeat(500));
    expect(await once(stranger, "relay:error")).toMatchObject({ code: "unknown-event", event: "x".repeat(64) });
    await others.stillExchange();
  });

  it("[ER1] reports errors of events sent without a callback as relay:error", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    alice.socket.emit("send", envelopeTo(alice.address));
    expect(await once(alice.socket, "relay:error")).toMatchObject({
      code: "malformed",
      event: "send",
      message: expect.any(String),
    });
    alice.socket.emit("ack", "not a list");
    expect(await once(alice.socket, "relay:error")).toMatchObject({ code: "malformed", event: "ack" });
  });

  it("[ER1][EN9] answers each envelope of a send on its own, in order, carrying the id of a refused one", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    const bob = await peer(url);
    const first = envelopeTo(bob.address);
    const wrongVersion = { ...envelopeTo(bob.address), v: 9 };
    const last = envelopeTo(bob.address);
    expect(await sendBatch(alice.socket, [first, wrongVersion, "not an envelope", last])).toEqual({
      ok: true,
      results: [
        { ok: true, id: first.id, status: "stored" },
        {
          ok: false,
          error: expect.objectContaining({ code: "unsupported-version", event: "send", id: wrongVersion.id }),
        },
        { ok: false, error: expect.objectContaining({ code: "malformed", event: "send" }) },
        { ok: true, id: last.id, status: "stored" },
      ],
    });
    expect(await bob.inbox.next()).toEqual(first);
    expect(await bob.inbox.next()).toEqual(last);
  });

  it("[ER3] refuses events with a missing or extra argument, or a callback that is not a function", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    expect(await alice.socket.timeout(3000).emitWithAck("send")).toMatchObject({
      ok: false,
      error: { code: "malformed", event: "send" },
    });
    const envelope = envelopeTo(alice.address);
    expect(await alice.socket.timeout(3000).emitWithAck("send", envelope, "extra")).toMatchObject({
      ok: false,
      error: { code: "malformed" },
    });
    alice.socket.emit("send", envelope, "not a callback");
    expect(await once(alice.socket, "relay:error")).toMatchObject({ code: "malformed" });
    alice.socket.emit("ack", [messageId()], { nested: { deeper: [1, 2, { x: null }] } });
    expect(await once(alice.socket, "relay:error")).toMatchObject({ code: "malformed", event: "ack" });
  });

  it("[ER4] a failing mailbox is answered with unavailable, logged without content, and the relay keeps serving", async () => {
    const memory = createMemoryMailbox(Date.now);
    let broken = true;
    const flaky: Mailbox = {
      ...memory,
      put: (envelopes) =>
        broken ? Promise.reject(new Error(`disk on fire: ${envelopes[0]?.ct}`)) : memory.put(envelopes),
    };
    const { url, logs } = await relay({ mailbox: flaky });
    const alice = await peer(url);
    const envelope = envelopeTo(alice.address);
    expect(await send(alice.socket, envelope)).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect(logs.text()).toContain("handler-failed");
    expect(logs.text()).not.toContain(envelope.ct);
    broken = false;
    expect(await send(alice.socket, envelope)).toMatchObject({ ok: true });
  });

  it("[ER4] survives thousands of random-shaped events and keeps serving", async () => {
    const { url, logs, relay: running } = await relay({ rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } });
    let received = 0;
    running.io.on("connection", (socket) => socket.onAny(() => (received += 1)));
    const random = createPrng(0x5eed).float;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const target = addressOf(generateIdentity().signing.publicKey);
    const text = (max: number): string =>
      Array.from({ length: Math.floor(random() * max) }, () => String.fromCharCode(Math.floor(random() * 0x3000))).join(
        "",
      );
    const value = (depth: number): unknown => {
      switch (Math.floor(random() * (depth > 3 ? 6 : 9))) {
        case 0:
          return null;
        case 1:
          return pick([0, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e308, true, false]);
        case 2:
          return text(40);
        case 3:
          return pick([envelopeTo(target), envelopeTo(target, 1), messageId(), target, "x".repeat(70_000)]);
        case 4: {
          const base: Record<string, unknown> = { ...envelopeTo(target) };
          base[pick(["v", "to", "id", "ct", "__proto__", "constructor", text(8)])] = value(depth + 1);
          return base;
        }
        case 5:
          return JSON.parse('{"__proto__":{"polluted":true},"v":1}');
        case 6:
          return Array.from({ length: Math.floor(random() * 5) }, () => value(depth + 1));
        case 7: {
          const object: Record<string, unknown> = {};
          for (let i = 0; i < random() * 5; i++) object[text(6)] = value(depth + 1);
          return object;
        }
        default:
          return { v: 1, address: target, signature: text(90) };
      }
    };
    const events = [
      "auth",
      "send",
      "ack",
      "envelopes",
      "challenge",
      "relay:error",
      "probe",
      "__proto__",
      "constructor",
    ];

    /**
     * The answers to each event sent with a callback. A well-formed `ack` from an authenticated socket has no answer
     * (`silent`); every other one has exactly one, unless its socket was closed mid-round.
     */
    const answers: { socket: Socket; name: string; silent: boolean; replies: unknown[][] }[] = [];
    for (let round = 0; round < 40; round++) {
      const stranger = raw(url);
      const challenged = once(stranger, "challenge");
      const fuzzers = [stranger, (await peer(url)).socket];
      await challenged;
      for (const socket of fuzzers) {
        const authenticated = socket !== stranger;
        for (let i = 0; i < 50; i++) {
          const args = Array.from({ length: Math.floor(random() * 3) }, () => value(0));
          const name = random() < 0.9 ? pick(events) : text(20) || "y";
          if (random() < 0.5) {
            const replies: unknown[][] = [];
            const silent = authenticated && name === "ack" && args.length === 1 && parseAckIds(args[0]).ok;
            answers.push({ socket, name, silent, replies });
            socket.emit(name, ...args, (...reply: unknown[]) => replies.push(reply));
          } else {
            socket.emit(name, ...args);
          }
        }
      }
      await Promise.all(fuzzers.map(settled));
      // A socket still open has every callback answered (a handler may finish after the probe's answer).
      await vi.waitFor(
        () => {
          const unanswered = answers.filter((a) => a.socket.connected && !a.silent && a.replies.length === 0);
          expect(unanswered.map((a) => a.name)).toEqual([]);
        },
        { timeout: WAIT_MS },
      );
      for (const socket of fuzzers) socket.disconnect();
    }
    const answered = answers.filter((a) => a.replies.length > 0);
    expect(answers.length).toBeGreaterThan(1_500);
    expect(answered.length).toBeGreaterThan(1_000);
    // Every callback is called at most once (never for an accepted ack), with exactly one typed result.
    expect(answers.filter((a) => a.replies.length > 1).map((a) => [a.name, a.replies])).toEqual([]);
    expect(answers.filter((a) => a.silent && a.replies.length > 0).map((a) => [a.name, a.replies])).toEqual([]);
    expect(answered.map((a) => a.replies[0]).filter((reply) => !isTypedAnswer(reply))).toEqual([]);
    // Sockets closed mid-round (a failed auth, an oversized frame) drop the rest of their round.
    expect(received).toBeGreaterThan(2_500);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    // Refusals are expected; a handler or dispatch failure would be a bug.
    expect(logs.lines.filter((line) => /failed/.test(String(line.fields["event"])))).toEqual([]);
    // Client-chosen event names never reach the logs.
    const loggedNames = new Set(logs.lines.map((line) => line.fields["name"]).filter((name) => name !== undefined));
    expect([...loggedNames].filter((name) => !["auth", "send", "ack", "other"].includes(String(name)))).toEqual([]);
    await assertExchange(url);
  });

  it("[ER5] log lines carry no ciphertext and no whole address", async () => {
    const { url, logs } = await relay({ mailboxLimits: { maxEnvelopes: 1 } });
    const alice = await peer(url);
    const bob = await peer(url);
    const envelopes = [envelopeTo(bob.address), envelopeTo(bob.address), { ...envelopeTo(bob.address), v: 3 }];
    for (const envelope of envelopes) await send(alice.socket, envelope);
    await bob.inbox.next();
    const text = logs.text();
    expect(text).toContain('"event":"send"');
    for (const envelope of envelopes) expect(text).not.toContain(envelope.ct.slice(0, 24));
    for (const address of [alice.address, bob.address]) {
      expect(text).not.toContain(address);
      expect(text).toContain(address.slice(0, 8));
    }
  });
});
