export { createPrng, type Prng } from "../../support/prng";

/** Test helpers for the protocol suite: strict hex, and a small seeded PRNG (no fast-check here). */

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new Error(`hexToBytes: not hex: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** A copy of `bytes` with `mask` XORed into the byte at `offset`. */
export function flipByte(bytes: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[offset] = out[offset]! ^ mask;
  return out;
}
