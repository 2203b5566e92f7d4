import { isBase64Url } from "./encoding";

/**
 * An agent's address: its Ed25519 public key in base64url (43 characters).
 * No email or phone number is ever needed to reach an agent.
 */
export type Address = string & { readonly __brand: "Address" };

export const ADDRESS_CHARS = 43;

export function isAddress(value: unknown): value is Address {
  // 43 canonical characters are exactly 32 bytes; checked without decoding, as the relay does it for every send.
  return typeof value === "string" && value.length === ADDRESS_CHARS && isBase64Url(value);
}

export function parseAddress(value: unknown): Address | undefined {
  return isAddress(value) ? value : undefined;
}
