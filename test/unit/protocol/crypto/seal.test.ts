import { beforeAll, describe, expect, it } from "vitest";
import {
  concatBytes,
  encryptXChaCha20Poly1305,
  generateIdentity,
  identityCertificate,
  loadCrypto,
  openMessage,
  publicIdentityOf,
  samePublicIdentity,
  SCHEME_STATIC_V1,
  SEALED_OVERHEAD,
  sealMessage,
  signEd25519,
  systemRandomBytes,
  x25519,
  x25519PublicKey,
  type CryptoError,
  type IdentityKeyPair,
  type Opened,
  type PublicIdentity,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Nonce,
} from "../../../../src/protocol/crypto";
import { deriveKeyBlake2b } from "../../../../src/protocol/crypto/primitives";
import { utf8 } from "../../../../src/protocol/encoding";
import type { Result } from "../../../../src/protocol/result";
import { PROTOCOL_VERSION } from "../../../../src/protocol/version";
import { bytesToHex, createPrng, flipByte } from "../support";

/**
 * Scheme 1 as documented in seal.ts, spelled out independently here:
 *   0x01 | e.pub(32) | n1(24) | AEAD(k1, n1, cert(S))(128+16) | n2(24) | AEAD(k2, n2, pad(plaintext)) (+16)
 */
const LAYOUT = {
  version: 0,
  ephemeral: 1,
  nonce1: 33,
  certBox: 57,
  certTag: 57 + 128,
  nonce2: 201,
  body: 225,
} as const;

let alice: IdentityKeyPair;
let bob: IdentityKeyPair;
let carol: IdentityKeyPair;

beforeAll(async () => {
  await loadCrypto();
  alice = generateIdentity();
  bob = generateIdentity();
  carol = generateIdentity();
});

function seal(plaintext: Uint8Array, randomBytes = systemRandomBytes): Uint8Array {
  return sealMessage({ sender: alice, recipient: publicIdentityOf(bob), plaintext, randomBytes });
}

function expectOpened(result: Result<Opened, CryptoError>, sender: PublicIdentity, plaintext: Uint8Array): void {
  if (!result.ok) throw new Error(`expected the message to open, got ${result.error.code}`);
  expect(samePublicIdentity(result.value.sender, sender)).toBe(true);
  expect(bytesToHex(result.value.plaintext)).toBe(bytesToHex(plaintext));
}

function expectError(result: Result<Opened, CryptoError>, error: CryptoError, context = ""): void {
  expect(result, context).toEqual({ ok: false, error });
}

/** pad(): ISO/IEC 7816-4 as libsodium's sodium_pad does it: 0x80 then zeros, to the next multiple of 256. */
function pad(plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(plaintext.length / 256) + 1) * 256);
  out.set(plaintext);
  out[plaintext.length] = 0x80;
  return out;
}

/** Builds a scheme-1 message by hand from the primitives, with any certificate and padded body. */
function buildSealed(args: {
  ephemeralSecret: Uint8Array;
  n1: Uint8Array;
  n2: Uint8Array;
  certificate: Uint8Array;
  senderAgreement: { publicKey: X25519PublicKey; secretKey: X25519SecretKey };
  senderSigningKey: Uint8Array;
  recipient: PublicIdentity;
  paddedBody: Uint8Array;
}): Uint8Array {
  const eSecret = args.ephemeralSecret as X25519SecretKey;
  const ePublic = x25519PublicKey(eSecret);
  const es = x25519(eSecret, args.recipient.agreementKey)!;
  const ss = x25519(args.senderAgreement.secretKey, args.recipient.agreementKey)!;
  const k1 = deriveKeyBlake2b(utf8("parley/seal/v1/es"), es, ePublic, args.recipient.agreementKey);
  const k2 = deriveKeyBlake2b(
    utf8("parley/seal/v1/ss"),
    es,
    ss,
    ePublic,
    args.senderAgreement.publicKey,
    args.recipient.agreementKey,
  );
  const header = Uint8Array.of(SCHEME_STATIC_V1, PROTOCOL_VERSION);
  const certBox = encryptXChaCha20Poly1305(
    k1,
    args.n1 as XChaCha20Poly1305Nonce,
    args.certificate,
    concatBytes(header, args.recipient.signingKey, ePublic),
  );
  const body = encryptXChaCha20Poly1305(
    k2,
    args.n2 as XChaCha20Poly1305Nonce,
    args.paddedBody,
    concatBytes(header, args.senderSigningKey, args.recipient.signingKey, ePublic),
  );
  return concatBytes(Uint8Array.of(SCHEME_STATIC_V1), ePublic, args.n1, certBox, args.n2, body);
}

/** The fixed parts of a hand-built message from Alice to Bob, drawn from a seeded PRNG in sealMessage's order. */
function handBuiltFromAlice(seed: number, overrides: { certificate?: Uint8Array; paddedBody?: Uint8Array } = {}) {
  const prng = createPrng(seed);
  const ephemeralSecret = prng.bytes(32);
  const n1 = prng.bytes(24);
  const n2 = prng.bytes(24);
  return buildSealed({
    ephemeralSecret,
    n1,
    n2,
    certificate: overrides.certificate ?? identityCertificate(alice),
    senderAgreement: alice.agreement,
    senderSigningKey: alice.signing.publicKey,
    recipient: publicIdentityOf(bob),
    paddedBody: overrides.paddedBody ?? pad(utf8("hello")),
  });
}

describe("sealMessage / openMessage (scheme 1)", () => {
  it("has a fixed overhead of 241 bytes", () => {
    expect(SEALED_OVERHEAD).toBe(1 + 32 + 24 + 128 + 16 + 24 + 16);
    expect(SCHEME_STATIC_V1).toBe(1);
  });

  it("[CR8] round-trips plaintexts of 0, 1, 255, 256, 257 and 10 KB with the sender recovered", () => {
    const prng = createPrng(8);
    for (const size of [0, 1, 255, 256, 257, 10 * 1024]) {
      const plaintext = prng.bytes(size);
      const sealed = seal(plaintext);
      expect(sealed.length, `size ${size}`).toBe(SEALED_OVERHEAD + (Math.floor(size / 256) + 1) * 256);
      expectOpened(openMessage({ recipient: bob, sealed }), publicIdentityOf(alice), plaintext);
    }
  });

  it("[CR9] pads plaintexts so that lengths within one 256-byte bucket give equal ciphertext lengths", () => {
    const one = seal(new Uint8Array(1));
    const twoHundred = seal(new Uint8Array(200).fill(7));
    expect(one.length).toBe(twoHundred.length);
    expect(one.length).toBe(SEALED_OVERHEAD + 256);
    expect(seal(new Uint8Array(255)).length).toBe(SEALED_OVERHEAD + 256);
    // A full bucket needs a padding byte too, so it moves to the next one.
    expect(seal(new Uint8Array(256)).length).toBe(SEALED_OVERHEAD + 512);
  });

  it("[CR10] turns any flipped byte (scheme, ephemeral key, nonces, certificate box and tag, body, tag) into a typed error", () => {
    const plaintext = utf8("meet Tuesday 10:00?");
    const sealed = seal(plaintext);
    const last = sealed.length - 1;
    const offsets = [
      LAYOUT.ephemeral,
      LAYOUT.ephemeral + 31,
      LAYOUT.nonce1,
      LAYOUT.nonce1 + 23,
      LAYOUT.certBox,
      LAYOUT.certBox + 64,
      LAYOUT.certTag,
      LAYOUT.certTag + 15,
      LAYOUT.nonce2,
      LAYOUT.nonce2 + 23,
      LAYOUT.body,
      LAYOUT.body + 19,
      last - 16,
      last - 15,
      last,
    ];
    let run = 0;
    for (const offset of offsets) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const result = openMessage({ recipient: bob, sealed: flipByte(sealed, offset, mask) });
        expectError(result, { code: "decrypt-failed" }, `offset ${offset} mask ${mask}`);
        run++;
      }
    }
    expect(run).toBe(45);
    // The scheme byte is read before anything is decrypted.
    expectError(openMessage({ recipient: bob, sealed: flipByte(sealed, LAYOUT.version, 0x01) }), {
      code: "unsupported-scheme",
      scheme: 0,
    });
  });

  it("[CR10] rejects a flip of every single byte of a short message, never returning a plaintext", () => {
    const sealed = seal(utf8("x"));
    for (let offset = 0; offset < sealed.length; offset++) {
      const result = openMessage({ recipient: bob, sealed: flipByte(sealed, offset, 0x04) });
      const expected: CryptoError =
        offset === 0 ? { code: "unsupported-scheme", scheme: SCHEME_STATIC_V1 ^ 0x04 } : { code: "decrypt-failed" };
      expectError(result, expected, `offset ${offset}`);
    }
  });

  it("[CR11] reports truncation below the fixed overhead as malformed and any other truncation or extension as decrypt-failed", () => {
    const sealed = seal(utf8("truncate me"), createPrng(11).bytes);
    expect(sealed.length).toBe(SEALED_OVERHEAD + 256);
    expect(sealed[1]).not.toBe(SCHEME_STATIC_V1); // so that dropping the first byte exposes another scheme byte
    for (const length of [0, 1, 33, 200, SEALED_OVERHEAD - 1]) {
      expectError(
        openMessage({ recipient: bob, sealed: sealed.subarray(0, length) }),
        { code: "malformed" },
        `${length}`,
      );
    }
    for (const length of [SEALED_OVERHEAD, SEALED_OVERHEAD + 1, SEALED_OVERHEAD + 255, sealed.length - 16]) {
      expectError(
        openMessage({ recipient: bob, sealed: sealed.subarray(0, length) }),
        { code: "decrypt-failed" },
        `${length}`,
      );
    }
    // Dropping bytes from the front shifts every field.
    expectError(openMessage({ recipient: bob, sealed: sealed.subarray(1) }), {
      code: "unsupported-scheme",
      scheme: sealed[1]!,
    });
    expectError(openMessage({ recipient: bob, sealed: concatBytes(sealed, Uint8Array.of(0)) }), {
      code: "decrypt-failed",
    });
  });

  it("[CR12] refuses a message sealed for someone else with decrypt-failed", () => {
    const sealed = seal(utf8("for bob only"));
    expectError(openMessage({ recipient: carol, sealed }), { code: "decrypt-failed" });
    expectError(openMessage({ recipient: alice, sealed }), { code: "decrypt-failed" });
  });

  it("[CR13] answers an unknown scheme byte with unsupported-scheme and the byte", () => {
    const sealed = seal(utf8("v?"));
    for (const scheme of [0x00, 0x02, 0x7f, 0xff]) {
      const changed = sealed.slice();
      changed[0] = scheme;
      expectError(openMessage({ recipient: bob, sealed: changed }), { code: "unsupported-scheme", scheme });
    }
  });

  it("[CR17] derives keys as BLAKE2b-256(len(label) | label | parts), checked against Python's hashlib", () => {
    const range = (from: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => from + i);
    // hashlib.blake2b(bytes([17]) + b"parley/seal/v1/es" + bytes(range(96)), digest_size=32).hexdigest()
    expect(bytesToHex(deriveKeyBlake2b(utf8("parley/seal/v1/es"), range(0), range(32), range(64)))).toBe(
      "f8b8cda7f4f6ad1c33b8a9c700f731c0bd47ec3be881c7cb1cd3d63324a7a836",
    );
    expect(bytesToHex(deriveKeyBlake2b(utf8("parley/seal/v1/ss")))).toBe(
      "2556108835569bd971dd39e640b24a1e05f8a0bb54828d3767f15579db7eb9f0",
    );
  });

  it("[CR17] lays out bytes exactly as documented: a hand-built message equals sealMessage's with the same randomness", () => {
    const sealed = sealMessage({
      sender: alice,
      recipient: publicIdentityOf(bob),
      plaintext: utf8("hello"),
      randomBytes: createPrng(17).bytes,
    });
    expect(bytesToHex(handBuiltFromAlice(17))).toBe(bytesToHex(sealed));
    const ephemeral = x25519PublicKey(createPrng(17).bytes(32) as X25519SecretKey);
    expect(bytesToHex(sealed.subarray(LAYOUT.ephemeral, LAYOUT.nonce1))).toBe(bytesToHex(ephemeral));
    expectOpened(openMessage({ recipient: bob, sealed }), publicIdentityOf(alice), utf8("hello"));
  });

  it("[CR14] refuses a certificate whose signature was made by a different key with bad-identity", () => {
    // Alice's keys, but the binding signature is Carol's: the certificate does not verify.
    const forged = identityCertificate(alice);
    const signed = concatBytes(utf8("parley/identity/v1"), alice.agreement.publicKey);
    forged.set(signEd25519(carol.signing.secretKey, signed), 64);
    expectError(openMessage({ recipient: bob, sealed: handBuiltFromAlice(14, { certificate: forged }) }), {
      code: "bad-identity",
    });
    // The same construction with Alice's own signature opens: the test above fails only on the signature.
    forged.set(signEd25519(alice.signing.secretKey, signed), 64);
    expectOpened(
      openMessage({ recipient: bob, sealed: handBuiltFromAlice(14, { certificate: forged }) }),
      publicIdentityOf(alice),
      utf8("hello"),
    );
  });

  it("[CR14] refuses a correctly signed certificate for a low-order agreement key with bad-identity", () => {
    const lowOrder = new Uint8Array(32); // u = 0: every shared secret with it is zero.
    const certificate = concatBytes(
      alice.signing.publicKey,
      lowOrder,
      signEd25519(alice.signing.secretKey, concatBytes(utf8("parley/identity/v1"), lowOrder)),
    );
    expectError(openMessage({ recipient: bob, sealed: handBuiltFromAlice(15, { certificate }) }), {
      code: "bad-identity",
    });
  });

  it("[CR15] refuses an authentic body whose padding is wrong with bad-padding", () => {
    for (const paddedBody of [new Uint8Array(256), new Uint8Array(256).fill(0x41), new Uint8Array(0)]) {
      expectError(openMessage({ recipient: bob, sealed: handBuiltFromAlice(16, { paddedBody }) }), {
        code: "bad-padding",
      });
    }
  });

  it("[CR19] refuses to seal to a low-order recipient agreement key", () => {
    const recipient = { ...publicIdentityOf(bob), agreementKey: new Uint8Array(32) as X25519PublicKey };
    expect(() =>
      sealMessage({ sender: alice, recipient, plaintext: utf8("x"), randomBytes: systemRandomBytes }),
    ).toThrow("sealMessage: recipient agreement key is of low order");
  });

  it("[CR16] uses fresh randomness: two seals of one plaintext share no ephemeral key or nonce", () => {
    const plaintext = utf8("same words twice");
    const a = seal(plaintext);
    const b = seal(plaintext);
    expect(a.length).toBe(b.length);
    for (const [start, end] of [
      [LAYOUT.ephemeral, LAYOUT.nonce1],
      [LAYOUT.nonce1, LAYOUT.certBox],
      [LAYOUT.nonce2, LAYOUT.body],
      [LAYOUT.body, a.length],
    ] as const) {
      expect(bytesToHex(a.subarray(start, end))).not.toBe(bytesToHex(b.subarray(start, end)));
    }
  });

  it("[CR16] is deterministic given the same injected randomness", () => {
    const plaintext = utf8("deterministic");
    const a = seal(plaintext, createPrng(42).bytes);
    const b = seal(plaintext, createPrng(42).bytes);
    const c = seal(plaintext, createPrng(43).bytes);
    expect(bytesToHex(a)).toBe(bytesToHex(b));
    expect(bytesToHex(a)).not.toBe(bytesToHex(c));
    expectOpened(openMessage({ recipient: bob, sealed: a }), publicIdentityOf(alice), plaintext);
  });

  it("[CR18] never throws on arbitrary input: random bytes of random lengths give typed errors", () => {
    const prng = createPrng(18);
    const codes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const sealed = prng.bytes(prng.int(SEALED_OVERHEAD + 600));
      if (i % 2 === 0 && sealed.length > 0) sealed[0] = SCHEME_STATIC_V1;
      const result = openMessage({ recipient: bob, sealed });
      expect(result.ok).toBe(false);
      if (!result.ok) codes.add(result.error.code);
    }
    expect([...codes].sort()).toEqual(["decrypt-failed", "malformed", "unsupported-scheme"]);
  });
});
