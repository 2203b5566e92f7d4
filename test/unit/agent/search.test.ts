import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Availability } from "../../../src/agent/availability/types";
import {
  DEFAULT_SEARCH_STEP_MINUTES,
  fitSlots,
  intersectFree,
  pickBest,
  searchSlots,
  toSlots,
  type RankedSlot,
  type SearchSlotsOptions,
} from "../../../src/agent/scheduling/search";
import {
  MAX_SEARCH_DAYS,
  mergeIntervals,
  PARTS_OF_DAY,
  type Interval,
  type PartOfDay,
} from "../../../src/agent/scheduling/slots";
import { instantToLocal, localDay, localToInstant } from "../../../src/agent/scheduling/zoned";
import { slotSchema, type Slot } from "../../../src/protocol/messages/schema";
import { at, createPrng, HOUR, MINUTE } from "./support";

/**
 * Multi-party slot search (SR rules). Availabilities are built directly, as
 * the calendar side would hand them over: sorted, disjoint free intervals in
 * each person's own zone. Monday 2 March 2026: London is on GMT (UTC),
 * New York on EST (UTC−5), Kathmandu on +05:45.
 */

const LONDON = "Europe/London";
const NY = "America/New_York";
const KATHMANDU = "Asia/Kathmandu";
const DAY = 24 * HOUR;

/** Free time in `zone` in March 2026, as "day hh:mm-hh:mm" or "day hh:mm-day hh:mm". */
function person(zone: string, spans: readonly string[], preferredParts: readonly PartOfDay[] = []): Availability {
  const free = spans.map((span) => {
    const match = /^(\d+) (\d\d):(\d\d)-(?:(\d+) )?(\d\d):(\d\d)$/.exec(span);
    if (match === null) throw new Error(`bad span ${span}`);
    const [, day, h1, m1, day2, h2, m2] = match.map(Number) as number[];
    return {
      start: at(zone, 2026, 3, day!, h1, m1),
      end: at(zone, 2026, 3, Number.isNaN(day2) ? day! : day2!, h2, m2),
    };
  });
  return { timeZone: zone, free, preferredParts };
}

/** Working hours [from, to) in `zone` on each of `days` (of March 2026). */
function workdays(zone: string, days: readonly number[], from: number, to: number, prefs: readonly PartOfDay[] = []) {
  const hh = (hour: number) => `${String(hour).padStart(2, "0")}:00`;
  return person(
    zone,
    days.map((d) => (to === 24 ? `${d} ${hh(from)}-${d + 1} 00:00` : `${d} ${hh(from)}-${hh(to)}`)),
    prefs,
  );
}

const london = (day: number, hour = 0, minute = 0): number => at(LONDON, 2026, 3, day, hour, minute);
const MONDAY = { start: london(2), end: london(3) };
const WEEK = { start: london(2), end: london(9) };
const NOW = london(1);

const search = (options: Partial<SearchSlotsOptions> & Pick<SearchSlotsOptions, "availabilities">): RankedSlot[] =>
  searchSlots({ durationMinutes: 30, window: MONDAY, limit: 100, now: NOW, ...options });

/** "day/month hh:mm" in `zone`. */
const local = (instant: number, zone = LONDON): string => {
  const l = instantToLocal(instant, zone);
  return `${l.day}/${l.month} ${String(l.hour).padStart(2, "0")}:${String(l.minute).padStart(2, "0")}`;
};
const times = (slots: readonly Slot[], zone = LONDON): string[] => slots.map((s) => local(s.start, zone));
const byStart = (slots: readonly Slot[]): Slot[] => [...slots].sort((a, b) => a.start - b.start);

describe("searchSlots: what fits everyone", () => {
  it.each<[string, Availability[], string[]]>([
    // 09:00-17:00 EST is 14:00-22:00 in London.
    ["London + New York", [workdays(LONDON, [2], 9, 17), workdays(NY, [2], 9, 17)], ["2/3 14:00", "2/3 16:30"]],
    // 09:00-17:00 in Kathmandu is 03:15-11:15 in London.
    ["London + Kathmandu", [workdays(LONDON, [2], 9, 17), workdays(KATHMANDU, [2], 9, 17)], ["2/3 09:00", "2/3 10:45"]],
    ["New York + Kathmandu", [workdays(NY, [2], 9, 17), workdays(KATHMANDU, [2, 3], 9, 17)], []],
    [
      "London + New York + Kathmandu",
      [workdays(LONDON, [2], 9, 17), workdays(NY, [2], 9, 17), workdays(KATHMANDU, [2], 9, 17)],
      [],
    ],
    // Kathmandu working late, 09:00-22:00, is 03:15-16:15 in London: all three share 14:00-16:15.
    [
      "London + New York + Kathmandu (late)",
      [workdays(LONDON, [2], 9, 17), workdays(NY, [2], 9, 17), workdays(KATHMANDU, [2], 9, 22)],
      ["2/3 14:00", "2/3 15:45"],
    ],
  ])("[SR1] %s: first and last start of the common time", (_, availabilities, expected) => {
    const slots = byStart(search({ availabilities }));
    expect(slots.length === 0 ? [] : [local(slots[0]!.start), local(slots.at(-1)!.start)]).toEqual(expected);
    for (const slot of slots) expect(insideAll(slot, availabilities)).toBe(true);
  });

  it("[SR1] returns nothing when the common gaps are all shorter than the meeting", () => {
    const alice = person(LONDON, ["2 09:00-12:00", "2 13:00-17:00"]);
    const bob = person(NY, [
      "2 04:00-04:45", // 09:00-09:45 London
      "2 07:15-08:00", // 12:15-13:00 London, but Alice is busy from 12:00
      "2 11:00-11:50", // 16:00-16:50 London
    ]);
    expect(search({ availabilities: [alice, bob], durationMinutes: 60 })).toEqual([]);
    expect(times(byStart(search({ availabilities: [alice, bob], durationMinutes: 45 })))).toEqual([
      "2/3 09:00",
      "2/3 16:00",
    ]);
  });

  it("[SR1] starts no earlier than now or the window, and ends inside the window", () => {
    const alice = workdays(LONDON, [2], 9, 17);
    const slots = byStart(
      search({ availabilities: [alice], now: london(2, 10, 5), window: { start: london(2), end: london(2, 12) } }),
    );
    expect(times(slots)[0]).toBe("2/3 10:15");
    expect(local(slots.at(-1)!.end)).toBe("2/3 12:00");
    expect(search({ availabilities: [alice], now: london(2, 17) })).toEqual([]);
    expect(search({ availabilities: [alice], limit: 0 })).toEqual([]);
  });

  it("[SR1] looks no further than MAX_SEARCH_DAYS, however long the window", () => {
    const always: Availability = { timeZone: LONDON, free: [{ start: 0, end: 8e12 }], preferredParts: [] };
    const slots = search({ availabilities: [always], window: { start: london(2), end: Infinity }, limit: 10_000 });
    expect(Math.max(...slots.map((s) => s.end))).toBeLessThanOrEqual(london(2) + MAX_SEARCH_DAYS * DAY);
    expect(Math.max(...slots.map((s) => s.end))).toBeGreaterThan(london(2) + (MAX_SEARCH_DAYS - 1) * DAY);
  });

  it("[SR1] takes touching or unsorted free intervals as the time they cover", () => {
    const touching = person(LONDON, ["2 10:00-10:30", "2 09:00-10:00"]);
    expect(times(byStart(search({ availabilities: [touching], durationMinutes: 60 })))).toEqual([
      "2/3 09:00",
      "2/3 09:15",
      "2/3 09:30",
    ]);
  });
});

describe("searchSlots: the organizer's grid", () => {
  it("[SR2] aligns starts to the step from midnight in the organizer's zone, whoever else is involved", () => {
    // Kathmandu's free time starts at 09:00 there, 03:15 London: a quarter past, on the London grid.
    const alice = workdays(LONDON, [2], 0, 24);
    const ram = person(KATHMANDU, ["2 09:00-10:05"]);
    expect(times(byStart(search({ availabilities: [alice, ram] })))).toEqual(["2/3 03:15", "2/3 03:30", "2/3 03:45"]);
    expect(times(byStart(search({ availabilities: [alice, ram], stepMinutes: 30 })))).toEqual(["2/3 03:30"]);
    // With Kathmandu organizing, the same slots are on its grid: 09:00, 09:15, 09:30 there.
    expect(times(byStart(search({ availabilities: [ram, alice] })), KATHMANDU)).toEqual([
      "2/3 09:00",
      "2/3 09:15",
      "2/3 09:30",
    ]);
    expect(DEFAULT_SEARCH_STEP_MINUTES).toBe(15);
  });

  it("[SR2] on the spring-forward day, starts in the gap move forward and none repeats", () => {
    // 29 March 2026: London goes from 01:00 GMT to 02:00 BST.
    const night = person(LONDON, ["29 00:00-04:00"]);
    const slots = byStart(
      search({ availabilities: [night], stepMinutes: 30, window: { start: london(28), end: london(30) } }),
    );
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual([
      "2026-03-29T00:00:00.000Z", // 00:00 GMT
      "2026-03-29T00:30:00.000Z", // 00:30 GMT
      "2026-03-29T01:00:00.000Z", // 01:00 does not exist: 02:00 BST
      "2026-03-29T01:30:00.000Z", // 02:30 BST
      "2026-03-29T02:00:00.000Z", // 03:00 BST
      "2026-03-29T02:30:00.000Z", // 03:30 BST, ending at 04:00 BST
    ]);
    for (const slot of slots) expect(slot.end - slot.start).toBe(30 * MINUTE);
  });

  it("[SR2] on the fall-back day, starts are read at their first occurrence", () => {
    // 25 October 2026: London goes from 02:00 BST back to 01:00 GMT.
    const night: Availability = {
      timeZone: LONDON,
      free: [{ start: Date.parse("2026-10-24T23:00:00Z"), end: Date.parse("2026-10-25T03:00:00Z") }],
      preferredParts: [],
    };
    const window = { start: Date.parse("2026-10-24T00:00:00Z"), end: Date.parse("2026-10-26T00:00:00Z") };
    const slots = byStart(search({ availabilities: [night], stepMinutes: 60, window }));
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual([
      "2026-10-24T23:00:00.000Z", // 00:00 BST
      "2026-10-25T00:00:00.000Z", // 01:00 BST, the first 01:00
      "2026-10-25T02:00:00.000Z", // 02:00 GMT
    ]);
  });

  it("[SR2] keeps 09:00 local the day after a DST change, in the organizer's zone only", () => {
    const alice = workdays(LONDON, [27, 30], 9, 10);
    const slots = byStart(search({ availabilities: [alice], window: { start: london(27), end: london(31) } }));
    expect(times(slots)).toEqual(["27/3 09:00", "27/3 09:15", "27/3 09:30", "30/3 09:00", "30/3 09:15", "30/3 09:30"]);
    expect(new Date(slots[3]!.start).toISOString()).toBe("2026-03-30T08:00:00.000Z");
  });
});

describe("searchSlots: ranking", () => {
  it("[SR5] prefers slots at the edges of free time, then whole leftovers, and slivers last", () => {
    // Free 09:00-11:00: 09:00 and 10:00 leave one usable hour; 09:30 splits it in two halves; 09:15 and 09:45 leave 15 minutes.
    const alice = person(LONDON, ["2 09:00-11:00"]);
    expect(times(search({ availabilities: [alice], durationMinutes: 60 }))).toEqual([
      "2/3 09:00",
      "2/3 10:00",
      "2/3 09:30",
      "2/3 09:15",
      "2/3 09:45",
    ]);
  });

  it("[SR5] [SR6] fills free time from its edges before splitting it, with different times before overlapping ones", () => {
    const alice = person(LONDON, ["2 09:00-12:00", "2 13:00-17:00"]);
    expect(times(search({ availabilities: [alice], limit: 6 }))).toEqual([
      "2/3 09:00",
      "2/3 11:30",
      "2/3 13:00",
      "2/3 16:30",
      "2/3 09:30",
      "2/3 10:00",
    ]);
  });

  it("[SR5] counts everyone's leftovers: a slot snug for both beats one snug for the organizer alone", () => {
    const alice = workdays(LONDON, [2], 9, 17);
    // Bob (New York) is free 09:00-11:00 there, 14:00-16:00 London.
    const bob = person(NY, ["2 09:00-11:00"]);
    const [best, second] = search({ availabilities: [alice, bob], durationMinutes: 60 });
    expect(times([best!, second!])).toEqual(["2/3 14:00", "2/3 15:00"]);
    expect(best!.score).toBeGreaterThan(second!.score);
  });

  it("[SR4] reads each person's preferred parts of day in their own zone", () => {
    // Alice in London is free 08:00-18:00; Ram in Kathmandu 12:00-22:00 there (06:15-16:15 London) and prefers evenings,
    // which begin at 11:15 London. His evening wins over Alice's earlier, snugger 08:00.
    const alice = workdays(LONDON, [2], 8, 18);
    const ram = workdays(KATHMANDU, [2], 12, 22, ["evening"]);
    const ranked = search({ availabilities: [alice, ram], limit: 3, names: ["me", "Ram"] });
    expect(times(ranked)).toEqual(["2/3 15:45", "2/3 11:15", "2/3 11:45"]);
    expect(times(ranked, KATHMANDU)).toEqual(["2/3 21:30", "2/3 17:00", "2/3 17:30"]);
    expect(ranked[0]!.reasons).toContain("evening for Ram, as preferred");
    // Without the preference the earliest snug slot leads.
    expect(times(search({ availabilities: [alice, workdays(KATHMANDU, [2], 12, 22)], limit: 1 }))).toEqual([
      "2/3 08:00",
    ]);
  });

  // Alice (London) is free 09:00-22:00, Bob (New York) 09:00-17:00 there: they share 14:00-22:00 London.
  it.each<[string, PartOfDay[], PartOfDay[], string]>([
    // London 14:00-17:00 is New York 09:00-12:00: afternoon here, morning there.
    ["both at once, each in their own zone", ["afternoon"], ["morning"], "2/3 14:00"],
    // London evening is New York afternoon; 21:30 also leaves neither of them a gap.
    ["London's evening is New York's afternoon", ["evening"], ["afternoon"], "2/3 21:30"],
    // 14:00-17:00 London is Alice's second choice (0.5) and Bob's first (1); the evening only Alice's first.
    ["a first and a second choice beat a single first choice", ["evening", "afternoon"], ["morning"], "2/3 14:00"],
  ])("[SR4] %s", (_, alicePrefs, bobPrefs, expected) => {
    const alice = workdays(LONDON, [2], 9, 22, alicePrefs);
    const bob = workdays(NY, [2], 9, 17, bobPrefs);
    expect(times(search({ availabilities: [alice, bob], limit: 1 }))).toEqual([expected]);
  });

  it("[SR4] a preference nobody can have in the common time changes nothing: it ranks, never filters", () => {
    const ranking = (alicePrefs: PartOfDay[], bobPrefs: PartOfDay[]) =>
      search({
        availabilities: [workdays(LONDON, [2], 9, 22, alicePrefs), workdays(NY, [2], 9, 17, bobPrefs)],
        limit: 5,
      }).map(({ start, score }) => ({ start, score }));
    // Alice's mornings are before New York wakes up; Bob's evenings (17:00-22:00 there) after Alice stops.
    expect(ranking(["morning"], ["evening"])).toEqual(ranking([], []));
    expect(ranking(["morning"], ["evening"])).toHaveLength(5);
  });

  it("[SR4] a preferred part outweighs a few days' delay, but not weeks of it", () => {
    // Afternoons only this week; a morning on Thursday; a morning four weeks on.
    const alice = person(LONDON, ["2 14:00-16:00", "5 09:00-11:00", "30 09:00-11:00"], ["morning"]);
    const ranked = search({ availabilities: [alice], window: { start: london(2), end: london(31) }, limit: 3 });
    // Thursday's morning first; this afternoon before a morning four weeks on; each day once before any twice.
    expect(times(ranked)).toEqual(["5/3 09:00", "2/3 14:00", "30/3 09:00"]);
    expect(ranked[0]!.reasons).toEqual(["morning, as you prefer", "doesn't split your free time"]);
  });

  it("[SR3] scores by the documented formula", () => {
    const alice = person(LONDON, ["2 09:00-11:00"], ["morning", "afternoon"]);
    const [first, second] = search({
      availabilities: [alice],
      durationMinutes: 60,
      window: { start: london(2, 9), end: london(3) },
    });
    // 09:00: soon 1, preference 1 (morning, first choice), fit 1 - (0 + 0.5)/2.
    expect(first!.score).toBe(Math.round((0.4 * 1 + 0.35 * 1 + 0.25 * 0.75) * 1e6) / 1e6);
    // 10:00: an hour later (soon 0.5^(1/168)), same preference and fit.
    expect(second!.score).toBe(Math.round((0.4 * 0.5 ** (1 / 168) + 0.35 + 0.25 * 0.75) * 1e6) / 1e6);
    // 11:30-12:30 is half morning (weight 1), half afternoon (weight 0.5).
    const straddle = search({
      availabilities: [{ ...alice, free: [{ start: london(2, 11, 30), end: london(2, 12, 30) }] }],
      window: { start: london(2, 11, 30), end: london(3) },
      durationMinutes: 60,
    });
    expect(straddle[0]!.score).toBe(Math.round((0.4 + 0.35 * 0.75 + 0.25) * 1e6) / 1e6);
  });

  it("[SR6] spreads a week over days before doubling up on any", () => {
    const alice = workdays(LONDON, [2, 3, 4, 5, 6], 9, 17);
    expect(times(search({ availabilities: [alice], window: WEEK, limit: 3 }))).toEqual([
      "2/3 09:00",
      "3/3 09:00",
      "4/3 09:00",
    ]);
    expect(times(search({ availabilities: [alice], window: WEEK, limit: 7 }))).toEqual([
      "2/3 09:00",
      "2/3 16:30",
      "3/3 09:00",
      "3/3 16:30",
      "4/3 09:00",
      "5/3 09:00",
      "6/3 09:00",
    ]);
  });

  it("[SR6] groups by the organizer's local day, not UTC's or a participant's", () => {
    // Alice in New York is free 18:00-21:00 on Monday and Tuesday, which straddles midnight UTC
    // and is the next morning in Kathmandu, where Ram is free all week.
    const alice = person(NY, ["2 18:00-21:00", "3 18:00-21:00"]);
    const ram = person(KATHMANDU, ["2 00:00-5 00:00"]);
    const ranked = search({ availabilities: [alice, ram], window: { start: london(2), end: london(5) }, limit: 2 });
    // By UTC days, Monday evening's 20:30 (01:30 UTC on Tuesday) would have come second.
    expect(times(ranked, NY)).toEqual(["2/3 18:00", "3/3 18:00"]);
  });

  it("[SR12] explains the ranking to the owner in plain words", () => {
    const alice = person(LONDON, ["2 09:00-12:00"], ["morning"]);
    const bob = person(NY, ["2 04:00-07:00"], ["evening"]);
    const [best] = search({ availabilities: [alice, bob], limit: 1, names: ["ignored", "Bob"] });
    expect(best!.reasons).toEqual(["soonest possible", "morning, as you prefer", "doesn't split anyone's free time"]);
    const [other] = search({ availabilities: [alice, bob], limit: 1 });
    expect(other!.reasons).toEqual(best!.reasons);
    const evening = search({
      availabilities: [alice, { ...bob, preferredParts: ["morning"] }],
      limit: 1,
      names: ["", "Bob"],
    });
    expect(evening[0]!.reasons).toContain("morning for Bob, as preferred");
    const unnamed = search({ availabilities: [alice, { ...bob, preferredParts: ["morning"] }], limit: 1 });
    expect(unnamed[0]!.reasons).toContain("morning for participant 2, as preferred");
  });

  it("[SR10] rejects arguments that are bugs, naming searchSlots", () => {
    const alice = workdays(LONDON, [2], 9, 17);
    expect(() => search({ availabilities: [] })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [alice], durationMinutes: 0 })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [alice], durationMinutes: 1441 })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [alice], durationMinutes: 2.5 })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [alice], stepMinutes: 0 })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [alice], stepMinutes: 7.5 })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [alice], now: Number.NaN })).toThrow(/^searchSlots:/);
    expect(() => search({ availabilities: [{ ...alice, timeZone: "Mars/Olympus" }] })).toThrow(/unknown time zone/);
  });

  it("[SR1] [SR6] searches 10 people x 90 days of fragmented free time in a few milliseconds", () => {
    const { availabilities, window } = crowd(10, 90, 11);
    const run = () => searchSlots({ availabilities, durationMinutes: 30, window, limit: 10, now: window.start });
    const first = run();
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(run()).toEqual(first);
      best = Math.min(best, performance.now() - started);
    }
    expect(first).toHaveLength(10);
    for (const slot of first) expect(insideAll(slot, availabilities)).toBe(true);
    // A few ms on a laptop; the bound leaves room for a loaded CI machine.
    expect(best).toBeLessThan(100);
  });
});

describe("the multi-party round", () => {
  it("[SR7] fitSlots keeps the order and only the candidates inside free time", () => {
    const bob = person(NY, [
      "2 09:00-10:00",
      "2 10:00-11:00", // touching: 09:00-11:00 in all
      "2 13:00-14:00",
    ]);
    const ny = (hour: number, minute = 0) => at(NY, 2026, 3, 2, hour, minute);
    const candidates = [
      { start: ny(13), end: ny(14), score: 1, reasons: ["x"] },
      { start: ny(9, 30), end: ny(10, 30) },
      { start: ny(12, 30), end: ny(13, 30) },
      { start: ny(10, 30), end: ny(11, 30) },
      { start: ny(9), end: ny(9) },
    ];
    const fits = fitSlots(candidates, bob);
    expect(fits).toEqual([
      { start: ny(13), end: ny(14) },
      { start: ny(9, 30), end: ny(10, 30) },
    ]);
    // Bare slots: nothing else the candidate carried leaves in the reply.
    expect(Object.keys(fits[0]!)).toEqual(["start", "end"]);
    expect(fitSlots(candidates, { ...bob, free: [] })).toEqual([]);
  });

  it.each<[string, number[], number[][], number | undefined]>([
    [
      "the organizer's first choice when everyone takes it",
      [1, 2, 3],
      [
        [3, 1],
        [1, 2],
      ],
      1,
    ],
    ["the best one all accepted, not the best one some accepted", [1, 2, 3], [[1, 3], [2, 3], [3]], 3],
    ["nothing when no slot suits everyone", [1, 2, 3], [[1], [2]], undefined],
    ["nothing when someone accepts nothing", [1, 2], [[1, 2], []], undefined],
    [
      "never a slot that was not proposed",
      [1, 2],
      [
        [9, 2],
        [9, 2],
      ],
      2,
    ],
    ["the first candidate when nobody else was asked", [2, 1], [], 2],
  ])("[SR8] pickBest: %s", (_, candidates, answers, expected) => {
    const slot = (n: number): Slot => ({ start: n * HOUR, end: n * HOUR + 30 * MINUTE });
    expect(
      pickBest(
        candidates.map(slot),
        answers.map((a) => a.map(slot)),
      ),
    ).toEqual(expected === undefined ? undefined : slot(expected));
  });

  it("[SR8] pickBest matches start and end both", () => {
    const proposal = [{ start: 0, end: HOUR }];
    expect(pickBest(proposal, [[{ start: 0, end: 30 * MINUTE }]])).toBeUndefined();
  });

  it("[SR11] a round sends only bare slots and confirms the best one that suits all three", () => {
    const alice = person(LONDON, ["2 09:00-10:00", "3 13:00-17:00"], ["morning"]);
    // Bob: 14:00-15:00 on Monday and 14:00-17:00 on Tuesday, London time.
    const bob = person(NY, ["2 09:00-10:00", "3 09:00-12:00"]);
    // Ram: 03:15-16:15 London on each day.
    const ram = workdays(KATHMANDU, [2, 3, 4], 9, 22, ["evening"]);
    // The organizer knows only its own free time.
    const ranked = search({ availabilities: [alice], window: { start: london(2), end: london(5) }, limit: 10 });
    const proposal = toSlots(ranked);
    const answers = [fitSlots(proposal, bob), fitSlots(proposal, ram)];
    for (const slot of [...proposal, ...answers.flat()]) {
      expect(Object.keys(slot)).toEqual(["start", "end"]);
      expect(slotSchema.safeParse(slot).success).toBe(true);
    }
    // The strict wire schema refuses a ranked slot: score and reasons can never slip out.
    expect(slotSchema.safeParse(ranked[0]).success).toBe(false);
    expect(times(byStart(answers[0]!))).toEqual(["3/3 14:00", "3/3 14:30", "3/3 15:00", "3/3 15:30", "3/3 16:30"]);
    const chosen = pickBest(ranked, answers);
    expect(local(chosen!.start)).toBe("3/3 14:00");
    expect(insideAll(chosen!, [alice, bob, ram])).toBe(true);
    expect(chosen).toBe(ranked.find((slot) => answers.every((answer) => answer.some((a) => a.start === slot.start))));
  });
});

describe("intersectFree", () => {
  it.each<[string, Interval[][], Interval[]]>([
    ["nothing from no lists", [], []],
    [
      "a list from itself",
      [
        [
          { start: 0, end: 5 },
          { start: 7, end: 9 },
        ],
      ],
      [
        { start: 0, end: 5 },
        { start: 7, end: 9 },
      ],
    ],
    ["nothing with an empty list", [[{ start: 0, end: 5 }], []], []],
    [
      "the overlaps, half-open",
      [
        [
          { start: 0, end: 10 },
          { start: 20, end: 30 },
        ],
        [{ start: 5, end: 25 }],
        [
          { start: 0, end: 7 },
          { start: 8, end: 40 },
        ],
      ],
      [
        { start: 5, end: 7 },
        { start: 8, end: 10 },
        { start: 20, end: 25 },
      ],
    ],
    ["nothing where intervals only touch", [[{ start: 0, end: 10 }], [{ start: 10, end: 20 }]], []],
    [
      "touching pieces joined",
      [
        [
          { start: 0, end: 10 },
          { start: 10, end: 20 },
        ],
        [{ start: 5, end: 15 }],
      ],
      [{ start: 5, end: 15 }],
    ],
    [
      "empty intervals ignored",
      [
        [
          { start: 3, end: 3 },
          { start: 4, end: 9 },
        ],
        [{ start: 0, end: 5 }],
      ],
      [{ start: 4, end: 5 }],
    ],
  ])("[SR9] %s", (_, lists, expected) => {
    expect(intersectFree(lists)).toEqual(expected);
  });
});

// ---- Properties ----

const ZONES = [LONDON, NY, KATHMANDU, "Europe/Berlin", "Australia/Sydney"];
// Weekends with a DST change (New York 8 March and 1 November, London and Berlin 29 March and 25 October,
// Sydney 5 April and 4 October) and a quiet week; properties look at the 3-4 days from there.
const BASES = ["2026-03-07", "2026-03-28", "2026-04-04", "2026-10-03", "2026-10-24", "2026-10-31", "2026-01-05"].map(
  (d) => Date.parse(`${d}T00:00:00Z`),
);

/** Sorted, disjoint (possibly touching) intervals from gaps and lengths in minutes. */
const freeList = (base: number, maxCount = 14, unit = 5) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 144 })), {
      minLength: 1,
      maxLength: maxCount,
    })
    .map((pairs) => {
      const out: Interval[] = [];
      let t = base;
      for (const [gap, length] of pairs) {
        const start = t + gap * unit * MINUTE;
        out.push({ start, end: start + length * unit * MINUTE });
        t = start + length * unit * MINUTE;
      }
      return out;
    });

const availability = (base: number) =>
  fc.record({
    timeZone: fc.constantFrom(...ZONES),
    free: freeList(base),
    preferredParts: fc.shuffledSubarray([...PARTS_OF_DAY]),
  });

const scenario = fc.constantFrom(...BASES).chain((base) =>
  fc.record({
    availabilities: fc.array(availability(base), { minLength: 1, maxLength: 4 }),
    durationMinutes: fc.constantFrom(15, 30, 45, 60, 90),
    // Divisors of an hour, so starts moved forward out of an hour-long DST gap stay on the grid.
    stepMinutes: fc.constantFrom(5, 10, 15, 20, 30, 60),
    limit: fc.integer({ min: 1, max: 12 }),
    window: fc
      .tuple(fc.integer({ min: 0, max: 24 * 60 }), fc.integer({ min: 6 * 60, max: 3 * 24 * 60 }))
      .map(([from, length]) => ({ start: base + from * MINUTE, end: base + (from + length) * MINUTE })),
    now: fc.integer({ min: 0, max: 24 * 60 }).map((m) => base + m * MINUTE + 17),
  }),
);

function insideAll(slot: Slot, availabilities: readonly Availability[]): boolean {
  return availabilities.every((a) => mergeIntervals(a.free).some((f) => f.start <= slot.start && slot.end <= f.end));
}

/** Every start the search may consider, the slow way: each aligned local minute of each organizer day, checked against everyone. */
function bruteForce(options: SearchSlotsOptions): number[] {
  const { availabilities, durationMinutes, window, now } = options;
  const step = options.stepMinutes ?? DEFAULT_SEARCH_STEP_MINUTES;
  const zone = availabilities[0]!.timeZone;
  const earliest = Math.max(window.start, now);
  const starts: number[] = [];
  let previous = -Infinity;
  for (let day = localDay(earliest, zone); day.start < window.end; day = localDay(day.end, zone)) {
    const { year, month, day: dayOfMonth } = instantToLocal(day.start, zone);
    for (let minute = 0; minute < 24 * 60; minute += step) {
      const start = localToInstant({ year, month, day: dayOfMonth, hour: 0, minute }, zone);
      if (start <= previous) continue;
      previous = start;
      const slot = { start, end: start + durationMinutes * MINUTE };
      if (start >= earliest && slot.end <= window.end && insideAll(slot, availabilities)) starts.push(start);
    }
  }
  return starts;
}

describe("properties", () => {
  it("[SR1] [SR2] every candidate the search considers is exactly one a brute-force search finds", () => {
    fc.assert(
      fc.property(scenario, (options) => {
        const all = searchSlots({ ...options, limit: 100_000 });
        expect(all.map((s) => s.start).sort((a, b) => a - b)).toEqual(bruteForce(options));
      }),
    );
  });

  it("[SR2] on every DST weekend tested, free days give exactly the brute-force starts", () => {
    // Lord Howe's clocks move by half an hour.
    for (const zone of [...ZONES, "Australia/Lord_Howe"]) {
      for (const base of BASES) {
        for (const stepMinutes of [15, 60]) {
          const options: SearchSlotsOptions = {
            availabilities: [{ timeZone: zone, free: [{ start: base, end: base + 3 * DAY }], preferredParts: [] }],
            durationMinutes: 45,
            stepMinutes,
            window: { start: base, end: base + 3 * DAY },
            now: base,
            limit: 100_000,
          };
          const starts = searchSlots(options).map((s) => s.start);
          expect(
            starts.sort((a, b) => a - b),
            `${zone} ${new Date(base).toISOString()} step ${stepMinutes}`,
          ).toEqual(bruteForce(options));
        }
      }
    }
  });

  it("[SR1] every slot lies inside a free interval of every participant, inside the window, after now", () => {
    fc.assert(
      fc.property(scenario, (options) => {
        for (const slot of searchSlots(options)) {
          expect(insideAll(slot, options.availabilities)).toBe(true);
          expect(slot.end - slot.start).toBe(options.durationMinutes * MINUTE);
          expect(slot.start).toBeGreaterThanOrEqual(Math.max(options.window.start, options.now));
          expect(slot.end).toBeLessThanOrEqual(options.window.end);
        }
      }),
    );
  });

  it("[SR2] starts are on the step grid of the organizer's local day", () => {
    fc.assert(
      fc.property(scenario, (options) => {
        for (const slot of searchSlots(options)) {
          const { hour, minute } = instantToLocal(slot.start, options.availabilities[0]!.timeZone);
          expect((hour * 60 + minute) % options.stepMinutes!).toBe(0);
        }
      }),
    );
  });

  it("[SR6] results are deterministic, at most limit, distinct and sorted by score then start", () => {
    fc.assert(
      fc.property(scenario, (options) => {
        const slots = searchSlots(options);
        expect(searchSlots(options)).toEqual(slots);
        expect(slots.length).toBeLessThanOrEqual(options.limit);
        expect(new Set(slots.map((s) => s.start)).size).toBe(slots.length);
        for (let i = 1; i < slots.length; i++) {
          const [a, b] = [slots[i - 1]!, slots[i]!];
          expect(a.score > b.score || (a.score === b.score && a.start < b.start)).toBe(true);
        }
      }),
    );
  });

  it("[SR6] picks are the full search's candidates with the same scores, spread so no day gets two more than another", () => {
    fc.assert(
      fc.property(scenario, (options) => {
        const all = searchSlots({ ...options, limit: 100_000 });
        const picked = searchSlots(options);
        const scores = new Map(all.map((s) => [s.start, s.score]));
        for (const slot of picked) expect(scores.get(slot.start)).toBe(slot.score);
        expect(picked.length).toBe(Math.min(options.limit, all.length));
        const zone = options.availabilities[0]!.timeZone;
        const dayOf = (s: Slot) => localDay(s.start, zone).start;
        const count = (slots: readonly Slot[]) => {
          const counts = new Map<number, number>();
          for (const s of slots) counts.set(dayOf(s), (counts.get(dayOf(s)) ?? 0) + 1);
          return counts;
        };
        const [available, taken] = [count(all), count(picked)];
        const most = Math.max(0, ...taken.values());
        for (const [day, n] of available) expect(taken.get(day) ?? 0).toBeGreaterThanOrEqual(Math.min(n, most - 1));
      }),
    );
  });

  it("[SR7] fitSlots returns exactly the candidates inside free time, in order", () => {
    const base = BASES[0]!;
    const candidates = fc.array(
      fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 60 })).map(([from, length]) => ({
        start: base + from * 5 * MINUTE,
        end: base + (from + length) * 5 * MINUTE,
      })),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(availability(base), candidates, (person, slots) => {
        const merged = mergeIntervals(person.free);
        expect(fitSlots(slots, person)).toEqual(
          slots.filter((s) => merged.some((f) => f.start <= s.start && s.end <= f.end)),
        );
      }),
    );
  });

  it("[SR9] intersectFree equals a brute-force minute-grid intersection", () => {
    const list = freeList(0, 8, 1).map((l) => l.map((i) => ({ start: i.start / MINUTE, end: i.end / MINUTE })));
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 5 }), (lists) => {
        const horizon = Math.max(0, ...lists.flat().map((i) => i.end));
        const grid: Interval[] = [];
        for (let m = 0; m < horizon; m++) {
          if (!lists.every((l) => l.some((i) => i.start <= m && m < i.end))) continue;
          const last = grid[grid.length - 1];
          if (last !== undefined && last.end === m) grid[grid.length - 1] = { start: last.start, end: m + 1 };
          else grid.push({ start: m, end: m + 1 });
        }
        expect(intersectFree(lists)).toEqual(grid);
      }),
    );
  });

  it("[SR8] pickBest returns the first candidate in every answer, and only such a slot", () => {
    const slot = fc.integer({ min: 0, max: 15 }).map((n) => ({ start: n * HOUR, end: n * HOUR + HOUR }));
    fc.assert(
      fc.property(
        fc.array(slot, { maxLength: 10 }),
        fc.array(fc.array(slot, { maxLength: 10 }), { maxLength: 4 }),
        (candidates, answers) => {
          const chosen = pickBest(candidates, answers);
          const inEvery = (s: Slot) => answers.every((a) => a.some((x) => x.start === s.start && x.end === s.end));
          expect(chosen).toBe(candidates.find(inEvery));
          if (chosen !== undefined) expect(candidates).toContain(chosen);
        },
      ),
    );
  });
});

/** `count` people in several zones, each free 07:00-22:00 local on `days` days with meetings scattered through it. */
function crowd(count: number, days: number, seed: number): { availabilities: Availability[]; window: Interval } {
  const prng = createPrng(seed);
  const zones = [LONDON, "Europe/Berlin", NY, "Europe/Lisbon", "America/Toronto", "Europe/Madrid", "Europe/Dublin"];
  const availabilities = Array.from({ length: count }, (_, i): Availability => {
    const zone = zones[i % zones.length]!;
    const free: Interval[] = [];
    for (let d = 0; d < days; d++) {
      let t = at(zone, 2026, 3, 2 + d, 7);
      const close = at(zone, 2026, 3, 2 + d, 22);
      while (t < close) {
        const end = Math.min(close, t + (15 + prng.int(12) * 15) * MINUTE);
        free.push({ start: t, end });
        t = end + (15 + prng.int(4) * 15) * MINUTE;
      }
    }
    return { timeZone: zone, free, preferredParts: [PARTS_OF_DAY[i % 3]!] };
  });
  return { availabilities, window: { start: london(2), end: london(2) + days * DAY } };
}
