import { describe, expect, it } from "vitest";
import { addressOf, generateIdentity } from "../../src/protocol/crypto";
import { decodeBase64Url } from "../../src/protocol/encoding";
import { RELAY_EVENTS_VERSION } from "../../src/protocol/version";
import { bystanders, envelopeTo, once, relayHarness, send, signChallenge, startRelay, type Challenge } from "./support";

const { relay, client, track } = relayHarness();

describe("relay authentication", () => {
  it("[AU3] sends a challenge with a fresh 32-byte nonce and its origin on connection", async () => {
    const { url } = await relay();
    const [first, second] = await Promise.all([
      once<Challenge>(client(url), "challenge"),
      once<Challenge>(client(url), "challenge"),
    ]);
    expect(first.v).toBe(RELAY_EVENTS_VERSION);
    expect(first.origin).toBe(url);
    expect(decodeBase64Url(first.nonce)?.length).toBe(32);
    expect(second.nonce).not.toBe(first.nonce);
  });

  it("[AU4] rejects send and ack before auth with unauthenticated and ignores them", async () => {
    const { url } = await relay();
    const others = await bystanders(url, track);
    const socket = client(url);
    await once(socket, "challenge");
    const reply = await send(socket, envelopeTo(addressOf(generateIdentity().signing.publicKey)));
    expect(reply).toMatchObject({ ok: false, error: { code: "unauthenticated", event: "send" } });
    socket.emit("ack", []);
    expect(await once(socket, "relay:error")).toMatchObject({ code: "unauthenticated", event: "ack" });
    await others.stillExchange();
  });

  it("[AU5] accepts a signature over the challenge and origin, answering with the address", async () => {
    const { url } = await relay();
    const identity = generateIdentity();
    const socket = client(url);
    const challenge = await once<Challenge>(socket, "challenge");
    const response = signChallenge(identity, challenge.origin, challenge.nonce);
    const reply = await socket.timeout(3000).emitWithAck("auth", response);
    expect(reply).toEqual({ ok: true, address: response.address });
  });

  it("[AU6] refuses a signature by another key than the address names, and closes the socket", async () => {
    const { url } = await relay();
    const socket = client(url);
    const challenge = await once<Challenge>(socket, "challenge");
    const forged = { ...signChallenge(generateIdentity(), challenge.origin, challenge.nonce) };
    forged.address = signChallenge(generateIdentity(), challenge.origin, challenge.nonce).address;
    const disconnected = once(socket, "disconnect");
    const reply = await socket.timeout(3000).emitWithAck("auth", forged);
    expect(reply).toMatchObject({ ok: false, error: { code: "auth-failed" } });
    await disconnected;
  });

  it("[AU6] refuses a signature bound to another origin", async () => {
    const { url } = await relay();
    const socket = client(url);
    const challenge = await once<Challenge>(socket, "challenge");
    const reply = await socket
      .timeout(3000)
      .emitWithAck("auth", signChallenge(generateIdentity(), "https://other-relay.example", challenge.nonce));
    expect(reply).toMatchObject({ ok: false, error: { code: "auth-failed" } });
  });

  it("[AU6] answers a malformed or wrong-version auth with a typed error", async () => {
    const { url } = await relay();
    const socket = client(url);
    await once(socket, "challenge");
    const malformed = { v: RELAY_EVENTS_VERSION, address: "x", signature: "y" };
    expect(await socket.timeout(3000).emitWithAck("auth", malformed)).toMatchObject({
      ok: false,
      error: { code: "malformed", event: "auth" },
    });
    const other = client(url);
    const challenge = await once<Challenge>(other, "challenge");
    // A client of the first version, before envelopes travelled in batches.
    const response = { ...signChallenge(generateIdentity(), challenge.origin, challenge.nonce), v: 1 };
    expect(await other.timeout(3000).emitWithAck("auth", response)).toMatchObject({
      ok: false,
      error: { code: "unsupported-version" },
    });
  });

  it("[AU7] a challenge is single-use: a response replayed on another connection is refused", async () => {
    const { url } = await relay();
    const identity = generateIdentity();
    const first = client(url);
    const challenge = await once<Challenge>(first, "challenge");
    const response = signChallenge(identity, challenge.origin, challenge.nonce);
    expect(await first.timeout(3000).emitWithAck("auth", response)).toMatchObject({ ok: true });
    expect(await first.timeout(3000).emitWithAck("auth", response)).toMatchObject({
      ok: false,
      error: { code: "already-authenticated" },
    });

    const replayer = client(url);
    await once(replayer, "challenge");
    expect(await replayer.timeout(3000).emitWithAck("auth", response)).toMatchObject({
      ok: false,
      error: { code: "auth-failed" },
    });
  });

  it("[AU7] one attempt per connection: after a failure the same socket cannot try again", async () => {
    const { url } = await relay();
    const socket = client(url);
    const challenge = await once<Challenge>(socket, "challenge");
    const disconnected = once<string>(socket, "disconnect");
    socket.emit("auth", signChallenge(generateIdentity(), "https://elsewhere.example", challenge.nonce));
    socket.emit("auth", signChallenge(generateIdentity(), challenge.origin, challenge.nonce));
    expect(await once(socket, "relay:error")).toMatchObject({ code: "auth-failed" });
    expect(await disconnected).toBe("io server disconnect");
  });

  it("[AU8] disconnects a socket that does not authenticate in time", async () => {
    const { url } = await relay({ authTimeoutMs: 150 });
    const socket = client(url);
    const error = once(socket, "relay:error");
    expect(await once<string>(socket, "disconnect")).toBe("io server disconnect");
    expect(await error).toMatchObject({ code: "unauthenticated" });
  });

  it("[AU9] uses the configured public origin in the challenge", async () => {
    const { url } = await relay({ publicOrigin: "https://parley.example" });
    const socket = client(url);
    const challenge = await once<Challenge>(socket, "challenge");
    expect(challenge.origin).toBe("https://parley.example");
    const response = signChallenge(generateIdentity(), challenge.origin, challenge.nonce);
    expect(await socket.timeout(3000).emitWithAck("auth", response)).toMatchObject({ ok: true });
  });

  it("[AU9] derives the origin from Host and X-Forwarded-Proto when none is configured", async () => {
    const { url } = await relay();
    const socket = client(url, { extraHeaders: { "x-forwarded-proto": "https" } });
    const challenge = await once<Challenge>(socket, "challenge");
    expect(challenge.origin).toBe(url.replace("http:", "https:"));
  });

  it("[AU9] refuses browsers from origins outside allowedOrigins at the handshake", async () => {
    const { url } = await relay({ allowedOrigins: ["https://app.example"] });
    const refused = client(url, { extraHeaders: { origin: "https://evil.example" } });
    await once(refused, "connect_error");
    const allowed = client(url, { extraHeaders: { origin: "https://app.example" } });
    await once(allowed, "challenge");
    const nodeClient = client(url);
    await once(nodeClient, "challenge");
  });

  it("[AU9] createRelay refuses a public origin that is not an origin", async () => {
    await expect(startRelay({ publicOrigin: "https://parley.example/path" })).rejects.toThrow(
      /createRelay: publicOrigin/,
    );
  });
});
