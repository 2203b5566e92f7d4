import { describe, expect, it } from "vitest";
import { addressOf, generateIdentity } from "../../src/protocol/crypto";
import { createMemoryMailbox, DEFAULT_MEMORY_MAILBOX_LIMITS } from "../../src/relay/mailbox";
import { bystanders, envelopeTo, messageId, once, relayHarness, send } from "./support";

const { relay, peer, track } = relayHarness();

describe("relay delivery", () => {
  it("[RL1][EN10] routes an envelope to its online recipient after acking the sender with stored", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    const bob = await peer(url);
    const envelope = envelopeTo(bob.address);
    expect(await send(alice.socket, envelope)).toEqual({ ok: true, id: envelope.id, status: "stored" });
    // Forwarded unchanged, and nothing about the sender is added.
    expect(await bob.inbox.next()).toEqual(envelope);
  });

  it("[RL2] an offline recipient receives its waiting envelopes on connect, in arrival order", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    const bobIdentity = generateIdentity();
    const bobAddress = addressOf(bobIdentity.signing.publicKey);
    const sent = [envelopeTo(bobAddress), envelopeTo(bobAddress, 200), envelopeTo(bobAddress, 10)];
    for (const envelope of sent) expect(await send(alice.socket, envelope)).toMatchObject({ ok: true });

    const bob = await peer(url, bobIdentity);
    expect([await bob.inbox.next(), await bob.inbox.next(), await bob.inbox.next()]).toEqual(sent);
  });

  it("[RL3] acked envelopes are gone after reconnecting; unacked ones are delivered again", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    const bobIdentity = generateIdentity();
    const bobAddress = addressOf(bobIdentity.signing.publicKey);
    const [kept, acked] = [envelopeTo(bobAddress), envelopeTo(bobAddress)];
    await send(alice.socket, kept);
    await send(alice.socket, acked);

    const first = await peer(url, bobIdentity);
    expect([await first.inbox.next(), await first.inbox.next()]).toEqual([kept, acked]);
    first.socket.emit("ack", [acked.id]);
    const closed = once(first.socket, "disconnect");
    // A probe after the ack proves the relay handled it before we disconnect.
    await first.socket.timeout(3000).emitWithAck("probe");
    first.socket.disconnect();
    await closed;

    const second = await peer(url, bobIdentity);
    expect(await second.inbox.next()).toEqual(kept);
    const probe = await second.socket.timeout(3000).emitWithAck("probe");
    expect(probe).toMatchObject({ ok: false, error: { code: "unknown-event" } });
    expect(second.inbox.items).toEqual([]);
  });

  it("[RL4] a duplicate id is acked as stored, kept once, and pushed again (the recipient drops copies by id)", async () => {
    const mailbox = createMemoryMailbox(Date.now);
    const { url } = await relay({ mailbox });
    const alice = await peer(url);
    const bob = await peer(url);
    const envelope = envelopeTo(bob.address);
    expect(await send(alice.socket, envelope)).toEqual({ ok: true, id: envelope.id, status: "stored" });
    expect(await send(alice.socket, envelope)).toEqual({ ok: true, id: envelope.id, status: "stored" });
    expect(await bob.inbox.next()).toEqual(envelope);
    expect(await bob.inbox.next()).toEqual(envelope);
    expect(await mailbox.list(bob.address)).toEqual([envelope]);
    await bob.socket.timeout(3000).emitWithAck("probe");
    expect(bob.inbox.items).toEqual([]);
  });

  it("[RL5] ack deletes from the acker's own mailbox only", async () => {
    const mailbox = createMemoryMailbox(Date.now);
    const { url } = await relay({ mailbox });
    const alice = await peer(url);
    const mallory = await peer(url);
    const bobAddress = addressOf(generateIdentity().signing.publicKey);
    const envelope = envelopeTo(bobAddress);
    await send(alice.socket, envelope);
    mallory.socket.emit("ack", [envelope.id]);
    await mallory.socket.timeout(3000).emitWithAck("probe");
    expect(await mailbox.list(bobAddress)).toEqual([envelope]);
  });

  it("[RL6] every socket authenticated as the recipient receives the envelope", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    const bobIdentity = generateIdentity();
    const [phone, laptop] = [await peer(url, bobIdentity), await peer(url, bobIdentity)];
    const envelope = envelopeTo(phone.address);
    await send(alice.socket, envelope);
    expect(await Promise.all([phone.inbox.next(), laptop.inbox.next()])).toEqual([envelope, envelope]);
  });

  it("[RL7] envelopes expire after the mailbox TTL", async () => {
    let clock = 1_000_000;
    const { url } = await relay({ now: () => clock });
    const alice = await peer(url);
    const bobIdentity = generateIdentity();
    const bobAddress = addressOf(bobIdentity.signing.publicKey);
    const old = envelopeTo(bobAddress);
    await send(alice.socket, old);
    clock += DEFAULT_MEMORY_MAILBOX_LIMITS.ttlMs;
    const fresh = envelopeTo(bobAddress);
    await send(alice.socket, fresh);
    const bob = await peer(url, bobIdentity);
    expect(await bob.inbox.next()).toEqual(fresh);
    await bob.socket.timeout(3000).emitWithAck("probe");
    expect(bob.inbox.items).toEqual([]);
  });

  it("[EN9] answers envelopes failing EN1, EN2, EN5-EN7 with malformed and their id, while others keep working", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const alice = await peer(url);
    const envelope = envelopeTo(alice.address);
    const withProto = JSON.parse(`{"v":1,"to":"${envelope.to}","id":"${envelope.id}","ct":"AAAA","__proto__":{"x":1}}`);
    expect(await send(alice.socket, withProto)).toMatchObject({
      ok: false,
      error: { code: "malformed", event: "send", id: envelope.id },
    });
    for (const bad of [null, 7, "text", [], { ...envelope, to: "nobody" }, { ...envelope, id: messageId() + "x" }]) {
      expect(await send(alice.socket, bad)).toMatchObject({ ok: false, error: { code: "malformed" } });
    }
    expect(await send(alice.socket, { ...envelope, ct: "not base64!" })).toMatchObject({
      ok: false,
      error: { code: "malformed" },
    });
    await others.stillExchange();
  });

  it("[EN9] answers another protocol version (EN4) with unsupported-version", async () => {
    const { url } = await relay();
    const alice = await peer(url);
    expect(await send(alice.socket, { ...envelopeTo(alice.address), v: 2 })).toMatchObject({
      ok: false,
      error: { code: "unsupported-version" },
    });
  });
});
