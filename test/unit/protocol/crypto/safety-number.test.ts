import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  addressOf,
  formatSafetyNumber,
  generateIdentity,
  loadCrypto,
  publicIdentityFromBytes,
  publicIdentityOf,
  safetyNumber,
  safetyNumberFromQrText,
  sameSafetyNumber,
  type Ed25519PublicKey,
  type IdentityKeyPair,
  type PublicIdentity,
  type X25519PublicKey,
} from "../../../../src/protocol/crypto";
import { hexToBytes } from "../support";

/**
 * The construction spelled out from scratch with node:crypto, as libsignal's
 * NumericFingerprintGenerator does it: SHA-512(0x0000 | key | id | key), then
 * SHA-512(hash | key) until 5200 hashes in all; six 5-byte big-endian chunks
 * mod 100000; the two 30-digit halves sorted and joined.
 */
function referenceHalf(key: Uint8Array, id: Uint8Array, iterations = 5200): string {
  let hash = createHash("sha512").update(Uint8Array.of(0, 0)).update(key).update(id).update(key).digest();
  for (let i = 1; i < iterations; i++) hash = createHash("sha512").update(hash).update(key).digest();
  let out = "";
  for (let offset = 0; offset < 30; offset += 5) {
    out += (hash.readUIntBE(offset, 5) % 100000).toString().padStart(5, "0");
  }
  return out;
}

function referenceNumber(a: { key: Uint8Array; id: string }, b: { key: Uint8Array; id: string }): string {
  const halves = [referenceHalf(a.key, Buffer.from(a.id, "utf8")), referenceHalf(b.key, Buffer.from(b.id, "utf8"))];
  return halves.sort().join("");
}

/** Parley's key encoding: 0x01 | Ed25519 key | 0x02 | X25519 key. */
function parleyKey(identity: PublicIdentity): Uint8Array {
  return Buffer.concat([Buffer.of(0x01), identity.signingKey, Buffer.of(0x02), identity.agreementKey]);
}

function party(identity: PublicIdentity, address: string = addressOf(identity.signingKey)) {
  return { identity, address };
}

function fixedIdentity(from: number): PublicIdentity {
  const bytes = (start: number) => Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff);
  return publicIdentityFromBytes(bytes(from), bytes(from + 32))!;
}

const QR_PREFIX = "parley-safety:1:";

let alice: IdentityKeyPair;
let bob: IdentityKeyPair;
let mallory: IdentityKeyPair;

beforeAll(async () => {
  await loadCrypto();
  alice = generateIdentity();
  bob = generateIdentity();
  mallory = generateIdentity();
});

describe("safetyNumber", () => {
  it("[SN1] gives both parties the same number whichever of them computes it", () => {
    const a = party(publicIdentityOf(alice));
    const b = party(publicIdentityOf(bob));
    const fromAlice = safetyNumber(a, b);
    const fromBob = safetyNumber(b, a);
    expect(fromAlice.digits).toBe(fromBob.digits);
    expect(fromAlice.qrText).toBe(fromBob.qrText);
  });

  it("[SN2] is 60 ASCII digits, and the QR text is the versioned prefix followed by those digits", () => {
    for (const [x, y] of [
      [alice, bob],
      [bob, mallory],
      [alice, alice],
    ] as const) {
      const number = safetyNumber(party(publicIdentityOf(x)), party(publicIdentityOf(y)));
      expect(number.digits).toMatch(/^[0-9]{60}$/);
      expect(number.qrText).toBe(QR_PREFIX + number.digits);
    }
  });

  it("[SN3] changes when either party's signing key, agreement key or address changes, in that party's half only", () => {
    const a = publicIdentityOf(alice);
    const b = publicIdentityOf(bob);
    const m = publicIdentityOf(mallory);
    const original = safetyNumber(party(a), party(b)).digits;
    const halves = (digits: string) => [digits.slice(0, 30), digits.slice(30)];
    const variants: [string, ReturnType<typeof party>, ReturnType<typeof party>, "local" | "remote"][] = [
      ["local signing key", party({ ...a, signingKey: m.signingKey }, addressOf(a.signingKey)), party(b), "local"],
      ["local agreement key", party({ ...a, agreementKey: m.agreementKey }), party(b), "local"],
      ["local address", party(a, addressOf(m.signingKey)), party(b), "local"],
      ["remote signing key", party(a), party({ ...b, signingKey: m.signingKey }, addressOf(b.signingKey)), "remote"],
      ["remote agreement key", party(a), party({ ...b, agreementKey: m.agreementKey }), "remote"],
      ["remote address", party(a), party(b, addressOf(m.signingKey)), "remote"],
      // The roles are part of the encoding: the same two keys swapped are another identity.
      [
        "local keys swapped",
        party(
          {
            signingKey: a.agreementKey as unknown as Ed25519PublicKey,
            agreementKey: a.signingKey as unknown as X25519PublicKey,
          },
          addressOf(a.signingKey),
        ),
        party(b),
        "local",
      ],
    ];
    const unchangedHalf = {
      local: referenceHalf(parleyKey(b), Buffer.from(addressOf(b.signingKey))),
      remote: referenceHalf(parleyKey(a), Buffer.from(addressOf(a.signingKey))),
    };
    const seen = new Set([original]);
    for (const [what, local, remote, changed] of variants) {
      const digits = safetyNumber(local, remote).digits;
      expect(digits, what).not.toBe(original);
      expect(seen.has(digits), what).toBe(false);
      seen.add(digits);
      // The other party's 30 digits are still there: only the changed identity's half moved.
      expect(halves(digits), what).toContain(unchangedHalf[changed]);
      expect(halves(original), what).toContain(unchangedHalf[changed]);
    }
  });

  it("[SN4] reproduces libsignal's published test vector with the reference construction used below", () => {
    // rust/protocol/src/fingerprint.rs, fingerprint_test_v1: Curve25519 keys (0x05-prefixed), phone numbers as ids.
    const aliceKey = hexToBytes("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868");
    const bobKey = hexToBytes("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b");
    expect(referenceNumber({ key: aliceKey, id: "+14152222222" }, { key: bobKey, id: "+14153333333" })).toBe(
      "300354477692869396892869876765458257569162576843440918079131",
    );
  });

  it("[SN4] equals the independent node:crypto construction on Parley's key encoding and addresses", () => {
    const fixedA = fixedIdentity(0);
    const fixedB = fixedIdentity(100);
    const pinned = safetyNumber(party(fixedA), party(fixedB)).digits;
    expect(pinned).toBe(
      referenceNumber(
        { key: parleyKey(fixedA), id: addressOf(fixedA.signingKey) },
        { key: parleyKey(fixedB), id: addressOf(fixedB.signingKey) },
      ),
    );
    // Pinned (and checked with Python hashlib) so that a change to the construction in module and test alike is noticed.
    expect(pinned).toBe("455369976897305602431581643388829148029583248755314318682345");
    const a = publicIdentityOf(alice);
    const b = publicIdentityOf(bob);
    expect(safetyNumber(party(a), party(b)).digits).toBe(
      referenceNumber(
        { key: parleyKey(a), id: addressOf(a.signingKey) },
        { key: parleyKey(b), id: addressOf(b.signingKey) },
      ),
    );
    // Any UTF-8 address is hashed as its bytes, not as UTF-16 code units.
    expect(safetyNumber(party(a, "zoë-🗓"), party(b, "b")).digits).toBe(
      referenceNumber({ key: parleyKey(a), id: "zoë-🗓" }, { key: parleyKey(b), id: "b" }),
    );
  });

  it("[SN4] refuses public keys that are not 32 bytes, which would make the key encoding ambiguous", () => {
    const a = publicIdentityOf(alice);
    const short = { ...a, agreementKey: a.agreementKey.subarray(0, 31) as X25519PublicKey };
    expect(() => safetyNumber(party(short, "a"), party(publicIdentityOf(bob)))).toThrow(RangeError);
  });
});

describe("formatSafetyNumber", () => {
  it("[SN5] writes 12 groups of 5 digits separated by single spaces", () => {
    const digits = "0123456789".repeat(6);
    expect(formatSafetyNumber(digits)).toBe("01234 56789 01234 56789 01234 56789 01234 56789 01234 56789 01234 56789");
    const number = safetyNumber(party(publicIdentityOf(alice)), party(publicIdentityOf(bob)));
    const formatted = formatSafetyNumber(number.digits);
    expect(formatted).toMatch(/^[0-9]{5}( [0-9]{5}){11}$/);
    expect(formatted.replaceAll(" ", "")).toBe(number.digits);
  });

  it("[SN5] refuses anything but 60 ASCII digits with a RangeError", () => {
    for (const bad of ["", "1".repeat(59), "1".repeat(61), "1".repeat(59) + "a", formatSafetyNumber("1".repeat(60))]) {
      expect(() => formatSafetyNumber(bad), JSON.stringify(bad)).toThrow(RangeError);
    }
  });
});

describe("safetyNumberFromQrText", () => {
  it("[SN6] reads back the digits of the QR text safetyNumber produced", () => {
    const number = safetyNumber(party(publicIdentityOf(alice)), party(publicIdentityOf(bob)));
    expect(safetyNumberFromQrText(number.qrText)).toBe(number.digits);
    expect(safetyNumberFromQrText(QR_PREFIX + "0".repeat(60))).toBe("0".repeat(60));
  });

  it("[SN6] rejects QR text with another prefix or version, a wrong digit count, spaces or non-ASCII digits", () => {
    const digits = "7".repeat(60);
    const bad = [
      "",
      digits,
      QR_PREFIX,
      QR_PREFIX + digits.slice(1),
      QR_PREFIX + digits + "7",
      QR_PREFIX + digits + "\n",
      " " + QR_PREFIX + digits,
      QR_PREFIX + formatSafetyNumber(digits),
      QR_PREFIX + digits.slice(1) + "a",
      QR_PREFIX + digits.slice(1) + "٧", // ARABIC-INDIC DIGIT SEVEN
      QR_PREFIX + digits.slice(1) + "７", // FULLWIDTH DIGIT SEVEN
      "parley-safety:2:" + digits,
      "PARLEY-SAFETY:1:" + digits,
      "parley-safety:1" + digits,
      "https://example.org/" + QR_PREFIX + digits,
    ];
    for (const text of bad) expect(safetyNumberFromQrText(text), JSON.stringify(text)).toBeUndefined();
  });
});

describe("sameSafetyNumber", () => {
  it("[SN7] treats a number as equal to itself formatted, spaced or wrapped across lines", () => {
    const { digits } = safetyNumber(party(publicIdentityOf(alice)), party(publicIdentityOf(bob)));
    expect(sameSafetyNumber(digits, digits)).toBe(true);
    expect(sameSafetyNumber(digits, formatSafetyNumber(digits))).toBe(true);
    expect(sameSafetyNumber(formatSafetyNumber(digits), digits)).toBe(true);
    const wrapped = `  ${digits.slice(0, 20)}\n${digits.slice(20, 40)}\t${digits.slice(40)}\u00a0`;
    expect(sameSafetyNumber(wrapped, digits)).toBe(true);
  });

  it("[SN7] tells apart numbers that differ in any single digit, first or last included", () => {
    const digits = "0123456789".repeat(6);
    for (let i = 0; i < 60; i++) {
      const changed = digits.slice(0, i) + String((Number(digits[i]) + 1) % 10) + digits.slice(i + 1);
      expect(sameSafetyNumber(digits, changed), `digit ${i}`).toBe(false);
    }
    const number = (x: IdentityKeyPair, y: IdentityKeyPair) =>
      safetyNumber(party(publicIdentityOf(x)), party(publicIdentityOf(y))).digits;
    expect(sameSafetyNumber(number(alice, bob), number(alice, mallory))).toBe(false);
  });

  it("[SN7] is false for malformed input, even when both sides are the same malformed string", () => {
    const digits = "5".repeat(60);
    for (const bad of [
      "",
      " ",
      "5".repeat(59),
      "5".repeat(61),
      "5".repeat(59) + "x",
      "5".repeat(59) + "٥",
      "-" + digits,
    ]) {
      expect(sameSafetyNumber(bad, bad), JSON.stringify(bad)).toBe(false);
      expect(sameSafetyNumber(bad, digits), JSON.stringify(bad)).toBe(false);
      expect(sameSafetyNumber(digits, bad), JSON.stringify(bad)).toBe(false);
    }
    expect(sameSafetyNumber(QR_PREFIX + digits, digits)).toBe(false);
  });
});
