/** mulberry32: tiny, fast and good enough to spread test inputs reproducibly; never for keys outside tests. */
export type Prng = {
  /** A uniform 32-bit unsigned integer. */
  readonly uint32: () => number;
  /** A uniform float in [0, 1): `uint32() / 2 ** 32`. */
  readonly float: () => number;
  /** A uniform integer in [0, max). */
  readonly int: (max: number) => number;
  /** `length` bytes, each the low byte of one `uint32()`. */
  readonly bytes: (length: number) => Uint8Array;
};

/** All four draws share one state, so interleaving them consumes a single sequence. */
export function createPrng(seed: number): Prng {
  let state = seed | 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = (): number => uint32() / 2 ** 32;
  const int = (max: number): number => Math.floor(float() * max);
  const bytes = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = uint32() & 0xff;
    return out;
  };
  return { uint32, float, int, bytes };
}
