import type { Address } from "../address";
import { utf8 } from "../encoding";
import { decodeBase64Url, encodeBase64Url } from "../encoding";
import { lib } from "./sodium";
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  X25519_KEY_BYTES,
  type Ed25519PublicKey,
  type Ed25519SecretKey,
  type Ed25519Signature,
  type IdentityKeyPair,
  type PublicIdentity,
  type X25519PublicKey,
  type X25519SecretKey,
} from "./types";

const IDENTITY_DOMAIN = utf8("parley/identity/v1");

export function generateIdentity(): IdentityKeyPair {
  const sodium = lib();
  const signing = sodium.crypto_sign_keypair();
  const agreement = sodium.crypto_box_keypair();
  return {
    signing: { publicKey: signing.publicKey as Ed25519PublicKey, secretKey: signing.privateKey as Ed25519SecretKey },
    agreement: {
      publicKey: agreement.publicKey as X25519PublicKey,
      secretKey: agreement.privateKey as X25519SecretKey,
    },
  };
}

export function addressOf(signingKey: Ed25519PublicKey): Address {
  return encodeBase64Url(signingKey) as Address;
}

/** The Ed25519 key an address names, or undefined if the address is not one. */
export function signingKeyOfAddress(address: string): Ed25519PublicKey | undefined {
  const bytes = decodeBase64Url(address);
  return bytes?.length === ED25519_PUBLIC_KEY_BYTES ? (bytes as Ed25519PublicKey) : undefined;
}

export function signEd25519(secretKey: Ed25519SecretKey, message: Uint8Array): Ed25519Signature {
  return lib().crypto_sign_detached(message, secretKey) as Ed25519Signature;
}

/** Strict verification: libsodium rejects non-canonical and small-order encodings. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return lib().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    // libsodium throws on some malformed keys instead of returning false.
    return false;
  }
}

/** 128 bytes: Ed25519 key, X25519 key, and the Ed25519 signature binding the second to the first. */
export const IDENTITY_CERTIFICATE_BYTES = ED25519_PUBLIC_KEY_BYTES + X25519_KEY_BYTES + ED25519_SIGNATURE_BYTES;

export function identityCertificate(identity: IdentityKeyPair): Uint8Array {
  const out = new Uint8Array(IDENTITY_CERTIFICATE_BYTES);
  out.set(identity.signing.publicKey, 0);
  out.set(identity.agreement.publicKey, ED25519_PUBLIC_KEY_BYTES);
  out.set(signEd25519(identity.signing.secretKey, certifiedBytes(identity.agreement.publicKey)), 64);
  return out;
}

/** Returns the public identity a certificate proves, or undefined if its signature does not verify. */
export function verifyIdentityCertificate(certificate: Uint8Array): PublicIdentity | undefined {
  if (certificate.length !== IDENTITY_CERTIFICATE_BYTES) return undefined;
  const signingKey = certificate.slice(0, 32) as Ed25519PublicKey;
  const agreementKey = certificate.slice(32, 64) as X25519PublicKey;
  const signature = certificate.subarray(64);
  if (!verifyEd25519(signingKey, certifiedBytes(agreementKey), signature)) return undefined;
  return { signingKey, agreementKey };
}

function certifiedBytes(agreementKey: X25519PublicKey): Uint8Array {
  const out = new Uint8Array(IDENTITY_DOMAIN.length + agreementKey.length);
  out.set(IDENTITY_DOMAIN);
  out.set(agreementKey, IDENTITY_DOMAIN.length);
  return out;
}

export function publicIdentityOf(identity: IdentityKeyPair): PublicIdentity {
  return { signingKey: identity.signing.publicKey, agreementKey: identity.agreement.publicKey };
}

export function samePublicIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  const sodium = lib();
  return sodium.memcmp(a.signingKey, b.signingKey) && sodium.memcmp(a.agreementKey, b.agreementKey);
}

/** Stored identities come back from IndexedDB as plain bytes; this checks lengths before re-branding them. */
export function identityFromBytes(bytes: {
  signingPublicKey: Uint8Array;
  signingSecretKey: Uint8Array;
  agreementPublicKey: Uint8Array;
  agreementSecretKey: Uint8Array;
}): IdentityKeyPair | undefined {
  if (
    bytes.signingPublicKey.length !== 32 ||
    bytes.signingSecretKey.length !== 64 ||
    bytes.agreementPublicKey.length !== 32 ||
    bytes.agreementSecretKey.length !== 32
  ) {
    return undefined;
  }
  return {
    signing: {
      publicKey: bytes.signingPublicKey as Ed25519PublicKey,
      secretKey: bytes.signingSecretKey as Ed25519SecretKey,
    },
    agreement: {
      publicKey: bytes.agreementPublicKey as X25519PublicKey,
      secretKey: bytes.agreementSecretKey as X25519SecretKey,
    },
  };
}

/** Checks a 32-byte public key pair read from an untrusted source (invite, stored row). */
export function publicIdentityFromBytes(signingKey: Uint8Array, agreementKey: Uint8Array): PublicIdentity | undefined {
  if (signingKey.length !== 32 || agreementKey.length !== 32) return undefined;
  return { signingKey: signingKey as Ed25519PublicKey, agreementKey: agreementKey as X25519PublicKey };
}

/** Public-key type tags, so that no encoding of one key type can be read as another. */
const TAG_ED25519 = 0x01;
const TAG_X25519 = 0x02;

export function encodeX25519PublicKey(key: X25519PublicKey): Uint8Array {
  const out = new Uint8Array(1 + X25519_KEY_BYTES);
  out[0] = TAG_X25519;
  out.set(key, 1);
  return out;
}

/** 66 bytes: both keys of an identity, each behind its type tag. */
export function encodeIdentity(identity: PublicIdentity): Uint8Array {
  // The encoding is unambiguous only because both keys have fixed lengths.
  if (identity.signingKey.length !== ED25519_PUBLIC_KEY_BYTES || identity.agreementKey.length !== X25519_KEY_BYTES) {
    throw new RangeError("encodeIdentity: public keys must be 32 bytes each");
  }
  const out = new Uint8Array(2 + ED25519_PUBLIC_KEY_BYTES + X25519_KEY_BYTES);
  out[0] = TAG_ED25519;
  out.set(identity.signingKey, 1);
  out[1 + ED25519_PUBLIC_KEY_BYTES] = TAG_X25519;
  out.set(identity.agreementKey, 2 + ED25519_PUBLIC_KEY_BYTES);
  return out;
}
