import { describe, expect, it } from "vitest";
import { addressOf, generateIdentity } from "../../src/protocol/crypto";
import {
  MAX_ACK_IDS,
  MAX_BATCH_CHARS,
  MAX_BATCH_ENVELOPES,
  MAX_CIPHERTEXT_CHARS,
  MAX_FRAME_BYTES,
} from "../../src/protocol/limits";
import type { IncomingMessage } from "node:http";
import { clientIp } from "../../src/relay/connections";
import { bystanders, envelopeTo, messageId, once, relayHarness, send, sendBatch } from "./support";

const { relay, peer, client, track } = relayHarness();

function nobody() {
  return addressOf(generateIdentity().signing.publicKey);
}

describe("relay limits", () => {
  it("[LM1] refuses an envelope once the recipient's mailbox holds its cap, with mailbox-full and the id", async () => {
    const { url } = await relay({ mailboxLimits: { maxEnvelopes: 2 } });
    const alice = await peer(url);
    const bob = nobody();
    await send(alice.socket, envelopeTo(bob));
    await send(alice.socket, envelopeTo(bob));
    const third = envelopeTo(bob);
    expect(await send(alice.socket, third)).toMatchObject({
      ok: false,
      error: { code: "mailbox-full", event: "send", id: third.id },
    });
    // Another recipient is unaffected.
    expect(await send(alice.socket, envelopeTo(nobody()))).toMatchObject({ ok: true });
  });

  it("[LM1] caps the characters waiting for one address", async () => {
    const { url } = await relay({ mailboxLimits: { maxChars: 1_000 } });
    const alice = await peer(url);
    const bob = nobody();
    expect(await send(alice.socket, envelopeTo(bob, 600))).toMatchObject({ ok: true }); // 800 characters
    expect(await send(alice.socket, envelopeTo(bob, 600))).toMatchObject({
      ok: false,
      error: { code: "mailbox-full" },
    });
  });

  it("[LM2] caps what the whole relay holds across all mailboxes", async () => {
    const { url } = await relay({ mailboxLimits: { maxTotalEnvelopes: 3 } });
    const alice = await peer(url);
    for (let i = 0; i < 3; i++) expect(await send(alice.socket, envelopeTo(nobody()))).toMatchObject({ ok: true });
    expect(await send(alice.socket, envelopeTo(nobody()))).toMatchObject({
      ok: false,
      error: { code: "mailbox-full" },
    });
  });

  it("[LM3] rate-limits a flooding socket while others keep working", async () => {
    const clock = 5_000; // frozen: the bucket never refills during the test
    const { url } = await relay({ now: () => clock, rateLimit: { perSecond: 1, burst: 20 } });
    const others = await bystanders(url, track);
    const flooder = await peer(url);
    const replies = await Promise.all(Array.from({ length: 30 }, () => send(flooder.socket, envelopeTo(nobody()))));
    const limited = replies.filter((reply) => JSON.stringify(reply).includes('"rate-limited"'));
    // The auth event took one token.
    expect(limited).toHaveLength(11);
    // Without a callback, the socket is told once, not once per event.
    const notices: unknown[] = [];
    flooder.socket.on("relay:error", (error: unknown) => notices.push(error));
    for (let i = 0; i < 10; i++) flooder.socket.emit("ack", []);
    // The answer to a later event comes after every notice the burst caused, so none is missed by counting now.
    expect(await send(flooder.socket, envelopeTo(nobody()))).toMatchObject({
      ok: false,
      error: { code: "rate-limited" },
    });
    expect(notices).toEqual([expect.objectContaining({ code: "rate-limited", event: "ack" })]);
    await others.stillExchange();
  });

  it("[LM4] refuses an ack that is not an array of at most MAX_ACK_IDS message ids", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    const tooMany = Array.from({ length: MAX_ACK_IDS + 1 }, () => messageId());
    for (const bad of [tooMany, "id", null, [messageId(), 3], { 0: messageId() }]) {
      alice.socket.emit("ack", bad);
      expect(await once(alice.socket, "relay:error")).toMatchObject({ code: "malformed", event: "ack" });
    }
  });

  it("[EN9] answers a ciphertext over MAX_CIPHERTEXT_CHARS (EN3) with too-large, while others keep working", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const alice = await peer(url);
    const envelope = { ...envelopeTo(nobody()), ct: "A".repeat(MAX_CIPHERTEXT_CHARS + 4) };
    expect(await send(alice.socket, envelope)).toMatchObject({
      ok: false,
      error: { code: "too-large", id: envelope.id },
    });
    await others.stillExchange();
  });

  it("[LM5] closes the connection of a frame over MAX_FRAME_BYTES; others keep working", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const alice = await peer(url);
    const disconnected = once<string>(alice.socket, "disconnect");
    alice.socket.emit("send", [{ ...envelopeTo(nobody()), ct: "A".repeat(MAX_FRAME_BYTES) }]);
    expect(await disconnected).toBe("transport close");
    await others.stillExchange();
  });

  it("[LM5] closes an unauthenticated connection that sends an oversized frame", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const socket = client(url);
    await once(socket, "challenge");
    const disconnected = once<string>(socket, "disconnect");
    socket.emit("whatever", "x".repeat(MAX_FRAME_BYTES + 1));
    expect(await disconnected).toBe("transport close");
    await others.stillExchange();
  });

  it("[LM6] shares one send bucket among all sockets of an address: more sockets buy no more throughput", async () => {
    const { url } = await relay({ addressRateLimit: { perSecond: 0.001, burst: 3 } });
    const identity = generateIdentity();
    const [first, second] = [await peer(url, identity), await peer(url, identity)];
    const bob = nobody();
    const results = [];
    for (const socket of [first.socket, second.socket, first.socket, second.socket]) {
      results.push(await send(socket, envelopeTo(bob)));
    }
    expect(results.map((r) => (r as { ok: boolean }).ok)).toEqual([true, true, true, false]);
    expect(results[3]).toMatchObject({ ok: false, error: { code: "rate-limited", event: "send" } });
    // Another address has its own bucket.
    expect(await send((await peer(url)).socket, envelopeTo(bob))).toMatchObject({ ok: true });
  });

  it("[LM6] takes a token per envelope: a batch larger than what is left is stored up to the bucket, the rest refused", async () => {
    const { url } = await relay({ addressRateLimit: { perSecond: 0.001, burst: 3 } });
    const alice = await peer(url);
    const batch = Array.from({ length: 5 }, () => envelopeTo(nobody()));
    const answer = (await sendBatch(alice.socket, batch)) as { ok: true; results: { ok: boolean }[] };
    expect(answer.results.map((result) => result.ok)).toEqual([true, true, true, false, false]);
    expect(answer.results[4]).toMatchObject({ error: { code: "rate-limited", id: batch[4]!.id } });
  });

  it("[LM8][LM5] refuses a send of no, too many or too large envelopes whole; a maximal batch fits in a frame", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const alice = await peer(url);
    const bob = nobody();
    const refusal = async (payload: unknown) => {
      const answer = (await sendBatch(alice.socket, payload)) as { ok: boolean; error?: { code: string } };
      return answer.ok ? "ok" : answer.error?.code;
    };
    expect(await refusal([])).toBe("malformed");
    expect(await refusal(Array.from({ length: MAX_BATCH_ENVELOPES + 1 }, () => envelopeTo(bob, 8)))).toBe("malformed");
    const over = Array.from({ length: 2 }, () => ({ ...envelopeTo(bob), ct: "A".repeat(MAX_BATCH_CHARS / 2 + 2) }));
    expect(await refusal(over)).toBe("too-large");
    // The largest batch a client packs: MAX_BATCH_ENVELOPES envelopes sharing MAX_BATCH_CHARS of ciphertext.
    const share = MAX_BATCH_CHARS / MAX_BATCH_ENVELOPES;
    const largest = Array.from({ length: MAX_BATCH_ENVELOPES }, () => ({ ...envelopeTo(bob), ct: "A".repeat(share) }));
    expect(await refusal(largest)).toBe("ok");
    expect(alice.socket.connected).toBe(true);
    await others.stillExchange();
  });

  it("[LM7] caps open connections per client IP (from X-Forwarded-For behind trusted proxies) and counts refusals", async () => {
    const { url, relay: running } = await relay({ maxConnectionsPerIp: 2, trustProxyHops: 1 });
    const from = (ip: string) => ({ extraHeaders: { "X-Forwarded-For": `203.0.113.9, ${ip}` } });
    const opened = [client(url, from("198.51.100.1")), client(url, from("198.51.100.1"))];
    await Promise.all(opened.map((socket) => once(socket, "challenge")));
    const third = client(url, from("198.51.100.1"));
    // Refused at the WebSocket upgrade (HTTP 403), which a browser reports only as a failed connection.
    await once<Error>(third, "connect_error");
    // Another client IP is unaffected; a slot frees when a connection closes.
    await once(client(url, from("198.51.100.2")), "challenge");
    opened[0]!.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await once(client(url, from("198.51.100.1")), "challenge");
    const metrics = await running.metrics.registry.getSingleMetricAsString("parley_rejections_total");
    expect(metrics).toContain('parley_rejections_total{reason="connection-limit"} 1');
  });
});

describe("client IP", () => {
  const request = (remoteAddress: string, forwarded?: string) =>
    ({
      socket: { remoteAddress },
      headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
    }) as unknown as IncomingMessage;

  it("[LM7] takes the peer address, or the n-th from the right of X-Forwarded-For with n trusted proxies", () => {
    expect(clientIp(request("10.0.0.5", "1.2.3.4"), 0)).toBe("10.0.0.5");
    expect(clientIp(request("10.0.0.5", "6.6.6.6, 1.2.3.4"), 1)).toBe("1.2.3.4");
    expect(clientIp(request("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.4"), 2)).toBe("1.2.3.4");
    // Missing or too short a header: the peer, never a client-chosen value.
    expect(clientIp(request("10.0.0.5"), 1)).toBe("10.0.0.5");
    expect(clientIp(request("10.0.0.5", "1.2.3.4"), 2)).toBe("10.0.0.5");
  });
});
