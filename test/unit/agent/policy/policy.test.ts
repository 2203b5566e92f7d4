import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_PREFERENCES, WEEKDAYS } from "../../../../src/agent/availability/preferences";
import type { MinuteRange, Preferences, Weekday } from "../../../../src/agent/availability/types";
import {
  autoAcceptableSlots,
  DEFAULT_CONTACT_POLICY,
  describePolicy,
  parseContactPolicy,
  slotWithinWorkingHours,
  type ContactPolicy,
  type PolicyFacts,
} from "../../../../src/agent/policy";
import { instantToLocal } from "../../../../src/agent/scheduling/zoned";
import type { Slot } from "../../../../src/protocol/messages/schema";
import { at, MINUTE } from "../support";

const LONDON = "Europe/London";
const NY = "America/New_York";
const TOKYO = "Asia/Tokyo";
const LA = "America/Los_Angeles";

/** The default policy switched on: 30 minutes, Tue–Thu, working hours, verified contacts only. */
const ON: ContactPolicy = { ...DEFAULT_CONTACT_POLICY, autoAccept: true };
/** Any day, any hour, any contact: only the rule under test is left on. */
const OPEN: ContactPolicy = {
  ...ON,
  maxMinutes: 480,
  weekdays: WEEKDAYS,
  withinWorkingHours: false,
  verifiedOnly: false,
};
const facts = (timeZone = LONDON, verified = true): PolicyFacts => ({
  verified,
  preferences: DEFAULT_PREFERENCES(timeZone),
});
const slot = (start: number, minutes = 30): Slot => ({ start, end: start + minutes * MINUTE });
const accepts = (policy: ContactPolicy, s: Slot, f = facts(), minutes = (s.end - s.start) / MINUTE): boolean =>
  autoAcceptableSlots(policy, minutes, [s], f).length === 1;

/** Wednesday 18 November 2026, 10:00 in London (GMT): inside every default. */
const WEDNESDAY_10 = at(LONDON, 2026, 11, 18, 10);

const issuesOf = (value: unknown): string[] => {
  const parsed = parseContactPolicy(value);
  if (parsed.ok) throw new Error("test: expected an invalid policy");
  expect(parsed.error.code).toBe("invalid");
  return parsed.error.issues;
};

describe("the default policy", () => {
  it("[PO1] never accepts on its own; switched on it means 30 minutes, Tue–Thu, working hours, verified, slots", () => {
    expect(DEFAULT_CONTACT_POLICY).toEqual({
      autoAccept: false,
      maxMinutes: 30,
      weekdays: [2, 3, 4],
      withinWorkingHours: true,
      verifiedOnly: true,
      disclose: "slots",
    });
    expect(autoAcceptableSlots(DEFAULT_CONTACT_POLICY, 30, [slot(WEDNESDAY_10)], facts())).toEqual([]);
    expect(autoAcceptableSlots(ON, 30, [slot(WEDNESDAY_10)], facts())).toEqual([slot(WEDNESDAY_10)]);
  });
});

describe("parseContactPolicy", () => {
  it("[PO2] fills missing fields from the defaults, keeps those given and sorts the weekdays", () => {
    expect(parseContactPolicy({})).toEqual({ ok: true, value: DEFAULT_CONTACT_POLICY });
    expect(parseContactPolicy(DEFAULT_CONTACT_POLICY)).toEqual({ ok: true, value: DEFAULT_CONTACT_POLICY });
    expect(
      parseContactPolicy({
        autoAccept: true,
        maxMinutes: 480,
        weekdays: [6, 0, 3],
        withinWorkingHours: false,
        verifiedOnly: false,
        disclose: "answers-only",
      }),
    ).toEqual({
      ok: true,
      value: {
        autoAccept: true,
        maxMinutes: 480,
        weekdays: [0, 3, 6],
        withinWorkingHours: false,
        verifiedOnly: false,
        disclose: "answers-only",
      },
    });
    expect(parseContactPolicy({ maxMinutes: 5, weekdays: [] })).toEqual({
      ok: true,
      value: { ...DEFAULT_CONTACT_POLICY, maxMinutes: 5, weekdays: [] },
    });
  });

  it.each<[string, unknown, string]>([
    ["null", null, "policy must be an object"],
    ["a list", [], "policy must be an object"],
    ["a string", '{"autoAccept":true}', "policy must be an object"],
    ["a string for a flag", { autoAccept: "yes" }, "autoAccept must be true or false"],
    ["a number for a flag", { verifiedOnly: 1 }, "verifiedOnly must be true or false"],
    ["null for a flag", { withinWorkingHours: null }, "withinWorkingHours must be true or false"],
    ["a length below 5", { maxMinutes: 4 }, "maxMinutes must be a whole number of minutes 5..480"],
    ["a length above 480", { maxMinutes: 481 }, "maxMinutes must be a whole number of minutes 5..480"],
    ["a fractional length", { maxMinutes: 30.5 }, "maxMinutes must be a whole number of minutes 5..480"],
    ["a length as text", { maxMinutes: "30" }, "maxMinutes must be a whole number of minutes 5..480"],
    ["a NaN length", { maxMinutes: Number.NaN }, "maxMinutes must be a whole number of minutes 5..480"],
    ["weekdays as text", { weekdays: "tue" }, "weekdays must be a list of weekdays"],
    ["weekday 7", { weekdays: [2, 7] }, "weekdays[1] must be a weekday 0 (Sunday)..6 (Saturday)"],
    ["weekday -1", { weekdays: [-1] }, "weekdays[0] must be a weekday 0 (Sunday)..6 (Saturday)"],
    ["a weekday as text", { weekdays: ["2"] }, "weekdays[0] must be a weekday 0 (Sunday)..6 (Saturday)"],
    ["a repeated weekday", { weekdays: [2, 3, 2] }, "weekdays[2] repeats 2"],
    ["an unknown disclosure", { disclose: "everything" }, "disclose must be one of slots, answers-only"],
    ["an unknown field", { autoaccept: true }, "unknown fields: autoaccept"],
    ["a __proto__ key", JSON.parse('{"__proto__": {"autoAccept": true}}'), "unknown fields: __proto__"],
  ])("[PO2] refuses %s", (_name, value, issue) => {
    expect(issuesOf(value)).toEqual([issue]);
  });

  it("[PO2] lists every problem, one line per field", () => {
    const issues = issuesOf({ autoAccept: 1, maxMinutes: 0, weekdays: [9, 3, 3], disclose: "all", extra: true });
    expect(issues).toEqual([
      "autoAccept must be true or false",
      "maxMinutes must be a whole number of minutes 5..480",
      "weekdays[0] must be a weekday 0 (Sunday)..6 (Saturday)",
      "weekdays[2] repeats 3",
      "disclose must be one of slots, answers-only",
      "unknown fields: extra",
    ]);
  });
});

describe("autoAcceptableSlots", () => {
  it.each<[string, ContactPolicy, boolean, boolean]>([
    ["auto-accept off, verified", { ...OPEN, autoAccept: false }, true, false],
    ["auto-accept off, not verified", { ...OPEN, autoAccept: false }, false, false],
    ["verified only, verified", { ...OPEN, verifiedOnly: true }, true, true],
    ["verified only, not verified", { ...OPEN, verifiedOnly: true }, false, false],
    ["any contact, not verified", OPEN, false, true],
  ])("[PO3] %s", (_name, policy, verified, expected) => {
    expect(accepts(policy, slot(WEDNESDAY_10), facts(LONDON, verified))).toBe(expected);
  });

  it.each<[string, number, Slot, boolean]>([
    ["stated and lasting the cap", 30, slot(WEDNESDAY_10, 30), true],
    ["shorter than the cap", 15, slot(WEDNESDAY_10, 15), true],
    ["stated over the cap", 31, slot(WEDNESDAY_10, 30), false],
    ["lasting over the cap though stated within it", 30, slot(WEDNESDAY_10, 45), false],
    ["stated as 0 minutes", 0, slot(WEDNESDAY_10, 30), false],
    ["stated as NaN", Number.NaN, slot(WEDNESDAY_10, 30), false],
    ["ending before it starts", 30, { start: WEDNESDAY_10, end: WEDNESDAY_10 - 30 * MINUTE }, false],
    ["ending as it starts", 30, { start: WEDNESDAY_10, end: WEDNESDAY_10 }, false],
  ])("[PO4] a 30-minute cap: %s", (_name, minutes, s, expected) => {
    expect(accepts({ ...OPEN, maxMinutes: 30 }, s, facts(), minutes)).toBe(expected);
  });

  it.each<[string, string, readonly Weekday[], Slot, boolean]>([
    ["London, a Wednesday on Tue–Thu", LONDON, [2, 3, 4], slot(WEDNESDAY_10), true],
    ["London, a Monday on Tue–Thu", LONDON, [2, 3, 4], slot(at(LONDON, 2026, 11, 16, 10)), false],
    // Tuesday 23:30 UTC is already Wednesday 08:30 in Tokyo.
    ["Tokyo, Tue 23:30 UTC on Wednesdays", TOKYO, [3], slot(Date.UTC(2026, 10, 17, 23, 30)), true],
    ["Tokyo, Tue 23:30 UTC on Tuesdays", TOKYO, [2], slot(Date.UTC(2026, 10, 17, 23, 30)), false],
    // Wednesday 06:00 UTC is still Tuesday 22:00 in Los Angeles.
    ["Los Angeles, Wed 06:00 UTC on Wednesdays", LA, [3], slot(Date.UTC(2026, 10, 18, 6)), false],
    ["Los Angeles, Wed 06:00 UTC on Tuesdays", LA, [2], slot(Date.UTC(2026, 10, 18, 6)), true],
    ["Tokyo, across local midnight on Tuesdays", TOKYO, [2], slot(at(TOKYO, 2026, 11, 17, 23, 45)), false],
    ["Tokyo, across local midnight on Tue–Wed", TOKYO, [2, 3], slot(at(TOKYO, 2026, 11, 17, 23, 45)), true],
    ["Tokyo, ending at local midnight on Tuesdays", TOKYO, [2], slot(at(TOKYO, 2026, 11, 17, 23, 30)), true],
  ])("[PO5] weekdays in the owner's zone: %s", (_name, zone, weekdays, s, expected) => {
    expect(accepts({ ...OPEN, weekdays }, s, facts(zone))).toBe(expected);
  });

  it("[PO6] with working hours only inside them; without, at any hour", () => {
    const early = slot(at(LONDON, 2026, 11, 18, 8));
    expect(accepts({ ...OPEN, withinWorkingHours: true }, early)).toBe(false);
    expect(accepts({ ...OPEN, withinWorkingHours: true }, slot(WEDNESDAY_10))).toBe(true);
    expect(accepts(OPEN, early)).toBe(true);
  });

  it("[PO7] returns the passing slots as bare slots, in the given order", () => {
    const thursday = { ...slot(at(LONDON, 2026, 11, 19, 14)), note: "ignored" };
    const monday = slot(at(LONDON, 2026, 11, 16, 10));
    const wednesday = slot(WEDNESDAY_10);
    expect(autoAcceptableSlots(ON, 30, [thursday, monday, wednesday], facts())).toEqual([
      slot(at(LONDON, 2026, 11, 19, 14)),
      wednesday,
    ]);
  });
});

const hours = (ranges: Partial<Record<Weekday, readonly MinuteRange[]>>): Preferences["workingHours"] => ({
  0: [],
  1: [],
  2: [],
  3: [],
  4: [],
  5: [],
  6: [],
  ...ranges,
});
const range = (startMinute: number, endMinute: number): MinuteRange => ({ startMinute, endMinute });

describe("slotWithinWorkingHours", () => {
  const london = DEFAULT_PREFERENCES(LONDON);
  const sundays = (zone: string, ...ranges: MinuteRange[]): Preferences => ({
    ...DEFAULT_PREFERENCES(zone),
    workingHours: hours({ 0: ranges }),
  });
  const allDay = { ...london, workingHours: hours({ 0: [range(0, 1440)], 1: [range(0, 1440)] }) };
  const split = { ...london, workingHours: hours({ 3: [range(540, 720), range(720, 1020)] }) };

  it.each<[string, Preferences, Slot, boolean]>([
    ["09:00–09:30", london, slot(at(LONDON, 2026, 11, 18, 9)), true],
    ["16:30–17:00", london, slot(at(LONDON, 2026, 11, 18, 16, 30)), true],
    ["08:30–09:00", london, slot(at(LONDON, 2026, 11, 18, 8, 30)), false],
    ["16:45–17:15", london, slot(at(LONDON, 2026, 11, 18, 16, 45)), false],
    ["a Saturday", london, slot(at(LONDON, 2026, 11, 21, 10)), false],
    ["11:30–12:30 across touching ranges", split, slot(at(LONDON, 2026, 11, 18, 11, 30), 60), true],
    ["23:30 to local midnight", allDay, slot(at(LONDON, 2026, 11, 15, 23, 30)), true],
    ["23:45 past local midnight", allDay, slot(at(LONDON, 2026, 11, 15, 23, 45)), false],
  ])("[PO6] London 09:00–17:00: %s", (_name, preferences, s, expected) => {
    expect(slotWithinWorkingHours(preferences, s)).toBe(expected);
  });

  it.each<[string, Preferences, Slot, boolean]>([
    // The same UTC time is 08:30 GMT before London's spring change and 09:30 BST after it.
    ["08:30 UTC the Wednesday before the change", london, slot(Date.UTC(2026, 2, 25, 8, 30)), false],
    ["08:30 UTC the Wednesday after the change", london, slot(Date.UTC(2026, 3, 1, 8, 30)), true],
    // New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT, so 01:30 EST plus an hour reads 03:30, not 02:30.
    ["01:30 EST + 1 h, hours 01:00–02:45", sundays(NY, range(60, 165)), slot(Date.UTC(2026, 2, 8, 6, 30), 60), false],
    ["01:30 EST + 1 h, hours 01:00–04:00", sundays(NY, range(60, 240)), slot(Date.UTC(2026, 2, 8, 6, 30), 60), true],
    [
      "01:30 EST up to the jump, hours 01:00–02:00",
      sundays(NY, range(60, 120)),
      slot(Date.UTC(2026, 2, 8, 6, 30)),
      true,
    ],
    // London, 25 October 2026: 02:00 BST falls back to 01:00 GMT, so 01:30 BST plus an hour passes 01:59 BST.
    [
      "01:30 BST + 1 h, hours 00:00–01:45",
      sundays(LONDON, range(0, 105)),
      slot(Date.UTC(2026, 9, 25, 0, 30), 60),
      false,
    ],
    [
      "01:30 BST + 1 h, hours 00:00–02:00",
      sundays(LONDON, range(0, 120)),
      slot(Date.UTC(2026, 9, 25, 0, 30), 60),
      true,
    ],
    ["the repeated 01:00 GMT, hours 00:00–01:45", sundays(LONDON, range(0, 105)), slot(Date.UTC(2026, 9, 25, 1)), true],
  ])("[PO6] across a DST change: %s", (_name, preferences, s, expected) => {
    expect(slotWithinWorkingHours(preferences, s)).toBe(expected);
  });
});

describe("describePolicy", () => {
  it.each<[ContactPolicy, string]>([
    [DEFAULT_CONTACT_POLICY, "Asks you about every request."],
    [{ ...ON, weekdays: [] }, "Asks you about every request."],
    [
      ON,
      "Accepts on its own meetings up to 30 minutes on Tue, Wed, Thu within your working hours, only while the contact is verified; may suggest other free times.",
    ],
    [
      { ...OPEN, maxMinutes: 90, disclose: "answers-only" },
      "Accepts on its own meetings up to 90 minutes on any day; otherwise only says yes or no to the times proposed.",
    ],
    [
      { ...ON, weekdays: [0, 1], verifiedOnly: false },
      "Accepts on its own meetings up to 30 minutes on Mon, Sun within your working hours; may suggest other free times.",
    ],
  ])("[PO8] %j", (policy, sentence) => {
    expect(describePolicy(policy)).toBe(sentence);
  });
});

/** Property scenarios: quarter-hour slots and working hours a day either side of 2026's DST changes, in six zones. */
const SCENES: readonly (readonly [string, number])[] = [
  [LONDON, Date.UTC(2026, 2, 29, 1)],
  [LONDON, Date.UTC(2026, 9, 25, 1)],
  [NY, Date.UTC(2026, 2, 8, 7)],
  [NY, Date.UTC(2026, 10, 1, 6)],
  [LA, Date.UTC(2026, 2, 8, 10)],
  [LA, Date.UTC(2026, 10, 1, 9)],
  // Lord Howe moves by 30 minutes, at 02:00 local.
  ["Australia/Lord_Howe", Date.UTC(2026, 3, 4, 15)],
  ["Australia/Lord_Howe", Date.UTC(2026, 9, 3, 15, 30)],
  [TOKYO, Date.UTC(2026, 10, 17, 15)],
  ["Asia/Kathmandu", Date.UTC(2026, 10, 17, 18, 15)],
];
const QUARTER = 15 * MINUTE;
/** Slot starts a day either side of the scene's instant, often in the four hours before it, so as to cross it. */
const fromSceneArb = fc.oneof(fc.integer({ min: -96, max: 96 }), fc.integer({ min: -16, max: -1 }));

// Quarter hours of the day, often in its first four hours, where the DST changes are.
const quarterArb = fc.oneof(fc.integer({ min: 0, max: 96 }), fc.integer({ min: 0, max: 16 }));
const rangesArb = fc.uniqueArray(quarterArb, { minLength: 2, maxLength: 4 }).map((quarters) => {
  const sorted = [...quarters].sort((a, b) => a - b);
  const ranges: MinuteRange[] = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push(range(sorted[i]! * 15, sorted[i + 1]! * 15));
  return ranges;
});
// Biased towards policies that accept something, so the rules are exercised rather than short-circuited.
const policyArb = fc.record({
  autoAccept: fc.constantFrom(true, true, true, false),
  maxMinutes: fc.oneof(fc.integer({ min: 5, max: 480 }), fc.constant(480)),
  weekdays: fc.oneof(fc.constant(WEEKDAYS), fc.subarray([...WEEKDAYS])),
  withinWorkingHours: fc.boolean(),
  verifiedOnly: fc.boolean(),
  disclose: fc.constantFrom("slots" as const, "answers-only" as const),
});

/**
 * The rules again, independently: every quarter hour of the slot (offsets only change on quarter hours in these
 * zones) is read through `instantToLocal` and must fall on an allowed day, on the slot's first local date and, when
 * asked, inside a working-hours range.
 */
function passesEveryRule(policy: ContactPolicy, minutes: number, s: Slot, f: PolicyFacts): boolean {
  if (!policy.autoAccept || (policy.verifiedOnly && !f.verified)) return false;
  if (!(minutes > 0 && minutes <= policy.maxMinutes) || s.end - s.start > policy.maxMinutes * MINUTE) return false;
  const { timeZone, workingHours } = f.preferences;
  const first = instantToLocal(s.start, timeZone);
  for (let t = s.start; t < s.end; t += QUARTER) {
    const local = instantToLocal(t, timeZone);
    if (!policy.weekdays.some((d) => d === local.weekday)) return false;
    if (!policy.withinWorkingHours) continue;
    if (local.year !== first.year || local.month !== first.month || local.day !== first.day) return false;
    const minute = local.hour * 60 + local.minute;
    const day = WEEKDAYS[local.weekday]!;
    if (!workingHours[day].some((r) => minute >= r.startMinute && minute + 15 <= r.endMinute)) return false;
  }
  return true;
}

describe("autoAcceptableSlots, property", () => {
  it("[PO7] returns, in order, exactly the input's slots that pass every enabled rule", () => {
    fc.assert(
      fc.property(
        fc.record({
          policy: policyArb,
          scene: fc.constantFrom(...SCENES),
          hours: fc.tuple(rangesArb, rangesArb, rangesArb, rangesArb, rangesArb, rangesArb, rangesArb),
          verified: fc.constantFrom(true, true, true, false),
          minutes: fc.oneof(fc.integer({ min: 0, max: 500 }), fc.constant(15)),
          slots: fc.array(fc.record({ quarter: fromSceneArb, quarters: fc.integer({ min: 1, max: 36 }) }), {
            maxLength: 8,
          }),
        }),
        (s) => {
          const [sun, mon, tue, wed, thu, fri, sat] = s.hours;
          const workingHours = { 0: sun, 1: mon, 2: tue, 3: wed, 4: thu, 5: fri, 6: sat };
          const [zone, anchor] = s.scene;
          const preferences: Preferences = { ...DEFAULT_PREFERENCES(zone), workingHours };
          const f: PolicyFacts = { verified: s.verified, preferences };
          const input = s.slots.map(({ quarter, quarters }) => ({
            start: anchor + quarter * QUARTER,
            end: anchor + (quarter + quarters) * QUARTER,
          }));
          const result = autoAcceptableSlots(s.policy, s.minutes, input, f);
          expect(result).toEqual(input.filter((x) => passesEveryRule(s.policy, s.minutes, x, f)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("[PO7] with generous rules, it keeps the slots that fit and only those", () => {
    const policy: ContactPolicy = { ...OPEN, withinWorkingHours: true };
    const morning = slot(at(LONDON, 2026, 11, 18, 9), 60);
    const evening = slot(at(LONDON, 2026, 11, 18, 18), 60);
    expect(autoAcceptableSlots(policy, 60, [evening, morning, morning], facts())).toEqual([morning, morning]);
  });
});
