import type { RandomBytes } from "./types";

type WebCrypto = { getRandomValues<T extends Uint8Array>(array: T): T };

/**
 * Random bytes from the platform CSPRNG (`crypto.getRandomValues`, in browsers
 * and Node ≥ 19). libsodium's own randombytes is several times slower than the
 * cipher in the WASM build, so nonces come from here.
 */
export const systemRandomBytes: RandomBytes = (length) => {
  // Typed locally: this folder compiles without DOM or Node types, yet both platforms have the global.
  const webCrypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (webCrypto === undefined) throw new Error("systemRandomBytes: crypto.getRandomValues is not available");
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < length; offset += 65_536) {
    webCrypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
};
