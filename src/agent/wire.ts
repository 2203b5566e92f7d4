import type { Address } from "../protocol/address";
import { decodeBase64Url, encodeBase64Url } from "../protocol/encoding";
import type { Envelope, MessageId } from "../protocol/envelope";
import {
  addressOf,
  sealInitialMessage,
  sealSessionMessage,
  type IdentityKeyPair,
  type PrekeyBundle,
  type RandomBytes,
  type RatchetState,
} from "../protocol/crypto";
import { encodePeerMessage, type PeerMessage } from "../protocol/messages";
import { PROTOCOL_VERSION } from "../protocol/version";
import { MAX_CIPHERTEXT_CHARS } from "../protocol/limits";
import { err, ok, type Result } from "../protocol/result";

/**
 * Between a peer message and an envelope: encode, encrypt in the contact's
 * session and wrap for the relay, and the first step of the way back. The
 * rest of the way back needs the stored sessions and prekeys, so the app
 * opens what `sealedBytesOf` returns with src/protocol/crypto's session API.
 */

export type WrapError = { readonly code: "too-large"; readonly chars: number };

export type Sealed = { readonly state: RatchetState; readonly envelope: Envelope };

export function newMessageId(randomBytes: RandomBytes): MessageId {
  return encodeBase64Url(randomBytes(16)) as MessageId;
}

/** Starts a session from an invite's bundle; the envelope carries the first message (scheme 3). */
export function sealFirstMessage(args: {
  ours: IdentityKeyPair;
  bundle: PrekeyBundle;
  message: PeerMessage;
  randomBytes: RandomBytes;
}): Result<Sealed, WrapError> {
  const { state, sealed } = sealInitialMessage({
    ours: args.ours,
    bundle: args.bundle,
    plaintext: encodePeerMessage(args.message),
    randomBytes: args.randomBytes,
  });
  return wrap(state, addressOf(args.bundle.identity.signingKey), sealed, args.randomBytes);
}

/** Encrypts in an established session (scheme 2). The caller stores the returned state with the envelope. */
export function sealInSession(args: {
  state: RatchetState;
  to: Address;
  message: PeerMessage;
  randomBytes: RandomBytes;
}): Result<Sealed, WrapError> {
  const { state, sealed } = sealSessionMessage(args.state, encodePeerMessage(args.message), args.randomBytes);
  return wrap(state, args.to, sealed, args.randomBytes);
}

function wrap(
  state: RatchetState,
  to: Address,
  sealed: Uint8Array,
  randomBytes: RandomBytes,
): Result<Sealed, WrapError> {
  const ct = encodeBase64Url(sealed);
  if (ct.length > MAX_CIPHERTEXT_CHARS) return err({ code: "too-large", chars: ct.length });
  return ok({ state, envelope: { v: PROTOCOL_VERSION, to, id: newMessageId(randomBytes), ct } });
}

export type EnvelopeError = { readonly code: "not-for-us" } | { readonly code: "bad-base64" };

/** The sealed bytes of an envelope addressed to `identity`. */
export function sealedBytesOf(identity: IdentityKeyPair, envelope: Envelope): Result<Uint8Array, EnvelopeError> {
  if (envelope.to !== addressOf(identity.signing.publicKey)) return err({ code: "not-for-us" });
  const sealed = decodeBase64Url(envelope.ct);
  return sealed === undefined ? err({ code: "bad-base64" }) : ok(sealed);
}
