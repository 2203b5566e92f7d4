import { err, ok, type Result } from "../result";
import { deriveChainStep, deriveRootStep, type X3dhSecrets } from "./kdf";
import { decryptXChaCha20Poly1305, equalBytes, encryptXChaCha20Poly1305, x25519, x25519PublicKey } from "./primitives";
import {
  X25519_KEY_BYTES,
  XCHACHA20POLY1305_NONCE_BYTES,
  XCHACHA20POLY1305_TAG_BYTES,
  type ChainKey,
  type HeaderKey,
  type MessageKey,
  type RandomBytes,
  type RootKey,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Nonce,
} from "./types";

/**
 * The Double Ratchet with header encryption (Signal, "The Double Ratchet
 * Algorithm", rev. 4, §3 and §4), as pure functions over an immutable state:
 * a call returns the next state and the caller stores it, so a failure — or a
 * crash before the store — leaves the previous state intact, as §3.5 asks.
 *
 * Header encryption is what makes the sender's identity sealed: nothing in a
 * message names the session it belongs to, and the recipient finds it by
 * which of its header keys opens the header.
 */

/** The most message keys one header may make the recipient skip in one chain. */
export const MAX_SKIP_PER_CHAIN = 1_000;
/** The most skipped message keys a session keeps; beyond it the oldest are dropped. */
export const MAX_SKIPPED_KEYS = 2_000;
/** Previous receiving header keys kept only to tell a replay from a stranger's message. */
export const MAX_RETIRED_HEADER_KEYS = 4;

const HEADER_PLAINTEXT_BYTES = X25519_KEY_BYTES + 4 + 4;
export const HEADER_BYTES = XCHACHA20POLY1305_NONCE_BYTES + HEADER_PLAINTEXT_BYTES + XCHACHA20POLY1305_TAG_BYTES;

export type SkippedKey = { readonly headerKey: HeaderKey; readonly n: number; readonly messageKey: MessageKey };

export type RatchetState = {
  readonly v: 1;
  /** BLAKE2b-256 of the session's associated data (identities, addresses, version): every header and body is bound to it. */
  readonly ad: Uint8Array;
  readonly sendingKeyPair: { readonly publicKey: X25519PublicKey; readonly secretKey: X25519SecretKey };
  readonly receivingKey: X25519PublicKey | null;
  readonly rootKey: RootKey;
  readonly sendingChain: ChainKey | null;
  readonly receivingChain: ChainKey | null;
  readonly sendingHeaderKey: HeaderKey | null;
  readonly receivingHeaderKey: HeaderKey | null;
  readonly nextSendingHeaderKey: HeaderKey;
  readonly nextReceivingHeaderKey: HeaderKey;
  readonly sent: number;
  readonly received: number;
  readonly previousChainLength: number;
  /** Oldest first, so the bound drops the oldest. */
  readonly skipped: readonly SkippedKey[];
  readonly retiredHeaderKeys: readonly HeaderKey[];
};

export type RatchetError =
  | { readonly code: "not-this-session" } // no header key of this session opens the header
  | { readonly code: "replay" } // the header is ours but its message key was used already (or dropped by the bound)
  | { readonly code: "too-many-skipped"; readonly skip: number } // over MAX_SKIP_PER_CHAIN in one chain
  | { readonly code: "bad-ratchet-key" } // the peer's new ratchet key is of low order
  | { readonly code: "decrypt-failed" }; // header opened but the body did not: tampered or truncated

export type Header = { readonly ratchetKey: X25519PublicKey; readonly previousChainLength: number; readonly n: number };

function generateKeyPair(randomBytes: RandomBytes): RatchetState["sendingKeyPair"] {
  const secretKey = randomBytes(X25519_KEY_BYTES) as X25519SecretKey;
  return { publicKey: x25519PublicKey(secretKey), secretKey };
}

function dh(secret: X25519SecretKey, publicKey: X25519PublicKey): Uint8Array {
  const shared = x25519(secret, publicKey);
  // Our own keys and the peer's checked key: a low-order result here is a broken invariant.
  if (shared === undefined) throw new Error("ratchet: DH with a low-order key");
  return shared;
}

/** RatchetInitAlice: the initiator knows the responder's ratchet key (its signed prekey) and can send at once. */
export function initInitiator(args: {
  secrets: X3dhSecrets;
  responderRatchetKey: X25519PublicKey;
  ad: Uint8Array;
  randomBytes: RandomBytes;
}): RatchetState {
  const sendingKeyPair = generateKeyPair(args.randomBytes);
  const step = deriveRootStep(args.secrets.rootKey, dh(sendingKeyPair.secretKey, args.responderRatchetKey));
  return {
    v: 1,
    ad: args.ad,
    sendingKeyPair,
    receivingKey: args.responderRatchetKey,
    rootKey: step.rootKey,
    sendingChain: step.chainKey,
    receivingChain: null,
    sendingHeaderKey: args.secrets.initiatorHeaderKey,
    receivingHeaderKey: null,
    nextSendingHeaderKey: step.nextHeaderKey,
    nextReceivingHeaderKey: args.secrets.responderHeaderKey,
    sent: 0,
    received: 0,
    previousChainLength: 0,
    skipped: [],
    retiredHeaderKeys: [],
  };
}

/** RatchetInitBob: the responder waits for the initiator's first message before it can send. */
export function initResponder(args: {
  secrets: X3dhSecrets;
  ratchetKeyPair: RatchetState["sendingKeyPair"];
  ad: Uint8Array;
}): RatchetState {
  return {
    v: 1,
    ad: args.ad,
    sendingKeyPair: args.ratchetKeyPair,
    receivingKey: null,
    rootKey: args.secrets.rootKey,
    sendingChain: null,
    receivingChain: null,
    sendingHeaderKey: null,
    receivingHeaderKey: null,
    nextSendingHeaderKey: args.secrets.responderHeaderKey,
    nextReceivingHeaderKey: args.secrets.initiatorHeaderKey,
    sent: 0,
    received: 0,
    previousChainLength: 0,
    skipped: [],
    retiredHeaderKeys: [],
  };
}

export function canSend(state: RatchetState): boolean {
  return state.sendingChain !== null && state.sendingHeaderKey !== null;
}

/**
 * Returns the next state and `prefix ‖ header(HEADER_BYTES) ‖ body`, the body
 * being `plaintext` encrypted with its tag appended. The prefix lets callers
 * frame the message without copying it again.
 */
export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  randomBytes: RandomBytes,
  prefix: Uint8Array = new Uint8Array(0),
): { readonly state: RatchetState; readonly message: Uint8Array } {
  if (state.sendingChain === null || state.sendingHeaderKey === null) {
    throw new Error("ratchetEncrypt: the session has no sending chain until the peer's first message arrives");
  }
  const step = deriveChainStep(state.sendingChain);
  // The header key serves a whole chain, so its nonces must differ: random ones do, and say nothing.
  const headerNonce = randomBytes(XCHACHA20POLY1305_NONCE_BYTES) as XChaCha20Poly1305Nonce;
  const header = encodeHeader({
    ratchetKey: state.sendingKeyPair.publicKey,
    previousChainLength: state.previousChainLength,
    n: state.sent,
  });
  const headerBox = encryptXChaCha20Poly1305(state.sendingHeaderKey, headerNonce, header, state.ad);
  const message = new Uint8Array(prefix.length + HEADER_BYTES + plaintext.length + XCHACHA20POLY1305_TAG_BYTES);
  message.set(prefix);
  message.set(headerNonce, prefix.length);
  message.set(headerBox, prefix.length + XCHACHA20POLY1305_NONCE_BYTES);
  const sealedHeader = message.subarray(prefix.length, prefix.length + HEADER_BYTES);
  // Message keys are single-use, so any nonce would do — until a restored backup or a copied profile encrypts
  // twice from one state. Reusing the header's random nonce keeps even that from repeating a key and nonce.
  const body = encryptXChaCha20Poly1305(
    step.messageKey,
    headerNonce,
    plaintext,
    bodyAssociatedData(state.ad, sealedHeader),
  );
  message.set(body, prefix.length + HEADER_BYTES);
  return { state: { ...state, sendingChain: step.chainKey, sent: state.sent + 1 }, message };
}

/** A mutable copy used while one message is decrypted; it becomes the next state only if everything succeeds. */
type Draft = { -readonly [K in keyof RatchetState]: RatchetState[K] } & { skipped: SkippedKey[] };

export function ratchetDecrypt(
  state: RatchetState,
  message: Uint8Array,
  randomBytes: RandomBytes,
): Result<{ readonly state: RatchetState; readonly plaintext: Uint8Array }, RatchetError> {
  if (message.length < HEADER_BYTES + XCHACHA20POLY1305_TAG_BYTES) return err({ code: "not-this-session" });
  const sealedHeader = message.subarray(0, HEADER_BYTES);
  const body = message.subarray(HEADER_BYTES);
  // Valid until the next encryption; nothing below encrypts.
  const bodyAd = bodyAssociatedData(state.ad, sealedHeader);

  const fromSkipped = trySkipped(state, sealedHeader, body, bodyAd);
  if (fromSkipped !== undefined) return fromSkipped;

  const draft: Draft = { ...state, skipped: [...state.skipped] };
  let header = openHeader(state.receivingHeaderKey, sealedHeader, state.ad);
  if (header !== undefined) {
    if (header.n < state.received) return err({ code: "replay" });
    // Only the peer holds this header key; a ratchet key other than its current one is a forgery or a bug.
    if (state.receivingKey === null || !equalBytes(header.ratchetKey, state.receivingKey)) {
      return err({ code: "decrypt-failed" });
    }
  } else {
    header = openHeader(state.nextReceivingHeaderKey, sealedHeader, state.ad);
    if (header === undefined) {
      const retired = state.retiredHeaderKeys.some((key) => openHeader(key, sealedHeader, state.ad) !== undefined);
      return err({ code: retired ? "replay" : "not-this-session" });
    }
    const skipped = skipMessageKeys(draft, header.previousChainLength);
    if (skipped !== undefined) return err(skipped);
    const stepped = dhRatchet(draft, header.ratchetKey, randomBytes);
    if (stepped !== undefined) return err(stepped);
  }
  const skipped = skipMessageKeys(draft, header.n);
  if (skipped !== undefined) return err(skipped);
  // A header under the current key always meets a receiving chain: it was set when that key was.
  if (draft.receivingChain === null) return err({ code: "decrypt-failed" });
  const step = deriveChainStep(draft.receivingChain);
  draft.receivingChain = step.chainKey;
  draft.received += 1;
  const plaintext = decryptXChaCha20Poly1305(step.messageKey, nonceOf(sealedHeader), body, bodyAd);
  if (plaintext === undefined) return err({ code: "decrypt-failed" });
  return ok({ state: draft, plaintext });
}

function trySkipped(
  state: RatchetState,
  sealedHeader: Uint8Array,
  body: Uint8Array,
  bodyAd: Uint8Array,
): Result<{ state: RatchetState; plaintext: Uint8Array }, RatchetError> | undefined {
  const tried: HeaderKey[] = [];
  for (const entry of state.skipped) {
    if (tried.some((key) => equalBytes(key, entry.headerKey))) continue;
    tried.push(entry.headerKey);
    const header = openHeader(entry.headerKey, sealedHeader, state.ad);
    if (header === undefined) continue;
    const index = state.skipped.findIndex((e) => e.n === header.n && equalBytes(e.headerKey, entry.headerKey));
    if (index >= 0) {
      const key = state.skipped[index]!.messageKey;
      const plaintext = decryptXChaCha20Poly1305(key, nonceOf(sealedHeader), body, bodyAd);
      if (plaintext === undefined) return err({ code: "decrypt-failed" });
      return ok({ state: { ...state, skipped: state.skipped.filter((_, i) => i !== index) }, plaintext });
    }
    // Not waiting under the current chain's key is for the normal path to judge; under an older chain's
    // key, every number not skipped was decrypted already.
    const current = state.receivingHeaderKey !== null && equalBytes(state.receivingHeaderKey, entry.headerKey);
    return current ? undefined : err({ code: "replay" });
  }
  return undefined;
}

function skipMessageKeys(draft: Draft, until: number): RatchetError | undefined {
  if (draft.receivingChain === null || draft.receivingHeaderKey === null) return undefined;
  if (until - draft.received > MAX_SKIP_PER_CHAIN) return { code: "too-many-skipped", skip: until - draft.received };
  let chain = draft.receivingChain;
  while (draft.received < until) {
    const step = deriveChainStep(chain);
    draft.skipped.push({ headerKey: draft.receivingHeaderKey, n: draft.received, messageKey: step.messageKey });
    chain = step.chainKey;
    draft.received += 1;
  }
  draft.receivingChain = chain;
  if (draft.skipped.length > MAX_SKIPPED_KEYS) draft.skipped.splice(0, draft.skipped.length - MAX_SKIPPED_KEYS);
  return undefined;
}

function dhRatchet(draft: Draft, ratchetKey: X25519PublicKey, randomBytes: RandomBytes): RatchetError | undefined {
  const received = x25519(draft.sendingKeyPair.secretKey, ratchetKey);
  if (received === undefined) return { code: "bad-ratchet-key" };
  if (draft.receivingHeaderKey !== null) {
    draft.retiredHeaderKeys = [draft.receivingHeaderKey, ...draft.retiredHeaderKeys].slice(0, MAX_RETIRED_HEADER_KEYS);
  }
  draft.previousChainLength = draft.sent;
  draft.sent = 0;
  draft.received = 0;
  draft.sendingHeaderKey = draft.nextSendingHeaderKey;
  draft.receivingHeaderKey = draft.nextReceivingHeaderKey;
  draft.receivingKey = ratchetKey;
  const receiving = deriveRootStep(draft.rootKey, received);
  draft.receivingChain = receiving.chainKey;
  draft.nextReceivingHeaderKey = receiving.nextHeaderKey;
  draft.sendingKeyPair = generateKeyPair(randomBytes);
  const sending = deriveRootStep(receiving.rootKey, dh(draft.sendingKeyPair.secretKey, ratchetKey));
  draft.rootKey = sending.rootKey;
  draft.sendingChain = sending.chainKey;
  draft.nextSendingHeaderKey = sending.nextHeaderKey;
  return undefined;
}

const bodyAdScratch = new Uint8Array(32 + HEADER_BYTES);

/**
 * AD ‖ header, the body's associated data, written into a buffer this module
 * reuses (the cipher copies its inputs): allocating it per message cost more
 * than authenticating it.
 */
function bodyAssociatedData(ad: Uint8Array, sealedHeader: Uint8Array): Uint8Array {
  const out = ad.length === 32 ? bodyAdScratch : new Uint8Array(ad.length + HEADER_BYTES);
  out.set(ad);
  out.set(sealedHeader, ad.length);
  return out;
}

/**
 * What is kept of a session after it is deleted: its associated data and the
 * header keys it could receive under. They decrypt no body; they only let a
 * later message be recognised as from that session, and refused by name.
 */
export type EndedSession = { readonly ad: Uint8Array; readonly headerKeys: readonly HeaderKey[] };

export function endSession(state: RatchetState): EndedSession {
  const keys = [state.receivingHeaderKey, state.nextReceivingHeaderKey, ...state.retiredHeaderKeys];
  for (const entry of state.skipped) keys.push(entry.headerKey);
  const headerKeys: HeaderKey[] = [];
  for (const key of keys) if (key !== null && !headerKeys.some((k) => equalBytes(k, key))) headerKeys.push(key);
  return { ad: state.ad, headerKeys };
}

/** Whether a ratchet message (without its scheme byte) has a header one of these keys opens. */
export function isFromEndedSession(ended: EndedSession, message: Uint8Array): boolean {
  if (message.length < HEADER_BYTES) return false;
  const sealedHeader = message.subarray(0, HEADER_BYTES);
  return ended.headerKeys.some((key) => openHeader(key, sealedHeader, ended.ad) !== undefined);
}

function encodeHeader(header: Header): Uint8Array {
  const out = new Uint8Array(HEADER_PLAINTEXT_BYTES);
  out.set(header.ratchetKey);
  writeUint32(out, X25519_KEY_BYTES, header.previousChainLength);
  writeUint32(out, X25519_KEY_BYTES + 4, header.n);
  return out;
}

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** The header's nonce, which the body shares (under a different key). */
function nonceOf(sealedHeader: Uint8Array): XChaCha20Poly1305Nonce {
  return sealedHeader.subarray(0, XCHACHA20POLY1305_NONCE_BYTES) as XChaCha20Poly1305Nonce;
}

function openHeader(key: HeaderKey | null, sealedHeader: Uint8Array, ad: Uint8Array): Header | undefined {
  if (key === null) return undefined;
  const nonce = sealedHeader.subarray(0, XCHACHA20POLY1305_NONCE_BYTES) as XChaCha20Poly1305Nonce;
  const plain = decryptXChaCha20Poly1305(key, nonce, sealedHeader.subarray(XCHACHA20POLY1305_NONCE_BYTES), ad);
  if (plain?.length !== HEADER_PLAINTEXT_BYTES) return undefined;
  return {
    ratchetKey: plain.slice(0, X25519_KEY_BYTES) as X25519PublicKey,
    previousChainLength: readUint32(plain, X25519_KEY_BYTES),
    n: readUint32(plain, X25519_KEY_BYTES + 4),
  };
}
