import { beforeAll, describe, expect, it } from "vitest";
import {
  endSession,
  isEndedSession,
  isRatchetState,
  loadCrypto,
  MAX_RETIRED_HEADER_KEYS,
  MAX_SKIPPED_KEYS,
} from "../../../../src/protocol/crypto";
import { roundTrip, sendMany, startSession } from "./session-support";

beforeAll(async () => {
  await loadCrypto();
});

/** A state as IndexedDB hands it back: a structured clone, with every Uint8Array a fresh copy. */
const stored = <T>(value: T): T => structuredClone(value);

describe("stored ratchet states", () => {
  it("[DR16] accepts every state the ratchet makes, as storage returns it, and its tombstone", () => {
    const { a, b, randomBytes } = startSession(160);
    const burst = sendMany(a, 3, "x", randomBytes);
    const turned = roundTrip({ a: burst.state, b }, randomBytes);
    for (const state of [a, b, burst.state, turned.a, turned.b]) {
      expect(isRatchetState(stored(state))).toBe(true);
      expect(isEndedSession(stored(endSession(state)))).toBe(true);
    }
  });

  it("[DR16] refuses a state with a key of the wrong size, a bad counter, a missing field or too many keys", () => {
    const { b } = startSession(161);
    const key = b.rootKey;
    const damaged: [string, unknown][] = [
      ["not an object", "state"],
      ["null", null],
      ["an array", [b]],
      ["another version", { ...b, v: 2 }],
      ["short root key", { ...b, rootKey: key.subarray(0, 31) }],
      ["root key as a plain array", { ...b, rootKey: [...key] }],
      ["missing chain", { ...b, receivingChain: undefined }],
      ["short key pair secret", { ...b, sendingKeyPair: { ...b.sendingKeyPair, secretKey: new Uint8Array(16) } }],
      ["negative counter", { ...b, sent: -1 }],
      ["fractional counter", { ...b, received: 1.5 }],
      ["counter past 32 bits", { ...b, previousChainLength: 2 ** 32 }],
      ["counter as a string", { ...b, sent: "0" }],
      ["skipped entry without key", { ...b, skipped: [{ headerKey: key, n: 0 }] }],
      [
        "too many skipped keys",
        {
          ...b,
          skipped: Array.from({ length: MAX_SKIPPED_KEYS + 1 }, (_, n) => ({ headerKey: key, n, messageKey: key })),
        },
      ],
      [
        "too many retired keys",
        { ...b, retiredHeaderKeys: Array.from({ length: MAX_RETIRED_HEADER_KEYS + 1 }, () => key) },
      ],
    ];
    for (const [what, value] of damaged) expect(isRatchetState(value), what).toBe(false);
    expect(isEndedSession({ ad: key, headerKeys: [key.subarray(1)] })).toBe(false);
    expect(isEndedSession({ ad: key.subarray(1), headerKeys: [] })).toBe(false);
    expect(isEndedSession({ headerKeys: [] })).toBe(false);
  });
});
