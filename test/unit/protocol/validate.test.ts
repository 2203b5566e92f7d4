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
  parsePushedEnvelopes,
  parseRelayError,
  parseSendBatch,
  parseSendBatchResult,
} from "../../../src/protocol/validate";
import { MAX_BATCH_CHARS, MAX_BATCH_ENVELOPES } from "../../../src/protocol/limits";
import { RELAY_EVENTS_VERSION } from "../../../src/protocol/version";
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
    const good = { v: RELAY_EVENTS_VERSION, address: ADDRESS, signature: SIGNATURE };
    const parsed = parseAuthResponse(good);
    expect(parsed.ok && parsed.value.address).toBe(ADDRESS);
    expect(parsed.ok && parsed.value.signature.length).toBe(64);
    const code = (value: unknown) => {
      const result = parseAuthResponse(value);
      return result.ok ? "ok" : [result.error.code, result.error.event];
    };
    expect(code({ ...good, v: 1 })).toEqual(["unsupported-version", "auth"]);
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
    const inherited = Object.create({ v: RELAY_EVENTS_VERSION, address: ADDRESS, signature: SIGNATURE }) as object;
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

  it("[LM8] parseSendBatch takes 1 to MAX_BATCH_ENVELOPES items and MAX_BATCH_CHARS of ciphertext, a lone envelope of any size", () => {
    const item = (chars: number) => ({ v: 1, to: ADDRESS, id: ID, ct: "A".repeat(chars) });
    const refusal = (value: unknown) => {
      const result = parseSendBatch(value);
      return result.ok ? "ok" : [result.error.code, result.error.event];
    };
    expect(refusal([item(10)])).toBe("ok");
    expect(refusal(Array.from({ length: MAX_BATCH_ENVELOPES }, () => item(10)))).toBe("ok");
    // Items are checked one by one later, so anything goes in the list itself.
    expect(refusal([null, "x", 7])).toBe("ok");
    expect(refusal([item(MAX_BATCH_CHARS + 100)])).toBe("ok");
    expect(refusal([item(MAX_BATCH_CHARS / 2), item(MAX_BATCH_CHARS / 2)])).toBe("ok");
    expect(refusal([item(MAX_BATCH_CHARS / 2), item(MAX_BATCH_CHARS / 2 + 1)])).toEqual(["too-large", "send"]);
    for (const bad of [[], Array.from({ length: MAX_BATCH_ENVELOPES + 1 }, () => item(1)), item(10), null, "[]"]) {
      expect(refusal(bad)).toEqual(["malformed", "send"]);
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
  it("[AU10] parseChallenge needs v 2, a 32-byte nonce and an origin", () => {
    expect(parseChallenge({ v: 2, nonce: NONCE, origin: ORIGIN })).toEqual({
      ok: true,
      value: { v: 2, nonce: NONCE, origin: ORIGIN },
    });
    expect(parseChallenge({ v: 1, nonce: NONCE, origin: ORIGIN })).toEqual({
      ok: false,
      error: { code: "unsupported-version" },
    });
    for (const bad of [
      { v: 2, nonce: encodeBase64Url(prng.bytes(31)), origin: ORIGIN },
      { v: 2, nonce: NONCE },
      { v: 2, nonce: NONCE, origin: 7 },
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

  it("[RL12] parseSendBatchResult accepts a result per envelope, in order: stored for that id, or a typed refusal", () => {
    const other = encodeBase64Url(prng.bytes(16));
    const stored = (id: string) => ({ ok: true, id, status: "stored" });
    const refusal = { ok: false, error: { code: "mailbox-full", message: "full", event: "send", id: other } };
    expect(parseSendBatchResult({ ok: true, results: [stored(ID), refusal] }, [ID, other])).toEqual({
      ok: true,
      value: { ok: true, results: [stored(ID), refusal] },
    });
    const whole = { ok: false, error: { code: "rate-limited", message: "slow", event: "send" } };
    expect(parseSendBatchResult(whole, [ID, other])).toEqual({ ok: true, value: whole });
    for (const wrong of [
      { ok: true, results: [stored(other), stored(ID)] },
      { ok: true, results: [stored(ID)] },
      { ok: true, results: [stored(ID), stored(other), stored(other)] },
    ]) {
      expect(parseSendBatchResult(wrong, [ID, other])).toEqual({ ok: false, error: { code: "mismatch" } });
    }
    for (const bad of [
      { ok: true, results: [{ ok: true, id: ID }] },
      { ok: true, results: [{ ok: false, error: { code: "nope" } }] },
      { ok: true, results: "all fine" },
      { ok: true, id: ID, status: "stored" },
      { ok: "yes" },
      undefined,
    ]) {
      expect(parseSendBatchResult(bad, [ID])).toEqual({ ok: false, error: { code: "malformed" } });
    }
  });

  it("[RL13] parsePushedEnvelopes takes a list of 1 to MAX_BATCH_ENVELOPES items, left to be validated one by one", () => {
    expect(parsePushedEnvelopes([1, "x"])).toEqual({ ok: true, value: [1, "x"] });
    for (const bad of [[], new Array(MAX_BATCH_ENVELOPES + 1).fill({}), { v: 1 }, null]) {
      expect(parsePushedEnvelopes(bad)).toEqual({ ok: false, error: { code: "malformed" } });
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
