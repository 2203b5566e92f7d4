import { describe, expect, it } from "vitest";
import {
  DEFAULT_WORKING_HOURS,
  EVENING_END_MINUTE,
  findFreeSlots,
  isFree,
  mergeIntervals,
  overlaps,
  type FindFreeSlotsOptions,
  type Interval,
  type WorkingHours,
} from "../../../../src/agent/scheduling/slots";
import { instantToLocal, localDay, localToInstant } from "../../../../src/agent/scheduling/zoned";
import type { Slot } from "../../../../src/protocol/messages/schema";
import { at, createPrng, HOUR, MINUTE } from "../support";

const LONDON = "Europe/London";
const NY = "America/New_York";
const hours = DEFAULT_WORKING_HOURS(LONDON);
const london = (month: number, day: number, hour = 0, minute = 0): number => at(LONDON, 2026, month, day, hour, minute);
// Monday 2 March 2026 08:00 in London (GMT, so also UTC).
const NOW = london(3, 2, 8);
const MONDAY = { start: london(3, 2), end: london(3, 3) };

const find = (options: Partial<FindFreeSlotsOptions>): Slot[] =>
  findFreeSlots({
    busy: [],
    window: MONDAY,
    durationMinutes: 30,
    workingHours: hours,
    now: NOW,
    limit: 100,
    ...options,
  });

const localTimes = (slots: readonly Slot[], zone = LONDON): string[] =>
  slots.map((s) => {
    const l = instantToLocal(s.start, zone);
    return `${l.day}/${l.month} ${String(l.hour).padStart(2, "0")}:${String(l.minute).padStart(2, "0")}`;
  });

describe("intervals", () => {
  it("[SC6] intervals are half-open: touching is not overlapping", () => {
    expect(overlaps({ start: 0, end: 10 }, { start: 10, end: 20 })).toBe(false);
    expect(overlaps({ start: 0, end: 11 }, { start: 10, end: 20 })).toBe(true);
    expect(overlaps({ start: 12, end: 13 }, { start: 10, end: 20 })).toBe(true);
    expect(
      isFree({ start: 10, end: 20 }, [
        { start: 0, end: 10 },
        { start: 20, end: 30 },
      ]),
    ).toBe(true);
    expect(
      isFree({ start: 10, end: 20 }, [
        { start: 0, end: 10 },
        { start: 19, end: 30 },
      ]),
    ).toBe(false);
  });

  it("[SC13] mergeIntervals sorts, merges overlapping and touching intervals, and drops empty ones", () => {
    const merged = mergeIntervals([
      { start: 50, end: 60 },
      { start: 0, end: 10 },
      { start: 5, end: 20 },
      { start: 20, end: 25 },
      { start: 30, end: 30 },
      { start: 40, end: 35 },
    ]);
    expect(merged).toEqual([
      { start: 0, end: 25 },
      { start: 50, end: 60 },
    ]);
  });
});

describe("findFreeSlots", () => {
  it("[SC5] offers every aligned start inside working hours on a free working day", () => {
    const slots = find({});
    expect(slots).toHaveLength(16);
    expect(slots[0]).toEqual({ start: london(3, 2, 9), end: london(3, 2, 9, 30) });
    expect(slots.at(-1)).toEqual({ start: london(3, 2, 16, 30), end: london(3, 2, 17) });
  });

  it("[SC5] skips days that are not working days", () => {
    expect(find({ window: { start: london(3, 7), end: london(3, 9) } })).toEqual([]);
    const weekendWorker: WorkingHours = { ...hours, days: [6] };
    expect(
      localTimes(find({ window: { start: london(3, 7), end: london(3, 9) }, workingHours: weekendWorker, limit: 1 })),
    ).toEqual(["7/3 09:00"]);
  });

  it("[SC5] reads working hours in their own zone", () => {
    const nyHours = DEFAULT_WORKING_HOURS(NY);
    const slots = find({ workingHours: nyHours, window: { start: london(3, 2), end: london(3, 3, 12) } });
    // 09:00 EST is 14:00 in London; the window ends at 12:00 London the next day, 07:00 in New York.
    expect(slots[0]!.start).toBe(london(3, 2, 14));
    expect(localTimes(slots, NY).at(-1)).toBe("2/3 16:30");
  });

  it("[SC6] never overlaps a busy interval, but may touch one", () => {
    const busy = [{ start: london(3, 2, 10), end: london(3, 2, 11) }];
    const times = localTimes(find({ busy }));
    expect(times).toContain("2/3 09:30");
    expect(times).not.toContain("2/3 10:00");
    expect(times).not.toContain("2/3 10:30");
    expect(times).toContain("2/3 11:00");
    const hourLong = localTimes(find({ busy, durationMinutes: 60 }));
    expect(hourLong).toContain("2/3 09:00");
    expect(hourLong).not.toContain("2/3 09:30");
  });

  it("[SC6] accepts busy intervals unsorted, overlapping and from many people", () => {
    const busy = [
      { start: london(3, 2, 12), end: london(3, 2, 17) },
      { start: london(3, 2, 9, 15), end: london(3, 2, 9, 45) },
      { start: london(3, 2, 9), end: london(3, 2, 9, 20) },
      { start: london(3, 2, 10, 30), end: london(3, 2, 12, 30) },
    ];
    // Free: 09:45-10:30 (only 10:00 is aligned and fits) and nothing after 10:30.
    expect(localTimes(find({ busy }))).toEqual(["2/3 10:00"]);
  });

  it("[SC7] keeps the minimum notice from now", () => {
    const now = london(3, 2, 9, 10);
    expect(localTimes(find({ now })).slice(0, 1)).toEqual(["2/3 10:30"]);
    expect(localTimes(find({ now, minNoticeMinutes: 0 })).slice(0, 1)).toEqual(["2/3 09:30"]);
    expect(find({ now: london(3, 2, 16, 30) })).toEqual([]);
  });

  it("[SC8] aligns starts to the step from local midnight and stays inside the window", () => {
    const times = localTimes(
      find({ stepMinutes: 15, window: { start: london(3, 2, 9, 5), end: london(3, 2, 10, 20) } }),
    );
    expect(times).toEqual(["2/3 09:15", "2/3 09:30", "2/3 09:45"]);
  });

  it("[SC9] spreads a week's slots over days before doubling up", () => {
    const week = { start: london(3, 9), end: london(3, 16) };
    expect(localTimes(find({ window: week, limit: 3 }))).toEqual(["9/3 09:00", "10/3 09:00", "11/3 09:00"]);
  });

  it("[SC9] fills with the earliest remaining slots once every day has one", () => {
    expect(localTimes(find({ limit: 3 }))).toEqual(["2/3 09:00", "2/3 09:30", "2/3 10:00"]);
    const twoDays = { start: london(3, 2), end: london(3, 4) };
    expect(localTimes(find({ window: twoDays, limit: 3 }))).toEqual(["2/3 09:00", "2/3 09:30", "3/3 09:00"]);
  });

  it("[SC9] returns at most limit slots, none for a limit of 0", () => {
    expect(find({ limit: 2 })).toHaveLength(2);
    expect(find({ limit: 0 })).toEqual([]);
  });

  it("[SC10] morning slots end by noon, afternoon slots lie within 12:00-17:00", () => {
    const morning = find({ partOfDay: "morning" });
    expect(localTimes(morning)).toEqual(["2/3 09:00", "2/3 09:30", "2/3 10:00", "2/3 10:30", "2/3 11:00", "2/3 11:30"]);
    const afternoon = find({ partOfDay: "afternoon" });
    expect(afternoon[0]!.start).toBe(london(3, 2, 12));
    expect(afternoon.at(-1)!.end).toBe(london(3, 2, 17));
  });

  it("[SC10] evening slots ignore the end of working hours and stop at 22:00", () => {
    const evening = find({ partOfDay: "evening" });
    expect(evening[0]!.start).toBe(london(3, 2, 17));
    expect(evening.at(-1)!.end).toBe(london(3, 2, EVENING_END_MINUTE / 60));
    // Still only on working days.
    expect(find({ partOfDay: "evening", window: { start: london(3, 7), end: london(3, 9) } })).toEqual([]);
  });

  it("[SC11] keeps 09:00 local across the spring-forward weekend", () => {
    const slots = find({
      workingHours: DEFAULT_WORKING_HOURS(NY),
      window: { start: Date.parse("2026-03-06T00:00:00Z"), end: Date.parse("2026-03-10T00:00:00Z") },
      now: Date.parse("2026-03-01T00:00:00Z"),
      limit: 2,
    });
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual([
      "2026-03-06T14:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
    ]);
  });

  it("[SC11] on a spring-forward day, times in the gap move forward and are not offered twice", () => {
    const night: WorkingHours = { timeZone: NY, days: [0], startMinute: 60, endMinute: 240 };
    const day = localDay(Date.parse("2026-03-08T12:00:00Z"), NY);
    const slots = find({ workingHours: night, window: day, now: day.start - 2 * HOUR, minNoticeMinutes: 0 });
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual([
      "2026-03-08T06:00:00.000Z", // 01:00 EST
      "2026-03-08T06:30:00.000Z", // 01:30 EST
      "2026-03-08T07:00:00.000Z", // 02:00 does not exist: 03:00 EDT
      "2026-03-08T07:30:00.000Z", // 03:30 EDT
    ]);
    for (const slot of slots) expect(slot.end - slot.start).toBe(30 * MINUTE);
  });

  it("[SC11] on a fall-back day, local starts are read at their first occurrence", () => {
    const night: WorkingHours = { timeZone: NY, days: [0], startMinute: 0, endMinute: 180 };
    const day = localDay(Date.parse("2026-11-01T12:00:00Z"), NY);
    const slots = find({
      workingHours: night,
      window: day,
      now: day.start - 2 * HOUR,
      minNoticeMinutes: 0,
      stepMinutes: 60,
    });
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual([
      "2026-11-01T04:00:00.000Z", // 00:00 EDT
      "2026-11-01T05:00:00.000Z", // 01:00 EDT, the first 01:00
      "2026-11-01T07:00:00.000Z", // 02:00 EST
    ]);
  });

  it("[SC12] rejects arguments that are bugs, naming the function", () => {
    expect(() => find({ durationMinutes: 0 })).toThrow(/^findFreeSlots:/);
    expect(() => find({ stepMinutes: 0 })).toThrow(/^findFreeSlots:/);
    expect(() => find({ workingHours: { ...hours, startMinute: 600, endMinute: 540 } })).toThrow(/^findFreeSlots:/);
  });

  it("[SC12] an open-ended window is searched only up to the horizon", () => {
    const allBusy = [{ start: 0, end: Number.MAX_SAFE_INTEGER }];
    expect(find({ window: { start: NOW, end: Infinity }, busy: allBusy })).toEqual([]);
    expect(find({ window: { start: NOW, end: Infinity }, workingHours: { ...hours, days: [] } })).toEqual([]);
  });

  it("[SC13] agrees with a brute-force search on 10 people x 2,000 events", () => {
    const prng = createPrng(7);
    const window = { start: london(3, 2), end: london(3, 30) };
    const busy: Interval[] = [];
    for (let person = 0; person < 10; person++) {
      for (let e = 0; e < 2_000; e++) {
        const start = window.start + prng.int(28 * 24 * 4) * 15 * MINUTE + prng.int(15) * MINUTE;
        busy.push({ start, end: start + (5 + prng.int(60)) * MINUTE });
      }
    }
    // 20,000 events leave almost nothing free; one in a hundred leaves enough to compare the spreading too.
    const sparse = busy.filter((_, i) => i % 100 === 0);
    for (const limit of [1, 5, 10, 40]) {
      const started = performance.now();
      const fast = find({ busy: sparse, window, limit, durationMinutes: 30 });
      const elapsed = performance.now() - started;
      expect(fast).toHaveLength(limit);
      expect(fast).toEqual(bruteForce(sparse, window, 30, limit));
      expect(elapsed).toBeLessThan(1_000);
    }
    const everything = find({ busy, window, limit: 10, durationMinutes: 30 });
    expect(everything).toEqual(bruteForce(busy, window, 30, 10));
  });
});

/** The same search done the slow, obvious way: every candidate checked against every event. */
function bruteForce(busy: readonly Interval[], window: Interval, durationMinutes: number, limit: number): Slot[] {
  const earliest = Math.max(window.start, NOW + 60 * MINUTE);
  const days: Slot[][] = [];
  for (
    let dayStart = localDay(earliest, LONDON).start;
    dayStart < window.end;
    dayStart = localDay(dayStart, LONDON).end
  ) {
    const local = instantToLocal(dayStart, LONDON);
    if (!hours.days.includes(local.weekday)) continue;
    const found: Slot[] = [];
    for (let minute = hours.startMinute; minute + durationMinutes <= hours.endMinute; minute += 30) {
      const start = localToInstant({ ...local, hour: 0, minute }, LONDON);
      const slot = { start, end: start + durationMinutes * MINUTE };
      if (start >= earliest && slot.end <= window.end && isFree(slot, busy)) found.push(slot);
    }
    if (found.length > 0) days.push(found);
  }
  const picked = days.slice(0, limit).map((d) => d[0]!);
  for (const slot of days.flatMap((d) => d.slice(1))) if (picked.length < limit) picked.push(slot);
  return picked.sort((a, b) => a.start - b.start);
}
