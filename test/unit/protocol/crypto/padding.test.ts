import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  loadCrypto,
  PADDING_MIN_BYTES,
  paddedLength,
  padPlaintext,
  unpadPlaintext,
} from "../../../../src/protocol/crypto";
import { withPaddedPlaintext } from "../../../../src/protocol/crypto/padding";
import { bytesToHex } from "../support";

/**
 * Padmé as the paper writes it (Nikitin et al. 2019, Algorithm 1), with
 * integer bit lengths instead of Math.log2, so it shares no code with
 * padding.ts: E = ⌊log2 L⌋, S = ⌊log2 E⌋ + 1, round L up to a multiple of 2^(E−S).
 */
function padme(length: number): number {
  const bitLength = (n: number) => n.toString(2).length;
  const e = bitLength(length) - 1;
  const s = bitLength(e);
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}

/** The bucket of an L-byte plaintext: its length with the marker, Padmé-rounded, never below the minimum. */
function referenceBucket(length: number): number {
  return Math.max(PADDING_MIN_BYTES, padme(length + 1));
}

// Padding itself uses no libsodium; loaded anyway so this suite runs like the others if that changes.
beforeAll(async () => {
  await loadCrypto();
});

describe("paddedLength", () => {
  it.each([
    // Everything up to 255 bytes (plus the marker) shares the minimum bucket: agent messages look alike.
    [0, 256],
    [1, 256],
    [254, 256],
    [255, 256],
    // Above it, Padmé: 257..511 bytes with the marker round up to a multiple of 16.
    [256, 272],
    [271, 272],
    [272, 288],
    // An exact power of two with the marker is its own bucket; one byte more starts the next step.
    [1023, 1024],
    [1024, 1088],
    [1025, 1088],
    [4095, 4096],
    [4096, 4352],
    [65_535, 65_536],
    [65_536, 67_584],
    [1_000_000, 1_015_808],
    // Lengths past 2^31, where 32-bit bitwise arithmetic would have gone wrong.
    [2 ** 31, 2_214_592_512],
  ])("[PD1] pads %i bytes to %i", (length, bucket) => {
    expect(paddedLength(length)).toBe(bucket);
    expect(referenceBucket(length)).toBe(bucket);
  });

  it("[PD1] is the minimum bucket or the Padmé length of every length up to 70,000 bytes", () => {
    for (let length = 0; length <= 70_000; length++) {
      const bucket = paddedLength(length);
      if (bucket !== referenceBucket(length)) expect(bucket, `length ${length}`).toBe(referenceBucket(length));
    }
  });

  it("[PD2] adds at most 12% above the minimum bucket, and always room for the marker", () => {
    let worst = 0;
    for (let length = 0; length <= 1 << 20; length++) {
      const bucket = paddedLength(length);
      if (bucket <= length) expect(bucket, `length ${length}`).toBeGreaterThan(length);
      if (length >= PADDING_MIN_BYTES) worst = Math.max(worst, (bucket - length) / length);
    }
    expect(worst).toBeLessThanOrEqual(0.12);
  });

  it("[PD2] leaks few bits: the 65,537 lengths up to 64 KiB fall into 130 buckets", () => {
    const buckets = new Set<number>();
    for (let length = 0; length <= 65_536; length++) buckets.add(paddedLength(length));
    // Padmé keeps 2^S buckets per power of two (16 for 256 B–32 KiB): about 7 bits of the length, not 16.
    expect(buckets.size).toBe(130);
  });
});

describe("padPlaintext / unpadPlaintext", () => {
  it("[PD1] writes the plaintext, 0x80, then zeros up to the bucket", () => {
    const padded = padPlaintext(Uint8Array.of(1, 2, 3));
    expect(padded.length).toBe(256);
    expect([...padded.subarray(0, 4)]).toEqual([1, 2, 3, 0x80]);
    expect(padded.subarray(4).every((b) => b === 0)).toBe(true);
  });

  it("[PD3] round trips every plaintext, whatever its bytes (trailing zeros and 0x80 included)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (plaintext) => {
        const padded = padPlaintext(plaintext);
        expect(padded.length).toBe(paddedLength(plaintext.length));
        expect(bytesToHex(unpadPlaintext(padded)!)).toBe(bytesToHex(plaintext));
      }),
      { numRuns: 300 },
    );
    for (const edge of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0x80), new Uint8Array(255).fill(0x80)]) {
      expect(bytesToHex(unpadPlaintext(padPlaintext(edge))!)).toBe(bytesToHex(edge));
    }
  });

  it.each([
    ["empty", new Uint8Array(0)],
    ["all zeros (no marker)", new Uint8Array(256)],
    ["last non-zero byte is not 0x80", Uint8Array.from({ length: 256 }, (_, i) => (i === 10 ? 0x81 : 0))],
    ["a full bucket ending in 0x01 instead of the marker", Uint8Array.of(...new Uint8Array(255).fill(0x61), 0x01)],
    ["a valid buffer one byte short of its bucket", padPlaintext(Uint8Array.of(1, 2, 3)).subarray(0, 255)],
    ["a valid buffer one zero byte longer than its bucket", Uint8Array.of(...padPlaintext(Uint8Array.of(1)), 0)],
    // 300 content bytes belong in the 304-byte bucket, not in 512 bytes of zeros.
    [
      "more zeros than the bucket of its content",
      (() => {
        const b = new Uint8Array(512);
        b.fill(0x61, 0, 300);
        b[300] = 0x80;
        return b;
      })(),
    ],
  ])("[PD4] refuses malformed padding (%s) with undefined", (_what, padded) => {
    expect(unpadPlaintext(padded)).toBeUndefined();
  });
});

describe("withPaddedPlaintext", () => {
  it("[PD5] hands over the padded bytes and zeroes its reused buffer afterwards", () => {
    const plaintext = new Uint8Array(300).fill(0xaa);
    let seen: Uint8Array | undefined;
    const result = withPaddedPlaintext(plaintext, (padded) => {
      seen = padded;
      expect(bytesToHex(padded)).toBe(bytesToHex(padPlaintext(plaintext)));
      return padded.length;
    });
    expect(result).toBe(paddedLength(300));
    expect(seen!.every((b) => b === 0)).toBe(true);
  });

  it("[PD5] zeroes the buffer also when the callback throws", () => {
    let seen: Uint8Array | undefined;
    expect(() =>
      withPaddedPlaintext(new Uint8Array(10).fill(0x55), (padded) => {
        seen = padded;
        throw new Error("cipher failed");
      }),
    ).toThrow("cipher failed");
    expect(seen!.every((b) => b === 0)).toBe(true);
  });

  it("[PD5] gives a short plaintext after a long one a clean bucket: no bytes of the earlier message remain", () => {
    withPaddedPlaintext(new Uint8Array(5_000).fill(0xee), () => undefined);
    withPaddedPlaintext(Uint8Array.of(7), (padded) => {
      expect(padded.length).toBe(256);
      expect(bytesToHex(padded)).toBe(bytesToHex(padPlaintext(Uint8Array.of(7))));
    });
  });
});
