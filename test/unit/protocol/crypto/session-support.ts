import { expect } from "vitest";
import {
  decryptXChaCha20Poly1305,
  encryptXChaCha20Poly1305,
  openInitialMessage,
  openSessionMessage,
  publicIdentityOf,
  sealInitialMessage,
  sealSessionMessage,
  signPrekey,
  x25519PublicKey,
  type Ed25519PublicKey,
  type Ed25519SecretKey,
  type HeaderKey,
  type IdentityKeyPair,
  type PrekeyBundle,
  type PrekeyPair,
  type RandomBytes,
  type RatchetState,
  type SessionError,
  type X25519KeyPair,
  type X25519SecretKey,
  type XChaCha20Poly1305Nonce,
} from "../../../../src/protocol/crypto";
import { lib } from "../../../../src/protocol/crypto/sodium";
import type { Result } from "../../../../src/protocol/result";
import { bytesToHex, createPrng } from "../support";

/**
 * Shared set-up for the session suites: seeded identities and prekeys, a
 * started Alice–Bob session, and one-line send/receive helpers. Everything
 * random comes from a seeded PRNG, so a failing test (or fast-check seed)
 * replays exactly.
 */

export function seededRandom(seed: number): RandomBytes {
  return createPrng(seed).bytes;
}

/** Wraps a source so a test can see exactly what was drawn, in order. */
export function recordDraws(randomBytes: RandomBytes): { randomBytes: RandomBytes; draws: Uint8Array[] } {
  const draws: Uint8Array[] = [];
  return {
    draws,
    randomBytes: (length) => {
      const bytes = randomBytes(length);
      draws.push(bytes.slice());
      return bytes;
    },
  };
}

export function x25519KeyPair(randomBytes: RandomBytes): X25519KeyPair {
  const secretKey = randomBytes(32) as X25519SecretKey;
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

/** generateIdentity() draws from libsodium's own RNG; this one is reproducible. */
export function seededIdentity(randomBytes: RandomBytes): IdentityKeyPair {
  const signing = lib().crypto_sign_seed_keypair(randomBytes(32));
  return {
    signing: { publicKey: signing.publicKey as Ed25519PublicKey, secretKey: signing.privateKey as Ed25519SecretKey },
    agreement: x25519KeyPair(randomBytes),
  };
}

/** What an invite carries (the bundle) and what its maker keeps (the prekey pairs). */
export function makeBundle(
  owner: IdentityKeyPair,
  randomBytes: RandomBytes,
): { bundle: PrekeyBundle; prekeys: PrekeyPair } {
  const signedPrekey = x25519KeyPair(randomBytes);
  const oneTimePrekey = x25519KeyPair(randomBytes);
  return {
    bundle: {
      identity: publicIdentityOf(owner),
      signedPrekey: signedPrekey.publicKey,
      signedPrekeySignature: signPrekey(owner, signedPrekey.publicKey),
      oneTimePrekey: oneTimePrekey.publicKey,
      prekeyId: randomBytes(16),
    },
    prekeys: { signedPrekey, oneTimePrekey },
  };
}

export type Pair = {
  readonly alice: IdentityKeyPair;
  readonly bob: IdentityKeyPair;
  readonly bundle: PrekeyBundle;
  readonly prekeys: PrekeyPair;
  /** Alice's first message (scheme 3), already opened by Bob. */
  readonly first: Uint8Array;
  readonly firstPlaintext: Uint8Array;
  /** Alice's state after sealing the first message; Bob's after opening it. */
  readonly a: RatchetState;
  readonly b: RatchetState;
  readonly randomBytes: RandomBytes;
};

/** Alice starts a session from Bob's bundle and Bob opens the first message: both can send afterwards. */
export function startSession(
  seed: number,
  parties: { alice?: IdentityKeyPair; bob?: IdentityKeyPair } = {},
  firstPlaintext: Uint8Array = text("hello Bob"),
): Pair {
  const randomBytes = seededRandom(seed);
  const alice = parties.alice ?? seededIdentity(randomBytes);
  const bob = parties.bob ?? seededIdentity(randomBytes);
  const { bundle, prekeys } = makeBundle(bob, randomBytes);
  const sealed = sealInitialMessage({ ours: alice, bundle, plaintext: firstPlaintext, randomBytes });
  const opened = openInitialMessage({ ours: bob, sealed: sealed.sealed, prekeys, randomBytes });
  if (!opened.ok) throw new Error(`startSession: the first message did not open: ${opened.error.code}`);
  return {
    alice,
    bob,
    bundle,
    prekeys,
    first: sealed.sealed,
    firstPlaintext,
    a: sealed.state,
    b: opened.value.state,
    randomBytes,
  };
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export function seal(
  state: RatchetState,
  plaintext: Uint8Array | string,
  randomBytes: RandomBytes,
): { state: RatchetState; sealed: Uint8Array } {
  return sealSessionMessage(state, typeof plaintext === "string" ? text(plaintext) : plaintext, randomBytes);
}

export type Opened = Result<{ key: number; state: RatchetState; plaintext: Uint8Array }, SessionError>;

export function open(state: RatchetState, sealed: Uint8Array, randomBytes: RandomBytes): Opened {
  return openSessionMessage({ sealed, sessions: [{ key: 0, state }], randomBytes });
}

/** Opens and insists on success; returns the next state. */
export function receive(
  state: RatchetState,
  sealed: Uint8Array,
  expected: Uint8Array | string,
  randomBytes: RandomBytes,
): RatchetState {
  const opened = open(state, sealed, randomBytes);
  if (!opened.ok) throw new Error(`receive: expected a plaintext, got ${JSON.stringify(opened.error)}`);
  expect(bytesToHex(opened.value.plaintext)).toBe(bytesToHex(typeof expected === "string" ? text(expected) : expected));
  return opened.value.state;
}

/** Sends `count` messages from `state`, numbered in their text, without delivering them. */
export function sendMany(
  state: RatchetState,
  count: number,
  label: string,
  randomBytes: RandomBytes,
): { state: RatchetState; messages: { sealed: Uint8Array; plaintext: string }[] } {
  const messages: { sealed: Uint8Array; plaintext: string }[] = [];
  for (let i = 0; i < count; i++) {
    const plaintext = `${label} ${i}`;
    const sent = seal(state, plaintext, randomBytes);
    state = sent.state;
    messages.push({ sealed: sent.sealed, plaintext });
  }
  return { state, messages };
}

/** One message each way, in order: both sides take a DH ratchet step. */
export function roundTrip(
  pair: { a: RatchetState; b: RatchetState },
  randomBytes: RandomBytes,
  label = "turn",
): { a: RatchetState; b: RatchetState } {
  const fromBob = seal(pair.b, `${label}: Bob`, randomBytes);
  const a = receive(pair.a, fromBob.sealed, `${label}: Bob`, randomBytes);
  const fromAlice = seal(a, `${label}: Alice`, randomBytes);
  const b = receive(fromBob.state, fromAlice.sealed, `${label}: Alice`, randomBytes);
  return { a: fromAlice.state, b };
}

/** Every byte array reachable from `value`: what an attacker holding the serialised object would have. */
export function bytesIn(value: unknown, found: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) found.push(value);
  else if (Array.isArray(value)) for (const item of value) bytesIn(item, found);
  else if (typeof value === "object" && value !== null) for (const item of Object.values(value)) bytesIn(item, found);
  return found;
}

/** Whether `needle` occurs anywhere in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A deep copy taken before a call, to show afterwards that the call changed nothing. */
export function snapshot(state: RatchetState): RatchetState {
  return structuredClone(state);
}

/** Scheme-2 byte ranges: 0x02 ‖ header nonce(24) ‖ header ciphertext(40) ‖ header tag(16) ‖ body ‖ body tag(16). */
export const RATCHET_LAYOUT = { scheme: 0, headerNonce: 1, headerBox: 25, headerTag: 65, body: 81 } as const;

export type Header = { ratchetKey: Uint8Array; pn: number; n: number };

/** Opens a scheme-2 header with a key taken from a state, as only the holder of that key can. */
export function readHeader(sealed: Uint8Array, key: HeaderKey, ad: Uint8Array): Header | undefined {
  const nonce = sealed.subarray(RATCHET_LAYOUT.headerNonce, RATCHET_LAYOUT.headerBox) as XChaCha20Poly1305Nonce;
  const plain = decryptXChaCha20Poly1305(
    key,
    nonce,
    sealed.subarray(RATCHET_LAYOUT.headerBox, RATCHET_LAYOUT.body),
    ad,
  );
  if (plain?.length !== 40) return undefined;
  const view = new DataView(plain.buffer, plain.byteOffset, plain.length);
  return { ratchetKey: plain.slice(0, 32), pn: view.getUint32(32), n: view.getUint32(36) };
}

export function encodeHeader(header: Header): Uint8Array {
  const out = new Uint8Array(40);
  out.set(header.ratchetKey);
  const view = new DataView(out.buffer);
  view.setUint32(32, header.pn);
  view.setUint32(36, header.n);
  return out;
}

/**
 * A scheme-2 message whose header is sealed under `key` with any contents and
 * whose body is noise: what a peer (who holds its own sending header keys)
 * could send to misuse the protocol.
 */
export function forgeMessage(
  key: HeaderKey,
  headerPlaintext: Uint8Array,
  ad: Uint8Array,
  randomBytes: RandomBytes,
  bodyLength = 272,
): Uint8Array {
  const nonce = randomBytes(24) as XChaCha20Poly1305Nonce;
  const box = encryptXChaCha20Poly1305(key, nonce, headerPlaintext, ad);
  const out = new Uint8Array(1 + 24 + box.length + bodyLength);
  out[0] = 0x02;
  out.set(nonce, 1);
  out.set(box, 25);
  out.set(randomBytes(bodyLength), 25 + box.length);
  return out;
}
