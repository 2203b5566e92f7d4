import { describe, expect, it } from "vitest";
import { encodeBase64Url } from "../../../src/protocol/encoding";
import {
  describeEnvelopeError,
  isMessageId,
  validateEnvelope,
  type EnvelopeError,
} from "../../../src/protocol/envelope";
import { MAX_CIPHERTEXT_CHARS } from "../../../src/protocol/limits";
import { PROTOCOL_VERSION } from "../../../src/protocol/version";
import { createPrng } from "./support";

const prng = createPrng(3);
const TO = encodeBase64Url(prng.bytes(32));
const ID = encodeBase64Url(prng.bytes(16));
const CT = encodeBase64Url(prng.bytes(300));
const good = (): Record<string, unknown> => ({ v: PROTOCOL_VERSION, to: TO, id: ID, ct: CT });

function expectRejected(value: unknown, error: EnvelopeError): void {
  expect(validateEnvelope(value)).toEqual({ ok: false, error });
  // Every error has a human-readable description.
  expect(describeEnvelopeError(error).length).toBeGreaterThan(0);
}

/** The good envelope with one field replaced (or removed, for undefined). */
function withField(key: string, value: unknown): Record<string, unknown> {
  const { [key]: _replaced, ...rest } = good();
  return value === undefined ? rest : { ...rest, [key]: value };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Sets a spare low bit of the last character: same length, same bytes under a lenient decoder. */
function nonCanonical(text: string): string {
  const last = ALPHABET.indexOf(text[text.length - 1]!);
  return text.slice(0, -1) + ALPHABET[last ^ 1]!;
}

describe("validateEnvelope", () => {
  it("[EN8] accepts a well-formed envelope and returns a fresh object with exactly its four fields", () => {
    const input = good();
    const result = validateEnvelope(input);
    expect(result).toEqual({ ok: true, value: { v: 1, to: TO, id: ID, ct: CT } });
    if (result.ok) expect(result.value).not.toBe(input);
    // A ciphertext of exactly the limit is still accepted.
    expect(validateEnvelope(withField("ct", "A".repeat(MAX_CIPHERTEXT_CHARS))).ok).toBe(true);
  });

  it("[EN1] refuses anything but a plain object with not-an-object", () => {
    for (const value of [null, undefined, [], [good()], "envelope", 1, true, 0n]) {
      expectRejected(value, { code: "not-an-object" });
    }
  });

  it("[EN2] refuses unknown fields, including an own __proto__ key from JSON.parse", () => {
    expectRejected({ ...good(), from: TO }, { code: "unknown-field", field: "from" });
    const polluted: unknown = JSON.parse(`{"__proto__":{"admin":true},"v":1,"to":"${TO}","id":"${ID}","ct":"${CT}"}`);
    expectRejected(polluted, { code: "unknown-field", field: "__proto__" });
    // Unknown-field names are echoed back bounded.
    expectRejected({ ...good(), ["x".repeat(100)]: 1 }, { code: "unknown-field", field: "x".repeat(32) });
  });

  it("[EN3] rejects an envelope over the size limit with too-large", () => {
    expectRejected(withField("ct", "A".repeat(MAX_CIPHERTEXT_CHARS + 1)), {
      code: "too-large",
      chars: MAX_CIPHERTEXT_CHARS + 1,
    });
    // The size is checked before the alphabet, so an oversized ciphertext is never scanned.
    expectRejected(withField("ct", "!".repeat(MAX_CIPHERTEXT_CHARS + 4)), {
      code: "too-large",
      chars: MAX_CIPHERTEXT_CHARS + 4,
    });
  });

  it("[EN4] answers a missing or different version with unsupported-version", () => {
    expectRejected(withField("v", undefined), { code: "unsupported-version", version: null });
    expectRejected(withField("v", 2), { code: "unsupported-version", version: 2 });
    expectRejected(withField("v", 0), { code: "unsupported-version", version: 0 });
    expectRejected(withField("v", "1"), { code: "unsupported-version", version: null });
    expectRejected(withField("v", null), { code: "unsupported-version", version: null });
    expectRejected(withField("v", 1.5), { code: "unsupported-version", version: 1.5 });
  });

  it("[EN5] requires `to` to be a canonical base64url 32-byte address", () => {
    const bad: unknown[] = [
      undefined,
      null,
      42,
      Array.from(TO),
      "",
      TO.slice(0, 42),
      `${TO}A`,
      encodeBase64Url(new Uint8Array(33)),
      nonCanonical(TO),
      `${TO.slice(0, 42)}=`,
      `+${TO.slice(1)}`,
    ];
    for (const value of bad) expectRejected(withField("to", value), { code: "bad-field", field: "to" });
  });

  it("[EN6] requires `id` to be a canonical base64url 16-byte message id", () => {
    const bad: unknown[] = [
      undefined,
      7,
      {},
      "",
      ID.slice(0, 21),
      `${ID}A`,
      encodeBase64Url(new Uint8Array(17)),
      nonCanonical(ID),
      `${ID.slice(0, 21)}/`,
    ];
    for (const value of bad) expectRejected(withField("id", value), { code: "bad-field", field: "id" });
    expect(isMessageId(ID)).toBe(true);
    expect(isMessageId(nonCanonical(ID))).toBe(false);
  });

  it("[EN7] requires `ct` to be non-empty canonical base64url", () => {
    const bad: unknown[] = [undefined, null, 1, [CT], "", "A", "AB", `${CT}=`, "ab+c", "ab/c", "ab c", "AAé"];
    for (const value of bad) expectRejected(withField("ct", value), { code: "bad-field", field: "ct" });
  });

  it("[EN8] checks fields in a fixed order: shape, unknown keys, version, to, id, ct", () => {
    expectRejected({ v: 2, to: 1, extra: 1 }, { code: "unknown-field", field: "extra" });
    expectRejected({ v: 2, to: 1, id: 1, ct: 1 }, { code: "unsupported-version", version: 2 });
    expectRejected({ v: 1, to: 1, id: 1, ct: 1 }, { code: "bad-field", field: "to" });
    expectRejected({ v: 1, to: TO, id: 1, ct: 1 }, { code: "bad-field", field: "id" });
  });
});
