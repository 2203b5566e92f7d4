import type { Address } from "../protocol/address";
import { decodeBase64Url, encodeBase64Url } from "../protocol/encoding";
import type { Envelope, MessageId } from "../protocol/envelope";
import {
  addressOf,
  openMessage,
  sealMessage,
  type CryptoError,
  type IdentityKeyPair,
  type PublicIdentity,
  type RandomBytes,
} from "../protocol/crypto";
import { decodePeerMessage, encodePeerMessage, type PeerMessage, type PeerMessageError } from "../protocol/messages";
import { PROTOCOL_VERSION } from "../protocol/version";
import { MAX_CIPHERTEXT_CHARS } from "../protocol/limits";
import { err, ok, type Result } from "../protocol/result";

/**
 * Between a peer message and an envelope: encode, seal to the recipient and
 * wrap for the relay, and the way back with every step validated.
 */

export type Received = { readonly sender: PublicIdentity; readonly from: Address; readonly message: PeerMessage };

export type ReceiveError =
  | { readonly code: "not-for-us" }
  | { readonly code: "bad-base64" }
  | { readonly code: "crypto"; readonly error: CryptoError }
  | { readonly code: "bad-message"; readonly error: PeerMessageError };

export type WrapError = { readonly code: "too-large"; readonly chars: number };

export function newMessageId(randomBytes: RandomBytes): MessageId {
  return encodeBase64Url(randomBytes(16)) as MessageId;
}

export function wrapPeerMessage(args: {
  sender: IdentityKeyPair;
  recipient: PublicIdentity;
  message: PeerMessage;
  randomBytes: RandomBytes;
  id?: MessageId;
}): Result<Envelope, WrapError> {
  const sealed = sealMessage({
    sender: args.sender,
    recipient: args.recipient,
    plaintext: encodePeerMessage(args.message),
    randomBytes: args.randomBytes,
  });
  const ct = encodeBase64Url(sealed);
  if (ct.length > MAX_CIPHERTEXT_CHARS) return err({ code: "too-large", chars: ct.length });
  return ok({
    v: PROTOCOL_VERSION,
    to: addressOf(args.recipient.signingKey),
    id: args.id ?? newMessageId(args.randomBytes),
    ct,
  });
}

export function unwrapEnvelope(identity: IdentityKeyPair, envelope: Envelope): Result<Received, ReceiveError> {
  if (envelope.to !== addressOf(identity.signing.publicKey)) return err({ code: "not-for-us" });
  const sealed = decodeBase64Url(envelope.ct);
  if (sealed === undefined) return err({ code: "bad-base64" });
  const opened = openMessage({ recipient: identity, sealed });
  if (!opened.ok) return err({ code: "crypto", error: opened.error });
  const decoded = decodePeerMessage(opened.value.plaintext);
  if (!decoded.ok) return err({ code: "bad-message", error: decoded.error });
  return ok({ sender: opened.value.sender, from: addressOf(opened.value.sender.signingKey), message: decoded.value });
}
