/**
 * Canonical unpadded base64url, decided without decoding: the same answers as
 * `isBase64Url` in src/protocol/encoding.ts, which decodes the whole string
 * into a new Uint8Array to decide. The benchmark measures both.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PATTERN = /^[A-Za-z0-9_-]*$/;

export function canonicalBase64Url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1 || !PATTERN.test(text)) return false;
  if (rest === 0) return true;
  // 2 trailing characters carry 8 bits in 12, 3 carry 16 in 18: the unused low bits must be zero.
  const last = ALPHABET.indexOf(text.charAt(text.length - 1));
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}
