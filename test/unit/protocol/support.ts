import type { RandomBytes } from "../../../src/protocol/crypto";

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

/** mulberry32: tiny, fast and good enough to spread test inputs; never for keys outside tests. */
export type Prng = {
  /** A uniform 32-bit unsigned integer. */
  readonly uint32: () => number;
  /** A uniform integer in [0, max). */
  readonly int: (max: number) => number;
  readonly bytes: RandomBytes;
};

export function createPrng(seed: number): Prng {
  let state = seed | 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (max: number): number => Math.floor((uint32() / 2 ** 32) * max);
  const bytes: RandomBytes = (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = uint32() & 0xff;
    return out;
  };
  return { uint32, int, bytes };
}

/** A copy of `bytes` with `mask` XORed into the byte at `offset`. */
export function flipByte(bytes: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[offset] = out[offset]! ^ mask;
  return out;
}
