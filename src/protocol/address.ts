import { decodeBase64Url } from "./encoding";

/**
 * An agent's address: its Ed25519 public key in base64url (43 characters).
 * No email or phone number is ever needed to reach an agent.
 */
export type Address = string & { readonly __brand: "Address" };

export const ADDRESS_CHARS = 43;

export function isAddress(value: unknown): value is Address {
  if (typeof value !== "string" || value.length !== ADDRESS_CHARS) return false;
  return decodeBase64Url(value)?.length === 32;
}

export function parseAddress(value: unknown): Address | undefined {
  return isAddress(value) ? value : undefined;
}
