/**
 * Distinct types for each kind of key and value, so that an X25519 key can
 * never be passed where an Ed25519 key is expected, nor a nonce for a key.
 */
type Bytes<Brand extends string> = Uint8Array & { readonly __brand: Brand };

export type Ed25519PublicKey = Bytes<"Ed25519PublicKey">;
export type Ed25519SecretKey = Bytes<"Ed25519SecretKey">;
export type Ed25519Signature = Bytes<"Ed25519Signature">;
export type X25519PublicKey = Bytes<"X25519PublicKey">;
export type X25519SecretKey = Bytes<"X25519SecretKey">;
export type XChaCha20Poly1305Key = Bytes<"XChaCha20Poly1305Key">;
export type XChaCha20Poly1305Nonce = Bytes<"XChaCha20Poly1305Nonce">;
/** Ratchet secrets that only ever key a KDF, never a cipher. */
export type RootKey = Bytes<"RootKey">;
export type ChainKey = Bytes<"ChainKey">;
/** Ratchet keys that encrypt: one message body, or the headers of one chain. */
export type MessageKey = XChaCha20Poly1305Key;
export type HeaderKey = XChaCha20Poly1305Key;

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 64;
export const ED25519_SIGNATURE_BYTES = 64;
export const X25519_KEY_BYTES = 32;
export const XCHACHA20POLY1305_KEY_BYTES = 32;
export const XCHACHA20POLY1305_NONCE_BYTES = 24;
export const XCHACHA20POLY1305_TAG_BYTES = 16;

/** A source of cryptographically secure random bytes; injected so tests can be deterministic. */
export type RandomBytes = (length: number) => Uint8Array;

/** The identity keys of one agent: Ed25519 to sign, X25519 to agree keys. */
export type IdentityKeyPair = {
  readonly signing: { readonly publicKey: Ed25519PublicKey; readonly secretKey: Ed25519SecretKey };
  readonly agreement: { readonly publicKey: X25519PublicKey; readonly secretKey: X25519SecretKey };
};

/** What others know of an identity: both public keys, the X25519 one signed by the Ed25519 one. */
export type PublicIdentity = {
  readonly signingKey: Ed25519PublicKey;
  readonly agreementKey: X25519PublicKey;
};

export type CryptoError =
  | { readonly code: "malformed" } // shorter than the fixed overhead of the scheme
  | { readonly code: "unsupported-scheme"; readonly scheme: number } // first byte is not a scheme we open
  | { readonly code: "decrypt-failed" } // tag did not verify: tampered, truncated or not for us
  | { readonly code: "bad-identity" } // the sender's identity certificate did not verify
  | { readonly code: "bad-padding" };
