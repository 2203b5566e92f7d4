import { beforeAll, describe, expect, it } from "vitest";
import {
  canSend,
  concatBytes,
  decryptXChaCha20Poly1305,
  encodeIdentity,
  endSession,
  isFromEndedSessions,
  loadCrypto,
  MAX_RETIRED_HEADER_KEYS,
  MAX_SKIP_PER_CHAIN,
  MAX_SKIPPED_KEYS,
  openInitialMessage,
  padPlaintext,
  publicIdentityOf,
  sessionAssociatedData,
  x25519PublicKey,
  type ChainKey,
  type RootKey,
  type XChaCha20Poly1305Key,
  type XChaCha20Poly1305Nonce,
} from "../../../../src/protocol/crypto";
import { deriveChainStep, deriveRootStep } from "../../../../src/protocol/crypto/kdf";
import { initInitiator, initResponder, ratchetDecrypt, ratchetEncrypt } from "../../../../src/protocol/crypto/ratchet";
import { lib } from "../../../../src/protocol/crypto/sodium";
import { x3dhInitiate, x3dhRespond } from "../../../../src/protocol/crypto/x3dh";
import { bytesToHex, createPrng } from "../support";
import {
  bytesIn,
  encodeHeader,
  forgeMessage,
  makeBundle,
  open,
  RATCHET_LAYOUT,
  readHeader,
  receive,
  recordDraws,
  roundTrip,
  seal,
  seededIdentity,
  seededRandom,
  sendMany,
  snapshot,
  startSession,
  text,
  x25519KeyPair,
} from "./session-support";

/**
 * The Double Ratchet (ratchet.ts) through the session API where it can be,
 * and through its own functions where a rule is about them. Alice is the
 * initiator throughout; `startSession` leaves her having sent message 0 of
 * her first chain and Bob having received it.
 */

beforeAll(async () => {
  await loadCrypto();
});

/** A scheme-2 message's header nonce, which its body shares. */
const nonceOf = (sealed: Uint8Array): XChaCha20Poly1305Nonce =>
  sealed.slice(RATCHET_LAYOUT.headerNonce, RATCHET_LAYOUT.headerBox) as XChaCha20Poly1305Nonce;

function seq(start: number, length = 32): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

function expectError(result: { ok: boolean; error?: unknown }, error: object, context?: string): void {
  expect(result, context).toEqual({ ok: false, error });
}

describe("initialisation", () => {
  it("[DR2] the initiator can send at once; the responder only once the initiator's first message has arrived", () => {
    const r = seededRandom(21);
    const alice = seededIdentity(r);
    const bob = seededIdentity(r);
    const { bundle, prekeys } = makeBundle(bob, r);
    const ephemeral = x25519KeyPair(r);
    const ad = sessionAssociatedData(publicIdentityOf(alice), publicIdentityOf(bob));
    const ours = x3dhInitiate({ ours: alice, ephemeral, bundle })!;
    const theirs = x3dhRespond({
      ours: bob,
      ...prekeys,
      initiator: publicIdentityOf(alice),
      ephemeralKey: ephemeral.publicKey,
    })!;
    const a = initInitiator({ secrets: ours, responderRatchetKey: bundle.signedPrekey, ad, randomBytes: r });
    const b = initResponder({ secrets: theirs, ratchetKeyPair: prekeys.signedPrekey, ad });

    expect(canSend(a)).toBe(true);
    expect(canSend(b)).toBe(false);
    expect(() => ratchetEncrypt(b, padPlaintext(text("too early")), r)).toThrow(/no sending chain/);

    const first = ratchetEncrypt(a, padPlaintext(text("hi")), r);
    const opened = ratchetDecrypt(b, first.message, r);
    if (!opened.ok) throw new Error(opened.error.code);
    expect(canSend(opened.value.state)).toBe(true);
    // The responder's ratchet key pair was its signed prekey; its first DH step replaces it at once.
    expect(bytesToHex(opened.value.state.sendingKeyPair.secretKey)).not.toBe(
      bytesToHex(prekeys.signedPrekey.secretKey),
    );
    expect(canSend(b)).toBe(false);
  });

  it("[DR2] a responder's state from openInitialMessage can send at once", () => {
    const { b } = startSession(22);
    expect(canSend(b)).toBe(true);
  });
});

describe("key derivation", () => {
  // Known answers from Python's hashlib.blake2b (seq(k) = bytes k, k+1, …, k+31):
  //   out = blake2b(b"\x01", key=seq(0), digest_size=64).digest(); mk, ck = out[:32], out[32:]
  it("[DR3] KDF_CK is one keyed BLAKE2b-512 of 0x01, split into the message key and the next chain key", () => {
    const step = deriveChainStep(seq(0) as ChainKey);
    expect(bytesToHex(step.messageKey)).toBe("c94fbe3bb3272a3a1fef88ba308e0aeb2df80adce92c3f6b73188bf66cadee38");
    expect(bytesToHex(step.chainKey)).toBe("6e481f49cb6969ccb4b1bc36bcb5df1ad7d711c49d192f9fe3907f9de33162c1");
    expect(step.messageKey.buffer).not.toBe(step.chainKey.buffer);
  });

  //   L = b"parley/ratchet/v1/root"; prk = blake2b(L + seq(0x40), key=seq(0x20), digest_size=32).digest()
  //   [blake2b(L + bytes([i]), key=prk, digest_size=32).hexdigest() for i in (1, 2, 3)]
  it("[DR4] KDF_RK_HE extracts with the root key as BLAKE2b key and expands to root key, chain key, next header key", () => {
    const step = deriveRootStep(seq(0x20) as RootKey, seq(0x40));
    expect(bytesToHex(step.rootKey)).toBe("290dd69fe62705fab37e561077fb0f59482b85fc98a17a0e427f17b16faf6594");
    expect(bytesToHex(step.chainKey)).toBe("94334e89069c7de7a92822533921360572b706a760798c41aa0cb2d553a8a4a8");
    expect(bytesToHex(step.nextHeaderKey)).toBe("231d07c40cf0f64225f09e1100491d45ddc49b90eac65082e317891456bcc7b6");
  });
});

describe("messages and DH steps", () => {
  it("[DR6] a message is header(nonce ‖ sealed ratchet key, pn, n) then the padded body under a single-use key and the same nonce", () => {
    const { a, randomBytes } = startSession(23);
    const recorded = recordDraws(randomBytes);
    const sent = seal(a, "layout", recorded.randomBytes);
    const { sealed } = sent;

    // One draw per message: the 24-byte header nonce, sent as is.
    expect(recorded.draws.map((d) => d.length)).toEqual([24]);
    expect(bytesToHex(sealed.subarray(RATCHET_LAYOUT.headerNonce, RATCHET_LAYOUT.headerBox))).toBe(
      bytesToHex(recorded.draws[0]!),
    );
    const header = readHeader(sealed, a.sendingHeaderKey!, a.ad)!;
    expect(bytesToHex(header.ratchetKey)).toBe(bytesToHex(a.sendingKeyPair.publicKey));
    expect({ pn: header.pn, n: header.n }).toEqual({ pn: 0, n: 1 });

    // The body, rebuilt from the state by hand: mk from one KDF_CK step, the header's nonce, AD ‖ sealed header.
    const mk = lib().crypto_generichash(64, Uint8Array.of(0x01), a.sendingChain!).slice(0, 32) as XChaCha20Poly1305Key;
    const body = decryptXChaCha20Poly1305(
      mk,
      nonceOf(sealed),
      sealed.subarray(RATCHET_LAYOUT.body),
      concatBytes(a.ad, sealed.subarray(1, RATCHET_LAYOUT.body)),
    );
    expect(bytesToHex(body!)).toBe(bytesToHex(padPlaintext(text("layout"))));
    expect(bytesToHex(sent.state.sendingChain!)).toBe(bytesToHex(deriveChainStep(a.sendingChain!).chainKey));
    expect(sent.state.sent).toBe(a.sent + 1);
  });

  it("[DR3] every message of a chain takes the next chain step and a key of its own", () => {
    const { a, randomBytes } = startSession(24);
    const burst = sendMany(a, 5, "chain", randomBytes);
    let chain = a.sendingChain!;
    const keys = new Set<string>();
    burst.messages.forEach(({ sealed, plaintext }, i) => {
      const step = deriveChainStep(chain);
      chain = step.chainKey;
      keys.add(bytesToHex(step.messageKey));
      const body = decryptXChaCha20Poly1305(
        step.messageKey,
        nonceOf(sealed),
        sealed.subarray(RATCHET_LAYOUT.body),
        concatBytes(a.ad, sealed.subarray(1, RATCHET_LAYOUT.body)),
      );
      expect(bytesToHex(body!), `message ${i}`).toBe(bytesToHex(padPlaintext(text(plaintext))));
    });
    expect(keys.size).toBe(5);
    expect(bytesToHex(burst.state.sendingChain!)).toBe(bytesToHex(chain));
  });

  it("[DR5] a reply opens under the next header key and makes the receiver step: fresh key pair, new chains, pn = the old chain's length", () => {
    const { a: a0, b: b0, randomBytes } = startSession(25);
    const burst = sendMany(a0, 3, "A0", randomBytes); // n = 1, 2, 3 after the first message
    let b = b0;
    for (const m of burst.messages) b = receive(b, m.sealed, m.plaintext, randomBytes);

    const reply = sendMany(b, 2, "B", randomBytes);
    // Bob's first chain: its header key is the one Alice holds as her next receiving header key.
    expect(bytesToHex(b.sendingHeaderKey!)).toBe(bytesToHex(a0.nextReceivingHeaderKey));
    expect(readHeader(reply.messages[1]!.sealed, b.sendingHeaderKey!, b.ad)).toEqual({
      ratchetKey: b.sendingKeyPair.publicKey,
      pn: 0,
      n: 1,
    });

    const recorded = recordDraws(randomBytes);
    let a = receive(burst.state, reply.messages[0]!.sealed, reply.messages[0]!.plaintext, recorded.randomBytes);
    // The step draws exactly one new X25519 secret; the next message of the same chain draws nothing.
    expect(recorded.draws.map((d) => d.length)).toEqual([32]);
    expect(bytesToHex(a.sendingKeyPair.secretKey)).toBe(bytesToHex(recorded.draws[0]!));
    expect(bytesToHex(a.sendingKeyPair.publicKey)).toBe(bytesToHex(x25519PublicKey(a.sendingKeyPair.secretKey)));
    a = receive(a, reply.messages[1]!.sealed, reply.messages[1]!.plaintext, recorded.randomBytes);
    expect(recorded.draws).toHaveLength(1);

    // Header keys move along: the next sending key becomes the current one, a new next one is derived.
    expect(bytesToHex(a.sendingHeaderKey!)).toBe(bytesToHex(burst.state.nextSendingHeaderKey));
    expect(bytesToHex(a.receivingHeaderKey!)).toBe(bytesToHex(b.sendingHeaderKey!));
    const answer = seal(a, "A1", randomBytes);
    expect(readHeader(answer.sealed, a.sendingHeaderKey!, a.ad)).toEqual({
      ratchetKey: a.sendingKeyPair.publicKey,
      pn: 4,
      n: 0,
    });
    expect(bytesToHex(a.sendingKeyPair.publicKey)).not.toBe(bytesToHex(a0.sendingKeyPair.publicKey));
    // Alice's new chain is new to Bob too: it opens only under his next header key, and he steps.
    const b2 = receive(reply.state, answer.sealed, "A1", randomBytes);
    expect(b2.retiredHeaderKeys.map(bytesToHex)).toEqual([bytesToHex(reply.state.receivingHeaderKey!)]);
  });

  it("[DR1] a call returns the next state and changes nothing it was given: the same state opens the same message twice", () => {
    const { a, b, randomBytes } = startSession(26);
    const beforeA = snapshot(a);
    const sent = seal(a, "pure", randomBytes);
    expect(a).toEqual(beforeA);

    const beforeB = snapshot(b);
    const once = open(b, sent.sealed, randomBytes);
    const twice = open(b, sent.sealed, randomBytes);
    expect(b).toEqual(beforeB);
    expect(once.ok && twice.ok).toBe(true);
    if (once.ok && twice.ok) expect(bytesToHex(once.value.plaintext)).toBe(bytesToHex(twice.value.plaintext));
    // Only the state the caller keeps knows the message was read.
    if (once.ok) expectError(open(once.value.state, sent.sealed, randomBytes), { code: "replay" });
  });

  it("[DR1] a failed decryption returns only an error; the state it was given still opens the genuine message", () => {
    const { a, b, randomBytes } = startSession(27);
    const sent = seal(a, "genuine", randomBytes);
    const tampered = sent.sealed.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    const before = snapshot(b);
    const failed = open(b, tampered, randomBytes);
    expect(failed).toEqual({ ok: false, error: { code: "decrypt-failed" } });
    expect(b).toEqual(before);
    receive(b, sent.sealed, "genuine", randomBytes);
  });
});

describe("out-of-order messages and the skipped-key bounds", () => {
  it("[DR7] messages of one chain decrypt in any order, each once", () => {
    const { a, b: b0, randomBytes } = startSession(31);
    const burst = sendMany(a, 20, "m", randomBytes);
    const prng = createPrng(31);
    const order = burst.messages.map((m, i) => ({ m, k: prng.float(), i })).sort((x, y) => x.k - y.k);
    let b = b0;
    for (const { m } of order) b = receive(b, m.sealed, m.plaintext, randomBytes);
    expect(b.skipped).toEqual([]);
    for (const { m } of order) expectError(open(b, m.sealed, randomBytes), { code: "replay" });
  });

  it("[DR7] a new chain's header pn makes the receiver keep the keys of the previous chain's missing messages", () => {
    const { a: a0, b: b0, randomBytes } = startSession(32);
    const late = sendMany(a0, 4, "late", randomBytes); // n = 1..4 of Alice's first chain, held back
    const turn = seal(b0, "reply", randomBytes);
    const a1 = receive(late.state, turn.sealed, "reply", randomBytes);
    const next = seal(a1, "new chain", randomBytes);

    let b = receive(turn.state, next.sealed, "new chain", randomBytes);
    expect(b.skipped.map((s) => s.n)).toEqual([1, 2, 3, 4]);
    for (const i of [2, 0, 3, 1]) b = receive(b, late.messages[i]!.sealed, late.messages[i]!.plaintext, randomBytes);
    expect(b.skipped).toEqual([]);
  });

  it(`[DR8] one header may skip exactly MAX_SKIP_PER_CHAIN = ${MAX_SKIP_PER_CHAIN} keys of the current chain, not one more`, () => {
    expect(MAX_SKIP_PER_CHAIN).toBe(1000);
    const { a, b, randomBytes } = startSession(33);
    // Bob has received n = 0; these are n = 1..1002.
    const burst = sendMany(a, 1002, "m", randomBytes);

    const tooFar = burst.messages[1001]!; // n = 1002: 1001 keys (1..1001) to skip
    const before = snapshot(b);
    expectError(open(b, tooFar.sealed, randomBytes), { code: "too-many-skipped", skip: 1001 });
    expect(b).toEqual(before);

    const atLimit = burst.messages[1000]!; // n = 1001: exactly 1000 keys (1..1000) to skip
    const after = receive(b, atLimit.sealed, atLimit.plaintext, randomBytes);
    expect(after.skipped).toHaveLength(1000);
    // The refused message is fine once the receiver has caught up.
    receive(after, tooFar.sealed, tooFar.plaintext, randomBytes);
  });

  it(`[DR8] a new chain's pn may make the receiver skip at most ${MAX_SKIP_PER_CHAIN} keys of the previous chain`, () => {
    for (const [held, expected] of [
      [1000, "ok"],
      [1001, 1001],
    ] as const) {
      const { a: a0, b: b0, randomBytes } = startSession(34);
      const unseen = sendMany(a0, held, "unseen", randomBytes); // Bob has received n = 0 only
      const turn = seal(b0, "reply", randomBytes);
      const a1 = receive(unseen.state, turn.sealed, "reply", randomBytes);
      const next = seal(a1, "new chain", randomBytes);
      expect(readHeader(next.sealed, a1.sendingHeaderKey!, a1.ad)?.pn).toBe(held + 1);

      const result = open(turn.state, next.sealed, randomBytes);
      if (expected === "ok") {
        if (!result.ok) throw new Error(result.error.code);
        expect(result.value.state.skipped).toHaveLength(1000);
        // And the skipped ones all still decrypt.
        let b = result.value.state;
        for (const m of unseen.messages) b = receive(b, m.sealed, m.plaintext, randomBytes);
      } else {
        const before = snapshot(turn.state);
        expectError(result, { code: "too-many-skipped", skip: expected });
        expect(turn.state).toEqual(before);
      }
    }
  });

  /**
   * Builds MAX_SKIPPED_KEYS (+ `extra`) skipped keys over two of Alice's
   * chains: 1000 in her first chain, 1000 in her second (the per-chain bound
   * allows no more per header), and `extra` more of the first through pn.
   */
  function fillSkipped(seed: number, extra: number) {
    const { a: a0, b: b0, randomBytes } = startSession(seed);
    const chain1 = sendMany(a0, 1001 + extra, "first", randomBytes); // n = 1..1001+extra
    let b = receive(b0, chain1.messages[1000]!.sealed, chain1.messages[1000]!.plaintext, randomBytes); // n = 1001
    const turn = seal(b, "reply", randomBytes);
    b = turn.state;
    const a1 = receive(chain1.state, turn.sealed, "reply", randomBytes);
    const chain2 = sendMany(a1, 1001, "second", randomBytes); // n = 0..1000
    b = receive(b, chain2.messages[1000]!.sealed, chain2.messages[1000]!.plaintext, randomBytes);
    const waiting = [
      ...chain1.messages.slice(0, 1000),
      ...chain1.messages.slice(1001),
      ...chain2.messages.slice(0, 1000),
    ];
    return { b, waiting, randomBytes };
  }

  it(`[DR9] exactly MAX_SKIPPED_KEYS = ${MAX_SKIPPED_KEYS} skipped keys are all kept, and every one of their messages decrypts`, () => {
    expect(MAX_SKIPPED_KEYS).toBe(2000);
    const filled = fillSkipped(35, 0);
    const { waiting, randomBytes } = filled;
    let b = filled.b;
    expect(b.skipped).toHaveLength(2000);
    expect(waiting).toHaveLength(2000);
    for (const m of waiting) b = receive(b, m.sealed, m.plaintext, randomBytes);
    expect(b.skipped).toEqual([]);
  });

  it("[DR9] one key over the bound drops the oldest: its message is refused as a replay, the other 2000 decrypt", () => {
    const filled = fillSkipped(36, 1);
    const { waiting, randomBytes } = filled;
    let b = filled.b;
    expect(b.skipped).toHaveLength(2000);
    const [oldest, ...rest] = waiting;
    expect(rest).toHaveLength(2000);
    expectError(open(b, oldest!.sealed, randomBytes), { code: "replay" });
    for (const m of rest) b = receive(b, m.sealed, m.plaintext, randomBytes);
    expect(b.skipped).toEqual([]);
  });
});

describe("replays", () => {
  it("[DR10] the same message twice is a replay, whether it came in order or from the skipped keys", () => {
    const { a, b: b0, randomBytes } = startSession(41);
    const burst = sendMany(a, 3, "m", randomBytes);
    let b = receive(b0, burst.messages[0]!.sealed, burst.messages[0]!.plaintext, randomBytes);
    expectError(open(b, burst.messages[0]!.sealed, randomBytes), { code: "replay" });
    b = receive(b, burst.messages[2]!.sealed, burst.messages[2]!.plaintext, randomBytes);
    b = receive(b, burst.messages[1]!.sealed, burst.messages[1]!.plaintext, randomBytes); // from a skipped key
    for (const m of burst.messages) expectError(open(b, m.sealed, randomBytes), { code: "replay" });
  });

  it(`[DR10] a message from an older chain is a replay while its header key is among the last ${MAX_RETIRED_HEADER_KEYS} retired, and unknown after`, () => {
    expect(MAX_RETIRED_HEADER_KEYS).toBe(4);
    const { a: a0, b: b0, randomBytes } = startSession(42);
    const old = seal(a0, "old", randomBytes);
    let pair = { a: old.state, b: receive(b0, old.sealed, "old", randomBytes) };
    for (let steps = 1; steps <= MAX_RETIRED_HEADER_KEYS + 1; steps++) {
      pair = roundTrip(pair, randomBytes, `turn ${steps}`); // Bob steps once per round trip
      const expected = steps <= MAX_RETIRED_HEADER_KEYS ? "replay" : "no-session";
      expectError(open(pair.b, old.sealed, randomBytes), { code: expected }, `after ${steps} steps`);
    }
    expect(pair.b.retiredHeaderKeys).toHaveLength(MAX_RETIRED_HEADER_KEYS);
  });

  it("[DR10] an old chain with a message still missing stays recognised through its skipped keys, however many steps ago", () => {
    const { a: a0, b: b0, randomBytes } = startSession(43);
    const burst = sendMany(a0, 2, "old", randomBytes);
    let pair = { a: burst.state, b: receive(b0, burst.messages[1]!.sealed, "old 1", randomBytes) };
    for (let steps = 1; steps <= 8; steps++) pair = roundTrip(pair, randomBytes);
    expectError(open(pair.b, burst.messages[1]!.sealed, randomBytes), { code: "replay" });
    const b = receive(pair.b, burst.messages[0]!.sealed, "old 0", randomBytes);
    // With the last key of that chain used, the chain is forgotten entirely.
    expectError(open(b, burst.messages[1]!.sealed, randomBytes), { code: "no-session" });
  });
});

describe("headers a peer could forge", () => {
  it("[DR11] a header under the current header key naming another ratchet key is decrypt-failed, state unchanged", () => {
    const { a, b, randomBytes } = startSession(45);
    const header = encodeHeader({ ratchetKey: x25519KeyPair(randomBytes).publicKey, pn: 0, n: b.received });
    const forged = forgeMessage(b.receivingHeaderKey!, header, b.ad, randomBytes);
    const before = snapshot(b);
    expectError(open(b, forged, randomBytes), { code: "decrypt-failed" });
    expect(b).toEqual(before);
    // The genuine ratchet key with a garbage body fails the same way.
    const genuine = encodeHeader({ ratchetKey: a.sendingKeyPair.publicKey, pn: 0, n: b.received });
    expectError(open(b, forgeMessage(b.receivingHeaderKey!, genuine, b.ad, randomBytes), randomBytes), {
      code: "decrypt-failed",
    });
  });

  it("[DR12] a new chain whose ratchet key is of low order is bad-ratchet-key, state unchanged", () => {
    const { b, randomBytes } = startSession(46);
    // u = 0 and u = 1 are points of small order: their shared secrets are all zero.
    for (const lowOrder of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      const header = encodeHeader({ ratchetKey: lowOrder, pn: 0, n: 0 });
      const forged = forgeMessage(b.nextReceivingHeaderKey, header, b.ad, randomBytes);
      const before = snapshot(b);
      expectError(open(b, forged, randomBytes), { code: "bad-ratchet-key" });
      expect(b).toEqual(before);
    }
  });
});

describe("forward secrecy and post-compromise security", () => {
  type Captured = { what: string; ciphertext: Uint8Array; nonce: Uint8Array; ad: Uint8Array };

  /** A scheme-2 body as the wire shows it: what an attacker recorded. */
  function capturedBody(what: string, sealed: Uint8Array, ad: Uint8Array): Captured {
    return {
      what,
      ciphertext: sealed.subarray(RATCHET_LAYOUT.body),
      nonce: nonceOf(sealed),
      ad: concatBytes(ad, sealed.subarray(1, RATCHET_LAYOUT.body)),
    };
  }

  /**
   * Every 32-byte window of every byte array in `sources`, and the message key
   * one KDF_CK step from it: an attacker's brute-force attempt with all key
   * material a stolen state holds (chain keys can only be stepped forward).
   */
  function candidateKeys(...sources: unknown[]): XChaCha20Poly1305Key[] {
    const keys: XChaCha20Poly1305Key[] = [];
    for (const bytes of sources.flatMap((s) => bytesIn(s))) {
      for (let i = 0; i + 32 <= bytes.length; i++) {
        const key = bytes.slice(i, i + 32) as XChaCha20Poly1305Key;
        keys.push(key, deriveChainStep(key as unknown as ChainKey).messageKey);
      }
    }
    return keys;
  }

  function opened(keys: readonly XChaCha20Poly1305Key[], captured: readonly Captured[]): string[] {
    return captured.flatMap((c) =>
      keys.some((k) => decryptXChaCha20Poly1305(k, c.nonce as XChaCha20Poly1305Nonce, c.ciphertext, c.ad))
        ? [c.what]
        : [],
    );
  }

  it("[DR13] after DH steps, neither side's state, nor the identity keys and signed prekey, opens a recorded message", () => {
    const pair0 = startSession(51);
    const { alice, bob, prekeys, first, randomBytes } = pair0;
    const ad = pair0.a.ad;
    const toBob: Uint8Array[] = [];
    const toAlice: Uint8Array[] = [];

    // The first message: the certificate box (Alice's identity) at 73..216, and the body after the header.
    const captured: Captured[] = [
      {
        what: "first message's certificate",
        ciphertext: first.subarray(73, 217),
        nonce: first.subarray(49, 73),
        ad: concatBytes(Uint8Array.of(0x03, 0x01), encodeIdentity(publicIdentityOf(bob)), first.subarray(1, 49)),
      },
      {
        what: "first message",
        ciphertext: first.subarray(297),
        nonce: first.subarray(217, 241),
        ad: concatBytes(ad, first.subarray(217, 297)),
      },
    ];
    const burst = sendMany(pair0.a, 3, "A", randomBytes);
    let b = pair0.b;
    // The positive control: the attack below does open a message with the state that can still read it.
    expect(opened(candidateKeys(b), [capturedBody("A 0", burst.messages[0]!.sealed, ad)])).toEqual(["A 0"]);
    for (const i of [2, 0, 1]) b = receive(b, burst.messages[i]!.sealed, burst.messages[i]!.plaintext, randomBytes);
    const reply = sendMany(b, 2, "B", randomBytes);
    let a = burst.state;
    for (const m of reply.messages) a = receive(a, m.sealed, m.plaintext, randomBytes);
    toBob.push(...burst.messages.map((m) => m.sealed));
    toAlice.push(...reply.messages.map((m) => m.sealed));
    captured.push(...burst.messages.map((m) => capturedBody(m.plaintext, m.sealed, ad)));
    captured.push(...reply.messages.map((m) => capturedBody(m.plaintext, m.sealed, ad)));

    let pair = { a, b: reply.state };
    for (let i = 0; i < MAX_RETIRED_HEADER_KEYS + 2; i++) pair = roundTrip(pair, randomBytes, `later ${i}`);

    for (const sealed of toBob) expectError(open(pair.b, sealed, randomBytes), { code: "no-session" });
    for (const sealed of toAlice) expectError(open(pair.a, sealed, randomBytes), { code: "no-session" });
    // The one-time prekey was deleted when the session was stored.
    expectError(openInitialMessage({ ours: bob, sealed: first, prekeys: undefined, randomBytes }), {
      code: "unknown-prekey",
    });

    const keys = candidateKeys(pair.a, pair.b, alice, bob, prekeys.signedPrekey);
    expect(keys.length).toBeGreaterThan(100);
    expect(opened(keys, captured)).toEqual([]);
  });

  it("[DR14] a copy of Alice's state stops reading once both sides have taken a DH step with fresh keys", () => {
    const { a: a0, b: b0, randomBytes } = startSession(52);
    const stolen = structuredClone(a0);
    const attackerRandom = seededRandom(666);

    // Bob's next message still answers Alice's stolen ratchet key: the thief reads it, as anyone with her state would.
    const m1 = seal(b0, "m1", randomBytes);
    const thief = open(stolen, m1.sealed, attackerRandom);
    if (!thief.ok) throw new Error(thief.error.code);
    const a1 = receive(a0, m1.sealed, "m1", randomBytes);
    // Alice answers under a key pair drawn from her own randomness; Bob's next chain answers that key.
    const m2 = seal(a1, "m2", randomBytes);
    const b1 = receive(m1.state, m2.sealed, "m2", randomBytes);
    const m3 = seal(b1, "m3", randomBytes);
    const a2 = receive(m2.state, m3.sealed, "m3", randomBytes);

    expectError(open(stolen, m3.sealed, attackerRandom), { code: "no-session" });
    // Header keys are derived one chain ahead, so the thief still opens m3's header, but not its body.
    expectError(open(thief.value.state, m3.sealed, attackerRandom), { code: "decrypt-failed" });
    // One more round trip and the thief's state no longer recognises the session at all.
    const m4 = seal(a2, "m4", randomBytes);
    const b2 = receive(m3.state, m4.sealed, "m4", randomBytes);
    const m5 = seal(b2, "m5", randomBytes);
    receive(m4.state, m5.sealed, "m5", randomBytes);
    expectError(open(thief.value.state, m5.sealed, attackerRandom), { code: "no-session" });

    const keys = candidateKeys(stolen, thief.value.state);
    const later = [m2, m3, m4, m5].map((m, i) => capturedBody(`m${i + 2}`, m.sealed, a0.ad));
    expect(opened(keys, later)).toEqual([]);
  });
});

describe("ended sessions", () => {
  it("[DR15] a tombstone recognises the ended session's later messages, in its current and next chain, and nobody else's", () => {
    const r = seededRandom(61);
    const bob = seededIdentity(r);
    const withAlice = startSession(62, { bob });
    const withCarol = startSession(63, { bob });
    const { randomBytes } = withAlice;

    // Bob reads one message, replies, then removes Alice before her answer (in a new chain) arrives.
    const read = seal(withAlice.a, "read", randomBytes);
    const reply = seal(receive(withAlice.b, read.sealed, "read", randomBytes), "reply", randomBytes);
    const ended = endSession(reply.state);
    const sameChain = seal(read.state, "still writing", randomBytes);
    const a1 = receive(sameChain.state, reply.sealed, "reply", randomBytes);
    const nextChain = seal(a1, "answer", randomBytes);
    expect(isFromEndedSessions(sameChain.sealed, [ended])).toBe(true);
    expect(isFromEndedSessions(nextChain.sealed, [ended])).toBe(true);
    expect(isFromEndedSessions(read.sealed, [ended])).toBe(true); // a replay of what Bob had read

    const fromCarol = seal(withCarol.a, "hello", randomBytes).sealed;
    expect(isFromEndedSessions(fromCarol, [ended])).toBe(false);
    expect(isFromEndedSessions(fromCarol, [endSession(withCarol.b), ended])).toBe(true);
    expect(isFromEndedSessions(withAlice.first, [ended])).toBe(false); // scheme 3 belongs to no session yet
    expect(isFromEndedSessions(new Uint8Array(0), [ended])).toBe(false);
    expect(isFromEndedSessions(sameChain.sealed.subarray(0, 80), [ended])).toBe(false);
  });

  it("[DR15] a tombstone keeps only the AD digest and header keys, which open no body", () => {
    const { a, b, randomBytes } = startSession(64);
    const later = seal(a, "after removal", randomBytes).sealed;
    const ended = endSession(b);
    expect(Object.keys(ended).sort()).toEqual(["ad", "headerKeys"]);
    // The current receiving header key and the next one; Bob has retired none yet.
    expect(ended.headerKeys.map(bytesToHex)).toEqual([b.receivingHeaderKey!, b.nextReceivingHeaderKey].map(bytesToHex));
    const body = later.subarray(RATCHET_LAYOUT.body);
    const ad = concatBytes(b.ad, later.subarray(1, RATCHET_LAYOUT.body));
    for (const key of bytesIn(ended)) {
      expect(decryptXChaCha20Poly1305(key as XChaCha20Poly1305Key, nonceOf(later), body, ad)).toBeUndefined();
    }
  });

  it("[DR15] a tombstone names each retired and skipped chain's header key once", () => {
    const { a, b: b0, randomBytes } = startSession(65);
    const missing = sendMany(a, 3, "missing", randomBytes); // skipped by Bob through pn below
    let pair = { a: missing.state, b: b0 };
    for (let i = 0; i < 3; i++) pair = roundTrip(pair, randomBytes);
    expect(pair.b.skipped).toHaveLength(3);
    const keys = endSession(pair.b).headerKeys.map(bytesToHex);
    expect(new Set(keys).size).toBe(keys.length);
    const expected = [
      pair.b.receivingHeaderKey!,
      pair.b.nextReceivingHeaderKey,
      ...pair.b.retiredHeaderKeys,
      ...pair.b.skipped.map((s) => s.headerKey),
    ].map(bytesToHex);
    expect(keys.sort()).toEqual([...new Set(expected)].sort());
    expect(keys).toContain(bytesToHex(pair.b.skipped[0]!.headerKey));
  });
});
