/**
 * base64url without padding (RFC 4648 §5), the only binary-to-text encoding on
 * the wire. Written here rather than taken from Buffer or btoa so that the
 * protocol runs unchanged in browsers and Node.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

export function encodeBase64Url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Number of bytes a canonical base64url string of `chars` characters decodes to, or -1. */
export function base64UrlByteLength(chars: number): number {
  if (chars % 4 === 1) return -1;
  return Math.floor((chars * 3) / 4);
}

/** Decodes canonical unpadded base64url; returns undefined for anything else. */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL_PATTERN.test(text)) return undefined;
  const length = base64UrlByteLength(text.length);
  if (length < 0) return undefined;
  const out = new Uint8Array(length);
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    buffer = (buffer << 6) | LOOKUP[text.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, otherwise two strings would decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/**
 * Whether `text` is canonical unpadded base64url — exactly when
 * `decodeBase64Url` would succeed — without decoding it: the relay checks
 * every ciphertext this way, and decoding 64 KiB to answer yes or no was a
 * quarter of its time per message.
 */
export function isBase64Url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1 || !BASE64URL_PATTERN.test(text)) return false;
  if (rest === 0) return true;
  // The last character carries 4 (rest 2) or 2 (rest 3) unused low bits, which must be zero.
  const last = LOOKUP[text.charCodeAt(text.length - 1)]!;
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/**
 * UTF-8 without TextEncoder, which is not part of the ECMAScript library this folder may use.
 * Like TextEncoder, a lone surrogate becomes U+FFFD: encoding it as-is would produce bytes that
 * no strict decoder (decodeUtf8 included) accepts.
 */
export function utf8(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) bytes.push(c);
    else if (c >= 0xd800 && c <= 0xdfff) bytes.push(0xef, 0xbf, 0xbd);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(bytes);
}

type Utf8Decoder = { decode(bytes: Uint8Array): string };
type Utf8DecoderConstructor = new (label: string, options: { fatal: boolean; ignoreBOM: boolean }) => Utf8Decoder;

/**
 * Strict UTF-8 decoding (invalid sequences are refused, not replaced); both browsers and Node have TextDecoder.
 * A leading byte-order mark is kept rather than silently dropped, so one text has exactly one encoding.
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  const Decoder = (globalThis as { TextDecoder?: Utf8DecoderConstructor }).TextDecoder;
  if (Decoder === undefined) throw new Error("decodeUtf8: TextDecoder is not available");
  try {
    return new Decoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
