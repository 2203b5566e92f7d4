import { decodeBase64Url, utf8 } from "./encoding";
import type { RELAY_EVENTS_VERSION } from "./version";

/**
 * Relay authentication: the relay sends a random challenge and the origin it
 * believes it is reached at; the client signs both with its Ed25519 identity
 * key. Binding the origin means a signature given to one relay cannot be
 * replayed to another.
 */
export const AUTH_CHALLENGE_BYTES = 32;
export const AUTH_DOMAIN = "parley/relay-auth/v1";

export type AuthChallenge = {
  readonly v: typeof RELAY_EVENTS_VERSION;
  /** 32 random bytes, base64url. */
  readonly nonce: string;
  /** The relay's origin, e.g. "https://relay.example" (scheme, host and port). */
  readonly origin: string;
};

export type AuthResponse = {
  readonly v: typeof RELAY_EVENTS_VERSION;
  /** The client's address (its Ed25519 public key). */
  readonly address: string;
  /** Ed25519 signature over `authMessage(origin, nonce)`, base64url. */
  readonly signature: string;
};

/** Longest origin the relay will sign for; real origins are far shorter, and the length prefix is two bytes. */
export const MAX_ORIGIN_BYTES = 1_024;

/**
 * The exact bytes a client signs: domain, origin and nonce, each length-prefixed.
 * Both callers validate the challenge first, so a bad nonce or origin here is a
 * bug, and signing an empty nonce would make a signature valid forever: throw.
 */
export function authMessage(origin: string, nonce: string): Uint8Array {
  const nonceBytes = decodeBase64Url(nonce);
  if (nonceBytes?.length !== AUTH_CHALLENGE_BYTES) throw new Error("authMessage: nonce must be 32 bytes of base64url");
  const originBytes = utf8(origin);
  if (originBytes.length > MAX_ORIGIN_BYTES) throw new Error(`authMessage: origin is over ${MAX_ORIGIN_BYTES} bytes`);
  const parts = [utf8(AUTH_DOMAIN), originBytes, nonceBytes];
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
