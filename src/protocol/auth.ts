import { decodeBase64Url, utf8 } from "./encoding";
import type { PROTOCOL_VERSION } from "./version";

/**
 * Relay authentication: the relay sends a random challenge and the origin it
 * believes it is reached at; the client signs both with its Ed25519 identity
 * key. Binding the origin means a signature given to one relay cannot be
 * replayed to another.
 */
export const AUTH_CHALLENGE_BYTES = 32;
export const AUTH_DOMAIN = "parley/relay-auth/v1";

export type AuthChallenge = {
  readonly v: typeof PROTOCOL_VERSION;
  /** 32 random bytes, base64url. */
  readonly nonce: string;
  /** The relay's origin, e.g. "https://relay.example" (scheme, host and port). */
  readonly origin: string;
};

export type AuthResponse = {
  readonly v: typeof PROTOCOL_VERSION;
  /** The client's address (its Ed25519 public key). */
  readonly address: string;
  /** Ed25519 signature over `authMessage(origin, nonce)`, base64url. */
  readonly signature: string;
};

/** The exact bytes a client signs: domain, origin and nonce, each length-prefixed. */
export function authMessage(origin: string, nonce: string): Uint8Array {
  const parts = [utf8(AUTH_DOMAIN), utf8(origin), decodeBase64Url(nonce) ?? new Uint8Array()];
  const total = parts.reduce((n, p) => n + 2 + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out[offset] = part.length >> 8;
    out[offset + 1] = part.length & 0xff;
    out.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return out;
}
