import { lib } from "./sodium";
import {
  X25519_KEY_BYTES,
  XCHACHA20POLY1305_KEY_BYTES,
  XCHACHA20POLY1305_NONCE_BYTES,
  type X25519PublicKey,
  type X25519SecretKey,
  type XChaCha20Poly1305Key,
  type XChaCha20Poly1305Nonce,
} from "./types";

/**
 * XChaCha20-Poly1305 (IETF construction): returns ciphertext with the 16-byte tag appended.
 * Throws a RangeError for a wrong key or nonce size.
 */
export function encryptXChaCha20Poly1305(
  key: XChaCha20Poly1305Key,
  nonce: XChaCha20Poly1305Nonce,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  // Wrong sizes are a caller's bug: refuse them by name rather than with libsodium's anonymous TypeError.
  if (key.length !== XCHACHA20POLY1305_KEY_BYTES) {
    throw new RangeError(
      `encryptXChaCha20Poly1305: key must be ${XCHACHA20POLY1305_KEY_BYTES} bytes, got ${key.length}`,
    );
  }
  if (nonce.length !== XCHACHA20POLY1305_NONCE_BYTES) {
    throw new RangeError(
      `encryptXChaCha20Poly1305: nonce must be ${XCHACHA20POLY1305_NONCE_BYTES} bytes, got ${nonce.length}`,
    );
  }
  return lib().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key);
}

/** Returns the plaintext, or undefined when the tag does not verify (or sizes are wrong). */
export function decryptXChaCha20Poly1305(
  key: XChaCha20Poly1305Key,
  nonce: XChaCha20Poly1305Nonce,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array | undefined {
  if (key.length !== XCHACHA20POLY1305_KEY_BYTES || nonce.length !== XCHACHA20POLY1305_NONCE_BYTES) return undefined;
  try {
    return lib().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData, nonce, key);
  } catch {
    // libsodium reports a failed tag by throwing; to callers it is an expected outcome.
    return undefined;
  }
}

/**
 * X25519 shared secret. Returns undefined for a low-order peer key (all-zero
 * output), which libsodium refuses: such a key would make the secret public.
 */
export function x25519(secretKey: X25519SecretKey, publicKey: X25519PublicKey): Uint8Array | undefined {
  if (secretKey.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) return undefined;
  try {
    return lib().crypto_scalarmult(secretKey, publicKey);
  } catch {
    return undefined;
  }
}

export function x25519PublicKey(secretKey: X25519SecretKey): X25519PublicKey {
  return lib().crypto_scalarmult_base(secretKey) as X25519PublicKey;
}

/** BLAKE2b-256 over the concatenation of `parts`, domain-separated by `label`: the key derivation of scheme v1. */
export function deriveKeyBlake2b(label: Uint8Array, ...parts: Uint8Array[]): XChaCha20Poly1305Key {
  const sodium = lib();
  const state = sodium.crypto_generichash_init(null, XCHACHA20POLY1305_KEY_BYTES);
  sodium.crypto_generichash_update(state, Uint8Array.of(label.length));
  sodium.crypto_generichash_update(state, label);
  for (const part of parts) sodium.crypto_generichash_update(state, part);
  return sodium.crypto_generichash_final(state, XCHACHA20POLY1305_KEY_BYTES) as XChaCha20Poly1305Key;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Constant-time equality of two byte strings (false for different lengths). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && lib().memcmp(a, b);
}

/** Unkeyed BLAKE2b-256. */
export function hashBlake2b(message: Uint8Array): Uint8Array {
  return lib().crypto_generichash(32, message, null);
}
