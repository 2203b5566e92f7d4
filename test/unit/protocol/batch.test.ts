import { describe, expect, it } from "vitest";
import { packBatches } from "../../../src/protocol/batch";
import { MAX_BATCH_CHARS, MAX_BATCH_ENVELOPES, MAX_CIPHERTEXT_CHARS } from "../../../src/protocol/limits";
import { createPrng } from "./support";

const sized = (chars: number[]) => chars.map((size, index) => ({ index, size }));
const pack = (items: { index: number; size: number }[]) => packBatches(items, (item) => item.size);

describe("packBatches", () => {
  it("[LM8] keeps order and packs at most MAX_BATCH_ENVELOPES and MAX_BATCH_CHARS per batch, a large item alone", () => {
    expect(pack([])).toEqual([]);
    const many = sized(new Array<number>(MAX_BATCH_ENVELOPES * 2 + 1).fill(10));
    expect(pack(many).map((batch) => batch.length)).toEqual([MAX_BATCH_ENVELOPES, MAX_BATCH_ENVELOPES, 1]);
    const half = MAX_BATCH_CHARS / 2;
    expect(pack(sized([half, half, 1, MAX_CIPHERTEXT_CHARS, 5])).map((b) => b.map((i) => i.index))).toEqual([
      [0, 1],
      [2],
      [3],
      [4],
    ]);
  });

  it("[LM8] on random sizes, every batch is within the limits or a single item, and nothing is lost or reordered", () => {
    const prng = createPrng(7);
    for (let run = 0; run < 200; run++) {
      const count = Math.floor(prng.float() * 100);
      const items = sized(Array.from({ length: count }, () => Math.floor(prng.float() * prng.float() * 70_000) + 1));
      const batches = pack(items);
      expect(batches.flat()).toEqual(items);
      for (const [i, batch] of batches.entries()) {
        const chars = batch.reduce((sum, item) => sum + item.size, 0);
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_ENVELOPES);
        if (batch.length > 1) expect(chars).toBeLessThanOrEqual(MAX_BATCH_CHARS);
        // Greedy: the next batch's first item did not fit in this one.
        const next = batches[i + 1]?.[0];
        if (next !== undefined && batch.length < MAX_BATCH_ENVELOPES) {
          expect(chars + next.size).toBeGreaterThan(MAX_BATCH_CHARS);
        }
      }
    }
  });
});
