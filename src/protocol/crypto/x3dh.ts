import { utf8 } from "../encoding";
import { addressOf, encodeIdentity, encodeX25519PublicKey, signEd25519, verifyEd25519 } from "./identity";
import { deriveX3dhSecrets, type X3dhSecrets } from "./kdf";
import { concatBytes, hashBlake2b, x25519 } from "./primitives";
import { PROTOCOL_VERSION } from "../version";
import type {
  Ed25519PublicKey,
  Ed25519Signature,
  IdentityKeyPair,
  PublicIdentity,
  X25519PublicKey,
  X25519SecretKey,
} from "./types";

/**
 * X3DH-style key agreement (Signal, "The X3DH Key Agreement Protocol", rev. 1)
 * from a prekey bundle that travels in an invite. Parley's identity is two
 * keys — Ed25519 to sign, X25519 to agree, the second certified by the first —
 * where Signal uses one key through XEdDSA; the four DH computations are
 * otherwise the specification's:
 *
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK_A, IK_B)  DH3 = DH(EK_A, SPK_B)  DH4 = DH(EK_A, OPK_B)
 *
 * Invites are single-use, so the one-time prekey is always present.
 */

export const PREKEY_ID_BYTES = 16;
const SIGNED_PREKEY_DOMAIN = utf8("parley/signed-prekey/v1");

export type PrekeyBundle = {
  readonly identity: PublicIdentity;
  readonly signedPrekey: X25519PublicKey;
  readonly signedPrekeySignature: Ed25519Signature;
  readonly oneTimePrekey: X25519PublicKey;
  /** Names the one-time prekey (and through it the signed prekey) to its owner; random, so it links nothing. */
  readonly prekeyId: Uint8Array;
};

export type X25519KeyPair = { readonly publicKey: X25519PublicKey; readonly secretKey: X25519SecretKey };

export function signPrekey(identity: IdentityKeyPair, prekey: X25519PublicKey): Ed25519Signature {
  return signEd25519(identity.signing.secretKey, concatBytes(SIGNED_PREKEY_DOMAIN, encodeX25519PublicKey(prekey)));
}

export function verifyPrekeySignature(
  identityKey: Ed25519PublicKey,
  prekey: X25519PublicKey,
  signature: Uint8Array,
): boolean {
  return verifyEd25519(identityKey, concatBytes(SIGNED_PREKEY_DOMAIN, encodeX25519PublicKey(prekey)), signature);
}

/**
 * The associated data of a session: protocol version, both identities and
 * both addresses, initiator first, so both sides compute the same bytes. The
 * ratchet binds every message to its BLAKE2b-256 digest, which commits to all
 * of it and costs less to authenticate per message than the 240 bytes.
 */
export function sessionAssociatedData(initiator: PublicIdentity, responder: PublicIdentity): Uint8Array {
  const initiatorAddress = utf8(addressOf(initiator.signingKey));
  const responderAddress = utf8(addressOf(responder.signingKey));
  return hashBlake2b(
    concatBytes(
      utf8("parley/session/v1"),
      Uint8Array.of(PROTOCOL_VERSION),
      encodeIdentity(initiator),
      encodeIdentity(responder),
      Uint8Array.of(initiatorAddress.length),
      initiatorAddress,
      Uint8Array.of(responderAddress.length),
      responderAddress,
    ),
  );
}

/** The initiator's side; undefined when a bundle key is of low order (a malicious bundle). */
export function x3dhInitiate(args: {
  ours: IdentityKeyPair;
  ephemeral: X25519KeyPair;
  bundle: PrekeyBundle;
}): X3dhSecrets | undefined {
  const { ours, ephemeral, bundle } = args;
  const outputs = [
    x25519(ours.agreement.secretKey, bundle.signedPrekey),
    x25519(ephemeral.secretKey, bundle.identity.agreementKey),
    x25519(ephemeral.secretKey, bundle.signedPrekey),
    x25519(ephemeral.secretKey, bundle.oneTimePrekey),
  ];
  return allDefined(outputs) ? deriveX3dhSecrets(outputs) : undefined;
}

/** The responder's side, from the initiator's identity and ephemeral key; undefined for a low-order key. */
export function x3dhRespond(args: {
  ours: IdentityKeyPair;
  signedPrekey: X25519KeyPair;
  oneTimePrekey: X25519KeyPair;
  initiator: PublicIdentity;
  ephemeralKey: X25519PublicKey;
}): X3dhSecrets | undefined {
  const { ours, signedPrekey, oneTimePrekey, initiator, ephemeralKey } = args;
  const outputs = [
    x25519(signedPrekey.secretKey, initiator.agreementKey),
    x25519(ours.agreement.secretKey, ephemeralKey),
    x25519(signedPrekey.secretKey, ephemeralKey),
    x25519(oneTimePrekey.secretKey, ephemeralKey),
  ];
  return allDefined(outputs) ? deriveX3dhSecrets(outputs) : undefined;
}

function allDefined(values: readonly (Uint8Array | undefined)[]): values is Uint8Array[] {
  return values.every((v) => v !== undefined);
}
