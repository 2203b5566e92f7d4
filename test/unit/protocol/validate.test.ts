import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "../../../src/protocol/encoding";
import { MAX_ACK_IDS } from "../../../src/protocol/limits";
import {
  envelopeIdOf,
  MAX_RELAY_TEXT_CHARS,
  parseAckIds,
  parseAuthResponse,
  parseAuthResult,
  parseChallenge,
  parseRelayError,
  parseSendResult,
} from "../../../src/protocol/validate";
import { PROTOCOL_VERSION } from "../../../src/protocol/version";
import { createPrng } from "./support";

const prng = createPrng(11);
const ADDRESS = encodeBase64Url(prng.bytes(32));
const OTHER_ADDRESS = encodeBase64Url(prng.bytes(32));
const ID = encodeBase64Url(prng.bytes(16));
const NONCE = encodeBase64Url(prng.bytes(32));
const SIGNATURE = encodeBase64Url(prng.bytes(64));
const ORIGIN = "https://relay.example";

describe("validators of what clients send", () => {
  it("[AU6] parseAuthResponse accepts exactly { v, address, signature } and answers malformed or unsupported-version", () => {
    const good = { v: PROTOCOL_VERSION, address: ADDRESS, signature: SIGNATURE };
    const parsed = parseAuthResponse(good);
    expect(parsed.ok && parsed.value.address).toBe(ADDRESS);
    expect(parsed.ok && parsed.value.signature.length).toBe(64);
    const code = (value: unknown) => {
      const result = parseAuthResponse(value);
      return result.ok ? "ok" : [result.error.code, result.error.event];
    };
    expect(code({ ...good, v: 2 })).toEqual(["unsupported-version", "auth"]);
    for (const bad of [
      null,
      [good],
      { ...good, extra: 1 },
      JSON.parse(`{"__proto__":{"v":1},"address":"${ADDRESS}","signature":"${SIGNATURE}"}`),
      { ...good, address: ADDRESS.slice(1) },
      { ...good, signature: encodeBase64Url(prng.bytes(63)) },
      { ...good, signature: 64 },
    ]) {
      expect(code(bad)).toEqual(["malformed", "auth"]);
    }
  });

  it("[AU6] parseAuthResponse never reads a field inherited through the prototype", () => {
    const inherited = Object.create({ v: PROTOCOL_VERSION, address: ADDRESS, signature: SIGNATURE }) as object;
    expect(parseAuthResponse(inherited)).toMatchObject({ ok: false, error: { code: "unsupported-version" } });
  });

  it("[LM4] parseAckIds takes an array of at most MAX_ACK_IDS message ids, refusing anything else whole", () => {
    expect(parseAckIds([])).toEqual({ ok: true, value: [] });
    expect(parseAckIds([ID, ID])).toEqual({ ok: true, value: [ID, ID] });
    const tooMany = Array.from({ length: MAX_ACK_IDS + 1 }, () => ID);
    for (const bad of [tooMany, [ID, "x"], { 0: ID }, ID, null]) {
      expect(parseAckIds(bad)).toMatchObject({ ok: false, error: { code: "malformed", event: "ack" } });
    }
  });

  it("[EN9] envelopeIdOf returns the own, well-formed id of a payload and nothing else", () => {
    expect(envelopeIdOf({ id: ID, junk: true })).toBe(ID);
    expect(envelopeIdOf({ id: "short" })).toBeUndefined();
    expect(envelopeIdOf([ID])).toBeUndefined();
    expect(envelopeIdOf(Object.create({ id: ID }))).toBeUndefined();
  });
});

describe("validators of what the relay sends", () => {
  it("[AU10] parseChallenge needs v 1, a 32-byte nonce and an origin", () => {
    expect(parseChallenge({ v: 1, nonce: NONCE, origin: ORIGIN })).toEqual({
      ok: true,
      value: { v: 1, nonce: NONCE, origin: ORIGIN },
    });
    expect(parseChallenge({ v: 2, nonce: NONCE, origin: ORIGIN })).toEqual({
      ok: false,
      error: { code: "unsupported-version" },
    });
    for (const bad of [
      { v: 1, nonce: encodeBase64Url(prng.bytes(31)), origin: ORIGIN },
      { v: 1, nonce: NONCE },
      { v: 1, nonce: NONCE, origin: 7 },
    ]) {
      expect(parseChallenge(bad)).toEqual({ ok: false, error: { code: "malformed" } });
    }
  });

  it("[ER1] parseRelayError keeps a known code and a message, cuts text, and drops a malformed id", () => {
    const long = "m".repeat(MAX_RELAY_TEXT_CHARS + 10);
    expect(parseRelayError({ code: "mailbox-full", message: long, event: "send", id: "nope" })).toEqual({
      ok: true,
      value: { code: "mailbox-full", message: long.slice(0, MAX_RELAY_TEXT_CHARS), event: "send" },
    });
    expect(parseRelayError({ code: "rate-limited", message: "slow", id: ID })).toEqual({
      ok: true,
      value: { code: "rate-limited", message: "slow", id: ID },
    });
    for (const bad of [{ code: "made-up", message: "x" }, { code: "malformed" }, null, "malformed"]) {
      expect(parseRelayError(bad)).toEqual({ ok: false, error: { code: "malformed" } });
    }
  });

  it("[RL9] parseSendResult accepts stored for the id sent, or a typed refusal", () => {
    expect(parseSendResult({ ok: true, id: ID, status: "stored" }, ID)).toEqual({
      ok: true,
      value: { ok: true, id: ID, status: "stored" },
    });
    const refusal = { ok: false, error: { code: "mailbox-full", message: "full", event: "send", id: ID } };
    expect(parseSendResult(refusal, ID)).toEqual({ ok: true, value: refusal });
    expect(parseSendResult({ ok: true, id: ID, status: "stored" }, encodeBase64Url(prng.bytes(16)))).toEqual({
      ok: false,
      error: { code: "mismatch" },
    });
    for (const bad of [{ ok: true, id: ID }, { ok: false, error: { code: "nope" } }, { ok: "yes" }, undefined]) {
      expect(parseSendResult(bad, ID)).toEqual({ ok: false, error: { code: "malformed" } });
    }
  });

  it("[AU5] parseAuthResult accepts success only for the address that signed", () => {
    expect(parseAuthResult({ ok: true, address: ADDRESS }, ADDRESS)).toEqual({
      ok: true,
      value: { ok: true, address: ADDRESS },
    });
    expect(parseAuthResult({ ok: true, address: OTHER_ADDRESS }, ADDRESS)).toEqual({
      ok: false,
      error: { code: "mismatch" },
    });
    expect(parseAuthResult({ ok: true, address: "x" }, ADDRESS)).toEqual({ ok: false, error: { code: "malformed" } });
    expect(parseAuthResult({ ok: false, error: { code: "auth-failed", message: "no" } }, ADDRESS)).toEqual({
      ok: true,
      value: { ok: false, error: { code: "auth-failed", message: "no" } },
    });
  });
});
