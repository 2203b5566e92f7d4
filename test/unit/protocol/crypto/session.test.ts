import { beforeAll, describe, expect, it } from "vitest";
import {
  addressOf,
  canSend,
  checkBundle,
  concatBytes,
  encodeIdentity,
  encryptXChaCha20Poly1305,
  identityCertificate,
  initialPrekeyId,
  loadCrypto,
  openInitialMessage,
  openSessionMessage,
  paddedLength,
  padPlaintext,
  PREKEY_ID_BYTES,
  publicIdentityOf,
  samePublicIdentity,
  SCHEME_INITIAL,
  SCHEME_RATCHET,
  schemeOf,
  sealInitialMessage,
  sessionAssociatedData,
  signEd25519,
  x25519,
  x25519PublicKey,
  type IdentityKeyPair,
  type PrekeyBundle,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Key,
  type XChaCha20Poly1305Nonce,
} from "../../../../src/protocol/crypto";
import { deriveX3dhSecrets } from "../../../../src/protocol/crypto/kdf";
import { ratchetEncrypt } from "../../../../src/protocol/crypto/ratchet";
import { lib } from "../../../../src/protocol/crypto/sodium";
import { x3dhInitiate, x3dhRespond } from "../../../../src/protocol/crypto/x3dh";
import { utf8 } from "../../../../src/protocol/encoding";
import { PROTOCOL_VERSION } from "../../../../src/protocol/version";
import { bytesToHex, flipByte } from "../support";
import {
  containsBytes,
  makeBundle,
  open,
  RATCHET_LAYOUT,
  receive,
  recordDraws,
  seal,
  seededIdentity,
  seededRandom,
  snapshot,
  startSession,
  text,
  x25519KeyPair,
} from "./session-support";

/**
 * X3DH and the first message (scheme 3), and the session wire (schemes 2 and
 * 3 as bytes): layout, sealed sender, and the typed error for every way a
 * message can be wrong. The wire layout is spelled out here independently of
 * session.ts, with libsodium's BLAKE2b called directly.
 */

/** Scheme 3: 0x03 ‖ EK(32) ‖ prekeyId(16) ‖ nonce(24) ‖ cert box(128+16) ‖ header(80) ‖ body. */
const INITIAL = {
  scheme: 0,
  ephemeral: 1,
  prekeyId: 33,
  nonce: 49,
  certBox: 73,
  certTag: 73 + 128,
  headerNonce: 217,
  headerBox: 241,
  headerTag: 281,
  body: 297,
} as const;
const INITIAL_MINIMUM = INITIAL.body + 16;
const RATCHET_MINIMUM = RATCHET_LAYOUT.body + 16;

let alice: IdentityKeyPair;
let bob: IdentityKeyPair;
let carol: IdentityKeyPair;
let mallory: IdentityKeyPair;

beforeAll(async () => {
  await loadCrypto();
  const r = seededRandom(100);
  alice = seededIdentity(r);
  bob = seededIdentity(r);
  carol = seededIdentity(r);
  mallory = seededIdentity(r);
});

function expectError(result: { ok: boolean; error?: unknown }, error: object, context?: string): void {
  expect(result, context).toEqual({ ok: false, error });
}

function seq(start: number, length = 32): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

const blake2b = (length: number, message: Uint8Array, key: Uint8Array | null = null) =>
  lib().crypto_generichash(length, message, key);

/** The expansion step of both KDFs: BLAKE2b-256(key = prk, label ‖ i) for i = 1, 2, 3. */
function expand3(prk: Uint8Array, label: Uint8Array): Uint8Array[] {
  return [1, 2, 3].map((i) => blake2b(32, concatBytes(label, Uint8Array.of(i)), prk));
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** A first message from Alice to Bob with a fresh bundle; returns what Bob needs to open it. */
function firstMessage(seed: number, plaintext = text("hello Bob"), ours: IdentityKeyPair = alice) {
  const randomBytes = seededRandom(seed);
  const { bundle, prekeys } = makeBundle(bob, randomBytes);
  const { state, sealed } = sealInitialMessage({ ours, bundle, plaintext, randomBytes });
  return { state, sealed, bundle, prekeys, randomBytes };
}

describe("X3DH", () => {
  it("[XD1] a bundle is usable only with a 16-byte prekey id and the identity's signature over its signed prekey", () => {
    const r = seededRandom(1);
    const { bundle } = makeBundle(bob, r);
    expect(checkBundle(bundle)).toBe(true);
    // The signature is Ed25519 over the domain and the tagged key (deterministic, so it can be rebuilt).
    const signed = concatBytes(utf8("parley/signed-prekey/v1"), Uint8Array.of(0x02), bundle.signedPrekey);
    expect(bytesToHex(bundle.signedPrekeySignature)).toBe(bytesToHex(signEd25519(bob.signing.secretKey, signed)));

    const bad: [string, PrekeyBundle][] = [
      ["a signature by another identity", { ...bundle, identity: publicIdentityOf(mallory) }],
      ["a signature over the one-time prekey", { ...bundle, signedPrekey: bundle.oneTimePrekey }],
      ["a flipped signature", { ...bundle, signedPrekeySignature: flipByte(bundle.signedPrekeySignature, 5) as never }],
      ["a 15-byte prekey id", { ...bundle, prekeyId: bundle.prekeyId.subarray(1) }],
    ];
    for (const [what, b] of bad) {
      expect(checkBundle(b), what).toBe(false);
      expect(() => sealInitialMessage({ ours: alice, bundle: b, plaintext: text("x"), randomBytes: r }), what).toThrow(
        /does not verify/,
      );
    }
  });

  it("[XD1] sealInitialMessage throws for a bundle key of low order rather than agree on a public secret", () => {
    const r = seededRandom(2);
    const { bundle } = makeBundle(bob, r);
    const lowOrder = new Uint8Array(32) as X25519PublicKey;
    expect(() =>
      sealInitialMessage({
        ours: alice,
        bundle: { ...bundle, oneTimePrekey: lowOrder },
        plaintext: text("x"),
        randomBytes: r,
      }),
    ).toThrow(/low order/);
    const lowIdentity = { ...bundle, identity: { ...bundle.identity, agreementKey: lowOrder } };
    expect(() =>
      sealInitialMessage({ ours: alice, bundle: lowIdentity, plaintext: text("x"), randomBytes: r }),
    ).toThrow(/low order/);
  });

  it("[XD2] both sides compute DH1..DH4 and derive the same root key and initial header keys", () => {
    const r = seededRandom(3);
    const { bundle, prekeys } = makeBundle(bob, r);
    const ephemeral = x25519KeyPair(r);
    const initiator = x3dhInitiate({ ours: alice, ephemeral, bundle })!;
    const responder = x3dhRespond({
      ours: bob,
      ...prekeys,
      initiator: publicIdentityOf(alice),
      ephemeralKey: ephemeral.publicKey,
    })!;
    expect(responder).toEqual(initiator);

    // By hand: DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B).
    const dh = [
      x25519(alice.agreement.secretKey, bundle.signedPrekey)!,
      x25519(ephemeral.secretKey, bob.agreement.publicKey)!,
      x25519(ephemeral.secretKey, bundle.signedPrekey)!,
      x25519(ephemeral.secretKey, bundle.oneTimePrekey)!,
    ];
    const label = utf8("parley/x3dh/v1");
    const prk = blake2b(32, concatBytes(label, new Uint8Array(32).fill(0xff), ...dh), new Uint8Array(32));
    const [rootKey, initiatorHeaderKey, responderHeaderKey] = expand3(prk, label);
    expect(bytesToHex(initiator.rootKey)).toBe(bytesToHex(rootKey!));
    expect(bytesToHex(initiator.initiatorHeaderKey)).toBe(bytesToHex(initiatorHeaderKey!));
    expect(bytesToHex(initiator.responderHeaderKey)).toBe(bytesToHex(responderHeaderKey!));

    // A low-order key on either side gives no secrets at all.
    const zero = new Uint8Array(32) as X25519PublicKey;
    expect(x3dhInitiate({ ours: alice, ephemeral, bundle: { ...bundle, signedPrekey: zero } })).toBeUndefined();
    expect(
      x3dhRespond({ ours: bob, ...prekeys, initiator: publicIdentityOf(alice), ephemeralKey: zero }),
    ).toBeUndefined();
  });

  // Python: L = b"parley/x3dh/v1"; prk = blake2b(L + b"\xff" * 32 + seq(0) + seq(0x20) + seq(0x40) + seq(0x60),
  //   key=bytes(32), digest_size=32).digest(); [blake2b(L + bytes([i]), key=prk, digest_size=32).hexdigest() for i in 1..3]
  it("[XD2] the X3DH KDF matches Python's hashlib.blake2b", () => {
    const secrets = deriveX3dhSecrets([seq(0), seq(0x20), seq(0x40), seq(0x60)]);
    expect(bytesToHex(secrets.rootKey)).toBe("c95d1fe59d31ecfe07812b8aa2da0aa3f062e4122d9e5b9980ada1f3fe37369a");
    expect(bytesToHex(secrets.initiatorHeaderKey)).toBe(
      "014227d3feb498c2644c5112ab0d2c09a70500f078f5e639aad37d16b1e7a9fb",
    );
    expect(bytesToHex(secrets.responderHeaderKey)).toBe(
      "0dcd8dfb3031974d6d3d75541962dfccf606d4c6f767120e37619e8b705228d5",
    );
  });

  it("[XD3] the session AD digests version, both identities and both addresses, initiator first, and both sides hold it", () => {
    const a = publicIdentityOf(alice);
    const b = publicIdentityOf(bob);
    const addressA = utf8(addressOf(a.signingKey));
    const addressB = utf8(addressOf(b.signingKey));
    expect(addressA.length).toBe(43);
    const byHand = blake2b(
      32,
      concatBytes(
        utf8("parley/session/v1"),
        Uint8Array.of(PROTOCOL_VERSION),
        Uint8Array.of(0x01),
        a.signingKey,
        Uint8Array.of(0x02),
        a.agreementKey,
        Uint8Array.of(0x01),
        b.signingKey,
        Uint8Array.of(0x02),
        b.agreementKey,
        Uint8Array.of(addressA.length),
        addressA,
        Uint8Array.of(addressB.length),
        addressB,
      ),
    );
    expect(bytesToHex(sessionAssociatedData(a, b))).toBe(bytesToHex(byHand));
    expect(bytesToHex(sessionAssociatedData(b, a))).not.toBe(bytesToHex(byHand));
    expect(bytesToHex(encodeIdentity(a))).toBe(
      bytesToHex(concatBytes(Uint8Array.of(1), a.signingKey, Uint8Array.of(2), a.agreementKey)),
    );

    const pair = startSession(4, { alice, bob });
    expect(bytesToHex(pair.a.ad)).toBe(bytesToHex(byHand));
    expect(bytesToHex(pair.b.ad)).toBe(bytesToHex(byHand));
  });
});

describe("the first message (scheme 3)", () => {
  it("[XD4] is the same bytes for the same randomness, drawn as 32 (EK), 24 (nonce), 32 (ratchet key), 24 (header nonce)", () => {
    const sealTwice = () => {
      const recorded = recordDraws(seededRandom(5));
      const { bundle } = makeBundle(bob, seededRandom(6));
      const sealed = sealInitialMessage({
        ours: alice,
        bundle,
        plaintext: text("same"),
        randomBytes: recorded.randomBytes,
      });
      return { ...sealed, draws: recorded.draws };
    };
    const one = sealTwice();
    const two = sealTwice();
    expect(bytesToHex(two.sealed)).toBe(bytesToHex(one.sealed));
    expect(one.draws.map((d) => d.length)).toEqual([32, 24, 32, 24]);
    // Other randomness, other bytes everywhere but the scheme and the prekey id.
    const other = sealInitialMessage({
      ours: alice,
      bundle: makeBundle(bob, seededRandom(6)).bundle,
      plaintext: text("same"),
      randomBytes: seededRandom(7),
    });
    expect(other.sealed.length).toBe(one.sealed.length);
    expect(bytesToHex(other.sealed.subarray(INITIAL.prekeyId, INITIAL.nonce))).toBe(
      bytesToHex(one.sealed.subarray(INITIAL.prekeyId, INITIAL.nonce)),
    );
    expect(bytesToHex(other.sealed.subarray(INITIAL.nonce))).not.toBe(bytesToHex(one.sealed.subarray(INITIAL.nonce)));
  });

  it("[XD4] is exactly the documented layout: rebuilt here byte for byte from the primitives", () => {
    const recorded = recordDraws(seededRandom(8));
    const { bundle } = makeBundle(bob, seededRandom(9));
    const plaintext = text("rebuilt by hand");
    const { sealed, state } = sealInitialMessage({ ours: alice, bundle, plaintext, randomBytes: recorded.randomBytes });
    const [ephemeralSecret, nonce, ratchetSecret, headerNonce] = recorded.draws as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const ek = x25519PublicKey(ephemeralSecret as X25519SecretKey);
    const dh = [
      x25519(alice.agreement.secretKey, bundle.signedPrekey)!,
      x25519(ephemeralSecret as X25519SecretKey, bob.agreement.publicKey)!,
      x25519(ephemeralSecret as X25519SecretKey, bundle.signedPrekey)!,
      x25519(ephemeralSecret as X25519SecretKey, bundle.oneTimePrekey)!,
    ];

    // k_s = BLAKE2b-256(u8(21) ‖ "parley/x3dh/v1/sender" ‖ DH3 ‖ DH4 ‖ EK ‖ SPK_B ‖ OPK_B), unkeyed.
    const senderLabel = utf8("parley/x3dh/v1/sender");
    expect(senderLabel.length).toBe(21);
    const ks = blake2b(
      32,
      concatBytes(Uint8Array.of(21), senderLabel, dh[2]!, dh[3]!, ek, bundle.signedPrekey, bundle.oneTimePrekey),
    ) as XChaCha20Poly1305Key;
    const adS = concatBytes(
      Uint8Array.of(0x03, PROTOCOL_VERSION),
      encodeIdentity(bundle.identity),
      ek,
      bundle.prekeyId,
    );
    const certificate = identityCertificate(alice);
    const certBox = encryptXChaCha20Poly1305(ks, nonce as XChaCha20Poly1305Nonce, certificate, adS);

    // X3DH, then Alice's first root step with a fresh ratchet key against the signed prekey.
    const x3dhLabel = utf8("parley/x3dh/v1");
    const [sk, hka] = expand3(
      blake2b(32, concatBytes(x3dhLabel, new Uint8Array(32).fill(0xff), ...dh), new Uint8Array(32)),
      x3dhLabel,
    );
    const rootLabel = utf8("parley/ratchet/v1/root");
    const ratchetPublic = x25519PublicKey(ratchetSecret as X25519SecretKey);
    const dhRatchet = x25519(ratchetSecret as X25519SecretKey, bundle.signedPrekey)!;
    const [, chainKey, nextHeaderKey] = expand3(blake2b(32, concatBytes(rootLabel, dhRatchet), sk!), rootLabel);
    const ad = sessionAssociatedData(publicIdentityOf(alice), bundle.identity);
    const header = concatBytes(ratchetPublic, u32be(0), u32be(0));
    const headerBox = encryptXChaCha20Poly1305(
      hka as XChaCha20Poly1305Key,
      headerNonce as XChaCha20Poly1305Nonce,
      header,
      ad,
    );
    const messageKey = blake2b(64, Uint8Array.of(0x01), chainKey!).slice(0, 32) as XChaCha20Poly1305Key;
    const sealedHeader = concatBytes(headerNonce, headerBox);
    const body = encryptXChaCha20Poly1305(
      messageKey,
      headerNonce as XChaCha20Poly1305Nonce,
      padPlaintext(plaintext),
      concatBytes(ad, sealedHeader),
    );

    const byHand = concatBytes(Uint8Array.of(0x03), ek, bundle.prekeyId, nonce, certBox, sealedHeader, body);
    expect(bytesToHex(sealed)).toBe(bytesToHex(byHand));
    expect(sealed.length).toBe(INITIAL_MINIMUM + paddedLength(plaintext.length));
    expect(certBox.length).toBe(INITIAL.headerNonce - INITIAL.certBox);
    // Alice keeps the ratchet key pair and the next header key she derived.
    expect(bytesToHex(state.sendingKeyPair.secretKey)).toBe(bytesToHex(ratchetSecret));
    expect(bytesToHex(state.nextSendingHeaderKey)).toBe(bytesToHex(nextHeaderKey!));
  });

  it("[XD5] opens to the sender's certified identity, the plaintext, and a state that can answer", () => {
    for (const length of [0, 1, 255, 256, 5_000]) {
      const plaintext = Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff);
      const { sealed, prekeys, randomBytes, state } = firstMessage(10 + length, plaintext);
      const opened = openInitialMessage({ ours: bob, sealed, prekeys, randomBytes });
      if (!opened.ok) throw new Error(opened.error.code);
      expect(samePublicIdentity(opened.value.sender, publicIdentityOf(alice))).toBe(true);
      expect(bytesToHex(opened.value.plaintext)).toBe(bytesToHex(plaintext));
      expect(canSend(opened.value.state)).toBe(true);
      const answer = seal(opened.value.state, "answer", randomBytes);
      receive(state, answer.sealed, "answer", randomBytes);
    }
  });

  it("[XD6] a certificate not signed by its own signing key is bad-identity", () => {
    // Mallory claims Alice's signing key but can only sign with her own.
    const forger = { ...mallory, signing: { ...mallory.signing, publicKey: alice.signing.publicKey } };
    const { sealed, prekeys, randomBytes } = firstMessage(20, text("it's me, Alice"), forger);
    expectError(openInitialMessage({ ours: bob, sealed, prekeys, randomBytes }), { code: "bad-identity" });
  });

  it("[XD6] a certified agreement key of low order is bad-identity", () => {
    const lowOrder = { ...alice, agreement: { ...alice.agreement, publicKey: new Uint8Array(32) as X25519PublicKey } };
    const { sealed, prekeys, randomBytes } = firstMessage(21, text("x"), lowOrder);
    expectError(openInitialMessage({ ours: bob, sealed, prekeys, randomBytes }), { code: "bad-identity" });
  });

  it("[XD6] a low-order ephemeral key, or prekeys other than the ones the message was made for, is bad-identity", () => {
    const { sealed, prekeys, randomBytes } = firstMessage(22);
    // X25519 ignores the top bit of a public key, but EK's bytes are bound into k_s and ad_s, so it still counts.
    const topBit = flipByte(sealed, INITIAL.prekeyId - 1, 0x80);
    expectError(openInitialMessage({ ours: bob, sealed: topBit, prekeys, randomBytes }), { code: "bad-identity" });
    const zeroEk = sealed.slice();
    zeroEk.fill(0, INITIAL.ephemeral, INITIAL.prekeyId);
    expectError(openInitialMessage({ ours: bob, sealed: zeroEk, prekeys, randomBytes }), { code: "bad-identity" });
    const other = makeBundle(bob, seededRandom(23)).prekeys;
    for (const wrong of [
      other,
      { ...prekeys, oneTimePrekey: other.oneTimePrekey },
      { ...prekeys, signedPrekey: other.signedPrekey },
    ]) {
      expectError(openInitialMessage({ ours: bob, sealed, prekeys: wrong, randomBytes }), { code: "bad-identity" });
    }
    // Sent to Bob's bundle, opened by Carol with Bob's prekeys: the certificate box is bound to Bob's identity.
    expectError(openInitialMessage({ ours: carol, sealed, prekeys, randomBytes }), { code: "bad-identity" });
  });

  it("[XD7] a valid certificate without its agreement secret (a replayed certificate) sets up nothing: no-session", () => {
    // Ed25519 is deterministic, so signing Alice's certificate again equals replaying one Mallory captured;
    // what she lacks is Alice's X25519 secret, which DH1 needs.
    const impostor = {
      signing: alice.signing,
      agreement: { ...mallory.agreement, publicKey: alice.agreement.publicKey },
    };
    expect(bytesToHex(identityCertificate(impostor))).toBe(bytesToHex(identityCertificate(alice)));
    const { sealed, prekeys, randomBytes } = firstMessage(24, text("it's me, Alice"), impostor);
    expectError(openInitialMessage({ ours: bob, sealed, prekeys, randomBytes }), { code: "no-session" });
  });

  it("[XD8] without its prekeys (deleted once used, or never ours) a first message is unknown-prekey, replays included", () => {
    const { sealed, prekeys, randomBytes } = firstMessage(25);
    expectError(openInitialMessage({ ours: bob, sealed, prekeys: undefined, randomBytes }), { code: "unknown-prekey" });
    const opened = openInitialMessage({ ours: bob, sealed, prekeys, randomBytes });
    expect(opened.ok).toBe(true);
    // The app deletes the one-time prekey in the transaction that stores the session; a replay then finds none.
    expectError(openInitialMessage({ ours: bob, sealed, prekeys: undefined, randomBytes }), { code: "unknown-prekey" });
    // Had it been kept, the replay would open again: single use rests on that deletion.
    expect(openInitialMessage({ ours: bob, sealed, prekeys, randomBytes }).ok).toBe(true);
  });

  it("[XD9] initialPrekeyId reads the 16 bytes after EK, and nothing from other input", () => {
    const { sealed, bundle, randomBytes, state } = firstMessage(26);
    const id = initialPrekeyId(sealed)!;
    expect(id.length).toBe(PREKEY_ID_BYTES);
    expect(bytesToHex(id)).toBe(bytesToHex(bundle.prekeyId));
    id[0]! ^= 0xff; // a copy: changing it leaves the message alone
    expect(bytesToHex(initialPrekeyId(sealed)!)).toBe(bytesToHex(bundle.prekeyId));
    expect(initialPrekeyId(sealed.subarray(0, INITIAL.nonce))).toBeDefined();
    expect(initialPrekeyId(sealed.subarray(0, INITIAL.nonce - 1))).toBeUndefined();
    expect(initialPrekeyId(seal(state, "scheme 2", randomBytes).sealed)).toBeUndefined();
    expect(initialPrekeyId(new Uint8Array(0))).toBeUndefined();
  });
});

describe("ratchet messages (scheme 2)", () => {
  it("[SE1] are 0x02 ‖ 80-byte header ‖ padded body + tag: 353 bytes for anything up to 255 bytes", () => {
    const { a, randomBytes } = startSession(30);
    for (const [length, expected] of [
      [0, 353],
      [100, 353],
      [255, 353],
      [256, 97 + 272],
      [1_024, 97 + 1_088],
    ] as const) {
      const { sealed } = seal(a, new Uint8Array(length), randomBytes);
      expect(sealed.length, `length ${length}`).toBe(expected);
      expect(sealed.length).toBe(RATCHET_MINIMUM + paddedLength(length));
      expect(sealed[0]).toBe(SCHEME_RATCHET);
      expect(schemeOf(sealed)).toBe(0x02);
    }
    const first = firstMessage(31, new Uint8Array(255)).sealed;
    expect(first.length).toBe(569);
    expect(schemeOf(first)).toBe(SCHEME_INITIAL);
    expect(schemeOf(new Uint8Array(0))).toBeUndefined();
  });

  it("[SE2] round trip both ways over many turns, any lengths, with bursts from either side", () => {
    const pair = startSession(32);
    const { randomBytes } = pair;
    let { a, b } = pair;
    let sent = 0;
    for (let turn = 0; turn < 30; turn++) {
      const aliceSends = turn % 3 !== 2; // sometimes the same side twice in a row
      for (let i = 0; i < 1 + (turn % 4); i++) {
        const plaintext = randomBytes((turn * 97 + i * 31) % 3_000);
        if (aliceSends) {
          const m = seal(a, plaintext, randomBytes);
          a = m.state;
          b = receive(b, m.sealed, plaintext, randomBytes);
        } else {
          const m = seal(b, plaintext, randomBytes);
          b = m.state;
          a = receive(a, m.sealed, plaintext, randomBytes);
        }
        sent++;
      }
    }
    expect(sent).toBeGreaterThan(60);
  });

  it("[SE3] openSessionMessage finds the session whose header keys open the message and returns its key", () => {
    const r = seededRandom(33);
    const bobs = seededIdentity(r);
    const contacts = ["alice", "carol", "dave"].map((name, i) => ({ name, pair: startSession(34 + i, { bob: bobs }) }));
    const sessions = contacts.map(({ name, pair }) => ({ key: name, state: pair.b }));
    for (const { name, pair } of contacts) {
      const { sealed } = seal(pair.a, `from ${name}`, pair.randomBytes);
      // Whatever order the sessions are tried in.
      for (const order of [sessions, [...sessions].reverse()]) {
        const opened = openSessionMessage({ sealed, sessions: order, randomBytes: r });
        if (!opened.ok) throw new Error(opened.error.code);
        expect(opened.value.key).toBe(name);
        expect(bytesToHex(opened.value.plaintext)).toBe(bytesToHex(text(`from ${name}`)));
      }
    }
    const stranger = startSession(40);
    const { sealed } = seal(stranger.a, "for someone else", stranger.randomBytes);
    expectError(openSessionMessage({ sealed, sessions, randomBytes: r }), { code: "no-session" });
    expectError(openSessionMessage({ sealed, sessions: [], randomBytes: r }), { code: "no-session" });
  });

  it("[SE4] a ratchet message carries no identity key, address or ratchet key of either party", () => {
    const { a, b, alice: sender, bob: recipient, randomBytes } = startSession(41);
    const fromAlice = seal(a, "hello", randomBytes);
    const fromBob = seal(b, "hello back", randomBytes);
    const revealing = [
      sender.signing.publicKey,
      sender.agreement.publicKey,
      recipient.signing.publicKey,
      recipient.agreement.publicKey,
      utf8(addressOf(sender.signing.publicKey)),
      utf8(addressOf(recipient.signing.publicKey)),
      a.sendingKeyPair.publicKey,
      b.sendingKeyPair.publicKey,
      a.ad,
    ];
    for (const sealed of [fromAlice.sealed, fromBob.sealed]) {
      for (const secret of revealing) {
        // Any 8 bytes of them would do to link a message to a party.
        for (let i = 0; i + 8 <= secret.length; i += 8)
          expect(containsBytes(sealed, secret.subarray(i, i + 8))).toBe(false);
      }
    }
  });

  it("[SE4] a first message carries no plaintext identity bytes of either party", () => {
    const { sealed, bundle } = firstMessage(42);
    const revealing = [
      alice.signing.publicKey,
      alice.agreement.publicKey,
      utf8(addressOf(alice.signing.publicKey)),
      identityCertificate(alice).subarray(64),
      bob.signing.publicKey,
      bob.agreement.publicKey,
      utf8(addressOf(bob.signing.publicKey)),
      bundle.signedPrekey,
      bundle.oneTimePrekey,
    ];
    for (const secret of revealing) {
      for (let i = 0; i + 8 <= secret.length; i += 8)
        expect(containsBytes(sealed, secret.subarray(i, i + 8))).toBe(false);
    }
  });

  it("[SE9] an authenticated body whose padding is invalid is bad-padding", () => {
    const { a, b, randomBytes } = startSession(43);
    for (const unpadded of [new Uint8Array(256), text("no marker at all")]) {
      const { message } = ratchetEncrypt(a, unpadded, randomBytes, Uint8Array.of(SCHEME_RATCHET));
      expectError(open(b, message, randomBytes), { code: "bad-padding" });
    }
  });
});

/** Which typed error each region of a message gives when one of its bytes changes (to `changed`). */
type Region = { name: string; from: number; to: number; error: (changed: number) => object };

const always = (error: object) => () => error;
const unsupported = (changed: number) => ({ code: "unsupported-scheme", scheme: changed });

function ratchetRegions(length: number): Region[] {
  return [
    { name: "scheme byte", from: 0, to: 1, error: unsupported },
    { name: "header nonce", from: 1, to: 25, error: always({ code: "no-session" }) },
    { name: "header ciphertext", from: 25, to: 65, error: always({ code: "no-session" }) },
    { name: "header tag", from: 65, to: 81, error: always({ code: "no-session" }) },
    { name: "body", from: 81, to: length - 16, error: always({ code: "decrypt-failed" }) },
    { name: "body tag", from: length - 16, to: length, error: always({ code: "decrypt-failed" }) },
  ];
}

function initialRegions(length: number): Region[] {
  const badIdentity = always({ code: "bad-identity" });
  return [
    { name: "scheme byte", from: 0, to: 1, error: unsupported },
    { name: "EK", from: INITIAL.ephemeral, to: INITIAL.prekeyId, error: badIdentity },
    { name: "prekey id", from: INITIAL.prekeyId, to: INITIAL.nonce, error: badIdentity },
    { name: "nonce", from: INITIAL.nonce, to: INITIAL.certBox, error: badIdentity },
    { name: "certificate box", from: INITIAL.certBox, to: INITIAL.certTag, error: badIdentity },
    { name: "certificate tag", from: INITIAL.certTag, to: INITIAL.headerNonce, error: badIdentity },
    { name: "header nonce", from: INITIAL.headerNonce, to: INITIAL.headerBox, error: always({ code: "no-session" }) },
    { name: "header box", from: INITIAL.headerBox, to: INITIAL.body, error: always({ code: "no-session" }) },
    { name: "body", from: INITIAL.body, to: length - 16, error: always({ code: "decrypt-failed" }) },
    { name: "body tag", from: length - 16, to: length, error: always({ code: "decrypt-failed" }) },
  ];
}

describe("tampering", () => {
  /** Three ways a message can meet its recipient: in the current chain, from a new chain (a DH step), from a skipped key. */
  function ratchetCases(seed: number) {
    const { a, b, randomBytes } = startSession(seed);
    const inChain = seal(a, "in chain", randomBytes);
    const reply = seal(b, "reply", randomBytes);
    const a1 = receive(inChain.state, reply.sealed, "reply", randomBytes);
    const newChain = seal(a1, "new chain", randomBytes);
    const skippedFirst = seal(reply.state, "skipped", randomBytes);
    const skippedSecond = seal(skippedFirst.state, "after it", randomBytes);
    const a2 = receive(a1, skippedSecond.sealed, "after it", randomBytes);
    return [
      { path: "current chain", state: b, sealed: inChain.sealed, plaintext: "in chain", randomBytes },
      { path: "DH step", state: reply.state, sealed: newChain.sealed, plaintext: "new chain", randomBytes },
      { path: "skipped key", state: a2, sealed: skippedFirst.sealed, plaintext: "skipped", randomBytes },
    ];
  }

  it("[SE5] changing any byte of a ratchet message gives its field's typed error and leaves the state as it was", () => {
    for (const { path, state, sealed, plaintext, randomBytes } of ratchetCases(50)) {
      const before = snapshot(state);
      for (const region of ratchetRegions(sealed.length)) {
        expect(region.to).toBeGreaterThan(region.from);
        for (let offset = region.from; offset < region.to; offset++) {
          for (const mask of [0x01, 0x80]) {
            const changed = flipByte(sealed, offset, mask);
            const expected = region.error(changed[offset]!);
            const result = open(state, changed, randomBytes);
            if (result.ok || JSON.stringify(result.error) !== JSON.stringify(expected)) {
              expectError(result, expected, `${path}: ${region.name}, byte ${offset}, mask ${mask}`);
            }
          }
        }
      }
      // The state object is untouched and still opens the genuine message.
      expect(state, path).toEqual(before);
      receive(state, sealed, plaintext, randomBytes);
    }
  });

  it("[SE6] changing any byte of a first message gives its field's typed error, and Bob's prekeys still open the genuine one", () => {
    const { sealed, prekeys, randomBytes } = firstMessage(51, text("first"));
    const before = structuredClone(prekeys);
    for (const region of initialRegions(sealed.length)) {
      expect(region.to).toBeGreaterThan(region.from);
      for (let offset = region.from; offset < region.to; offset++) {
        const changed = flipByte(sealed, offset);
        const expected = region.error(changed[offset]!);
        const result = openInitialMessage({ ours: bob, sealed: changed, prekeys, randomBytes });
        if (result.ok || JSON.stringify(result.error) !== JSON.stringify(expected)) {
          expectError(result, expected, `${region.name}, byte ${offset}`);
        }
      }
    }
    expect(prekeys).toEqual(before);
    const opened = openInitialMessage({ ours: bob, sealed, prekeys, randomBytes });
    expect(opened.ok && bytesToHex(opened.value.plaintext)).toBe(bytesToHex(text("first")));
  });

  it("[SE7] every truncation is a typed error: malformed below the minimum (97 / 313 bytes), decrypt-failed above", () => {
    const { a, b, randomBytes } = startSession(52);
    const { sealed } = seal(a, "truncate me", randomBytes);
    expect(RATCHET_MINIMUM).toBe(97);
    for (let length = 0; length < sealed.length; length++) {
      const expected =
        length === 0
          ? { code: "unsupported-scheme", scheme: -1 }
          : length < RATCHET_MINIMUM
            ? { code: "malformed" }
            : { code: "decrypt-failed" };
      const result = open(b, sealed.subarray(0, length), randomBytes);
      if (result.ok || JSON.stringify(result.error) !== JSON.stringify(expected)) {
        expectError(result, expected, `length ${length}`);
      }
    }
    for (const extra of [1, 16, 1_000]) {
      expectError(open(b, concatBytes(sealed, new Uint8Array(extra)), randomBytes), { code: "decrypt-failed" });
    }
    receive(b, sealed, "truncate me", randomBytes);
  });

  it("[SE7] every truncation of a first message is a typed error too", () => {
    const { sealed, prekeys, randomBytes } = firstMessage(53);
    expect(INITIAL_MINIMUM).toBe(313);
    for (let length = 0; length < sealed.length; length++) {
      const expected =
        length === 0
          ? { code: "unsupported-scheme", scheme: -1 }
          : length < INITIAL_MINIMUM
            ? { code: "malformed" }
            : { code: "decrypt-failed" };
      const result = openInitialMessage({ ours: bob, sealed: sealed.subarray(0, length), prekeys, randomBytes });
      if (result.ok || JSON.stringify(result.error) !== JSON.stringify(expected)) {
        expectError(result, expected, `length ${length}`);
      }
    }
    for (const extra of [1, 16, 1_000]) {
      const result = openInitialMessage({
        ours: bob,
        sealed: concatBytes(sealed, new Uint8Array(extra)),
        prekeys,
        randomBytes,
      });
      expectError(result, { code: "decrypt-failed" });
    }
    // The length check comes before the prekey lookup: a short message is malformed even without prekeys.
    expectError(openInitialMessage({ ours: bob, sealed: sealed.subarray(0, 100), prekeys: undefined, randomBytes }), {
      code: "malformed",
    });
  });

  it("[SE8] each opener takes only its own scheme and names the byte it found", () => {
    const { a, b, bob: recipient, first, prekeys, randomBytes } = startSession(54);
    const { sealed } = seal(a, "scheme 2", randomBytes);
    expectError(openSessionMessage({ sealed: first, sessions: [{ key: 0, state: b }], randomBytes }), {
      code: "unsupported-scheme",
      scheme: 0x03,
    });
    expectError(openInitialMessage({ ours: recipient, sealed, prekeys, randomBytes }), {
      code: "unsupported-scheme",
      scheme: 0x02,
    });
    for (const scheme of [0x00, 0x01, 0x04, 0xff]) {
      const other = sealed.slice();
      other[0] = scheme;
      expectError(open(b, other, randomBytes), { code: "unsupported-scheme", scheme });
      expectError(openInitialMessage({ ours: recipient, sealed: other, prekeys, randomBytes }), {
        code: "unsupported-scheme",
        scheme,
      });
    }
  });
});
