import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { coalesce } from "../../../src/relay/coalesce";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A batch runner that records its batches and answers each request with its double. */
function doubling() {
  const batches: number[][] = [];
  const run = (requests: readonly number[]) => {
    batches.push([...requests]);
    return Promise.resolve(requests.map((n) => n * 2));
  };
  return { batches, run };
}

describe("coalesced calls", () => {
  it("[RS11] run together after the window, each caller getting its own answer", async () => {
    const { batches, run } = doubling();
    const calls = coalesce(run, { windowMs: 10, maxWeight: 100, weightOf: () => 1 });
    const answers = Promise.all([calls.call(1), calls.call(2), calls.call(3)]);
    await vi.advanceTimersByTimeAsync(9);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await answers).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
    // The window starts again with the next request.
    const later = calls.call(4);
    await vi.advanceTimersByTimeAsync(10);
    expect(await later).toBe(8);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("[RS11] run at once when the batch reaches its weight, and flush runs what is queued", async () => {
    const { batches, run } = doubling();
    const calls = coalesce(run, { windowMs: 10, maxWeight: 5, weightOf: (n: number) => n });
    const heavy = Promise.all([calls.call(2), calls.call(3)]);
    expect(await heavy).toEqual([4, 6]);
    const queued = calls.call(1);
    await calls.flush();
    expect(await queued).toBe(2);
    expect(batches).toEqual([[2, 3], [1]]);
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toHaveLength(2);
  });

  it("[RS11] fail every request of a batch that fails or answers the wrong count, and only that batch", async () => {
    let answer: (requests: readonly number[]) => Promise<readonly number[]> = () => Promise.reject(new Error("down"));
    const calls = coalesce((requests: readonly number[]) => answer(requests), {
      windowMs: 1,
      maxWeight: 10,
      weightOf: () => 1,
    });
    const failed = [calls.call(1), calls.call(2)].map((call) => call.catch((error: Error) => error.message));
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(failed)).toEqual(["down", "down"]);
    answer = () => Promise.resolve([1]);
    const short = [calls.call(1), calls.call(2)].map((call) => call.catch((error: Error) => error.message));
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(short)).toEqual([
      "coalesce: 1 answers for 2 requests",
      "coalesce: 1 answers for 2 requests",
    ]);
    answer = (requests) => Promise.resolve(requests);
    const fine = calls.call(7);
    await vi.advanceTimersByTimeAsync(1);
    expect(await fine).toBe(7);
  });
});
