import type { RandomBytes } from "./types";

type WebCrypto = { getRandomValues<T extends Uint8Array>(array: T): T };

const POOL_BYTES = 4_096;
const POOLED_MAX = 256;
let pool: Uint8Array = new Uint8Array(0);
let used = 0;

/**
 * Random bytes from the platform CSPRNG (`crypto.getRandomValues`, in browsers
 * and Node ≥ 19). A call costs about as much as encrypting a kilobyte, and
 * every ratchet message needs a nonce, so small requests are served from a
 * pooled 4 KiB draw — as Node's own randomUUID does — and each served byte is
 * zeroed in the pool so it is held in one place only.
 */
export const systemRandomBytes: RandomBytes = (length) => {
  if (length > POOLED_MAX) return fill(new Uint8Array(length));
  if (used + length > pool.length) {
    pool = fill(new Uint8Array(POOL_BYTES));
    used = 0;
  }
  const out = pool.slice(used, used + length);
  pool.fill(0, used, used + length);
  used += length;
  return out;
};

function fill(out: Uint8Array): Uint8Array {
  // Typed locally: this folder compiles without DOM or Node types, yet both platforms have the global.
  const webCrypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (webCrypto === undefined) throw new Error("systemRandomBytes: crypto.getRandomValues is not available");
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < out.length; offset += 65_536) {
    webCrypto.getRandomValues(out.subarray(offset, Math.min(out.length, offset + 65_536)));
  }
  return out;
}
