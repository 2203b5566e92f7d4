import fc from "fast-check";
import * as rruleNamespace from "rrule";
import { describe, expect, it } from "vitest";
import { zoneOffsets } from "../../../../src/agent/scheduling/offsets";
import { canOccur, occurrences, parseRule, type ParsedRule } from "../../../../src/agent/availability/recurrence";
import { addLocalDays, DAY_MS, localToInstant, offsetAt } from "../../../../src/agent/scheduling/zoned";
import { HOUR, MINUTE } from "../support";

// The same loading trick as recurrence.ts: Node sees rrule's UMD bundle, Vite may see its ESM build.
const { RRule } =
  typeof rruleNamespace.RRule === "function"
    ? rruleNamespace
    : (Reflect.get(rruleNamespace, "default") as typeof rruleNamespace);

const parse = (value: string): ParsedRule => {
  const parsed = parseRule(value);
  if (!parsed.ok) throw new Error(`test: ${value}: ${parsed.error}`);
  return parsed.value;
};

const iso = (ms: number): string => new Date(ms).toISOString().replace(":00.000Z", "");
const floating = (isoText: string): number => Date.parse(`${isoText}Z`);

/**
 * What the plain library gives for `value` from floating `dtstart`, in [from, min(to, until)],
 * with RFC 5545's "DTSTART is always the first occurrence" added on top, as `occurrences` promises.
 */
function reference(value: string, dtstart: number, until: number | undefined, from: number, to: number): number[] {
  const { until: _ignored, ...options } = RRule.parseString(value);
  const end = Math.min(to, until ?? Infinity);
  const dt = new Date(dtstart);
  const first = new RRule({ ...options, dtstart: dt, count: 1 }).all()[0]?.getTime();
  const extra = first !== dtstart;
  const count = options.count === undefined || options.count === null ? null : options.count - (extra ? 1 : 0);
  const rule = new RRule({ ...options, dtstart: dt, count, until: new Date(end) });
  const dates = count === 0 ? [] : rule.between(new Date(from), new Date(end), true).map((d) => d.getTime());
  return extra && dtstart >= from && dtstart <= end ? [dtstart, ...dates] : dates;
}

describe("parseRule", () => {
  it.each([
    ["FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270101T000000Z", { freq: "WEEKLY", until: { kind: "utc" } }],
    ["RRULE:FREQ=DAILY;COUNT=5", { freq: "DAILY", count: 5 }],
    ["freq=daily;interval=2", { freq: "DAILY", interval: 2 }],
    ["FREQ=DAILY;UNTIL=20270101", { until: { kind: "date", value: Date.UTC(2027, 0, 1) } }],
    ["FREQ=DAILY;UNTIL=20270101T090000", { until: { kind: "floating", value: Date.UTC(2027, 0, 1, 9) } }],
    ["FREQ=MONTHLY;BYDAY=2TU", { freq: "MONTHLY", simple: undefined }],
    ["FREQ=WEEKLY;BYDAY=MO,TU;WKST=SU", { simple: { days: 0b110, weekStart: 0 } }],
  ])("[AV10] reads %s", (value, expected) => {
    expect(parse(value)).toMatchObject(expected);
  });

  it.each([
    ["BYDAY=MO", /FREQ/],
    ["FREQ=FORTNIGHTLY", /FREQ/],
    ["FREQ=DAILY;INTERVAL=0", /INTERVAL/],
    ["FREQ=DAILY;COUNT=0", /COUNT/],
    ["FREQ=DAILY;COUNT=3;UNTIL=20270101", /COUNT and UNTIL/],
    ["FREQ=DAILY;BYDAY=MO;BYDAY=TU", /twice/],
    ["FREQ=DAILY;FOO=1", /unknown part/],
    ["FREQ=DAILY;UNTIL=20270231", /UNTIL/],
    ["FREQ=HOURLY;BYHOUR=25", /BYHOUR/],
    ["FREQ=MONTHLY;BYMONTHDAY=0", /BYMONTHDAY/],
    ["FREQ=WEEKLY;BYDAY=XX", /BYDAY/],
    ["FREQ=WEEKLY;WKST=XX", /WKST/],
    ["FREQ=MONTHLY;BYWEEKNO=3", /BYWEEKNO/],
    ["FREQ=DAILY;BYYEARDAY=3", /BYYEARDAY/],
    ["FREQ=WEEKLY;BYMONTHDAY=3", /BYMONTHDAY/],
    ["FREQ=WEEKLY;BYDAY=2MO", /BYDAY with a number/],
    ["FREQ=MONTHLY;BYSETPOS=2", /BYSETPOS/],
  ])("[AV10] refuses %s", (value, message) => {
    const parsed = parseRule(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});

describe("occurrences", () => {
  const all = (value: string, dtstart: string, from: string, to: string, until?: number): string[] =>
    occurrences(parse(value), floating(dtstart), until, floating(from), floating(to), 1000).starts.map(iso);

  it("[AV10] DTSTART always counts, and COUNT includes it, even when the rule does not produce it", () => {
    // 1 January 2026 is a Thursday; the rule wants Mondays.
    expect(all("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2026-01-01T09:00", "2025-12-01T00:00", "2026-03-01T00:00")).toEqual([
      "2026-01-01T09:00",
      "2026-01-05T09:00",
      "2026-01-12T09:00",
    ]);
    expect(all("FREQ=MONTHLY;BYDAY=1MO;COUNT=2", "2026-01-01T09:00", "2025-12-01T00:00", "2026-06-01T00:00")).toEqual([
      "2026-01-01T09:00",
      "2026-01-05T09:00",
    ]);
    // rrule alone leaves the Thursday out.
    const plain = new RRule({
      ...RRule.parseString("FREQ=WEEKLY;BYDAY=MO;COUNT=3"),
      dtstart: new Date(floating("2026-01-01T09:00")),
    });
    expect(plain.all().map((d) => iso(d.getTime()))).toEqual([
      "2026-01-05T09:00",
      "2026-01-12T09:00",
      "2026-01-19T09:00",
    ]);
  });

  it("[AV10] a BYDAY mixing plain and numbered days means either, as RFC 5545 says (rrule alone gives nothing)", () => {
    // Every Monday and the second Tuesday of each month; January 2026 starts on a Thursday.
    expect(all("FREQ=MONTHLY;BYDAY=MO,2TU", "2026-01-05T09:00", "2026-01-01T00:00", "2026-02-01T00:00")).toEqual([
      "2026-01-05T09:00",
      "2026-01-12T09:00",
      "2026-01-13T09:00",
      "2026-01-19T09:00",
      "2026-01-26T09:00",
    ]);
    const plain = new RRule({
      ...RRule.parseString("FREQ=MONTHLY;BYDAY=MO,2TU;COUNT=3"),
      dtstart: new Date(floating("2026-01-05T09:00")),
    });
    expect(plain.all()).toEqual([]);
  });

  it("[AV10] COUNT counts occurrences before the range too", () => {
    expect(all("FREQ=DAILY;COUNT=10", "2026-01-01T09:00", "2026-01-08T00:00", "2026-02-01T00:00")).toEqual([
      "2026-01-08T09:00",
      "2026-01-09T09:00",
      "2026-01-10T09:00",
    ]);
    expect(
      all("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4", "2026-01-31T09:00", "2026-03-01T00:00", "2027-01-01T00:00"),
    ).toEqual(["2026-03-31T09:00", "2026-04-30T09:00"]);
  });

  it("[AV10] UNTIL is inclusive", () => {
    expect(
      all("FREQ=DAILY", "2026-01-01T09:00", "2026-01-01T00:00", "2026-02-01T00:00", floating("2026-01-03T09:00")),
    ).toEqual(["2026-01-01T09:00", "2026-01-02T09:00", "2026-01-03T09:00"]);
  });

  it("[AV11] a series denser than the cap reports it", () => {
    const found = occurrences(parse("FREQ=MINUTELY;INTERVAL=5"), 0, undefined, 0, DAY_MS, 100);
    expect(found.starts).toHaveLength(100);
    expect(found.capped).toBe(true);
    const exact = occurrences(parse("FREQ=HOURLY"), 0, undefined, 0, 99 * HOUR, 100);
    expect(exact.starts).toHaveLength(100);
    expect(exact.capped).toBe(false);
  });

  it.each([
    // rrule would look for these until the year 9999 (seconds to minutes) or, for the first, loop forever.
    ["FREQ=HOURLY;INTERVAL=6;BYHOUR=3", "2026-01-01T00:00"],
    ["FREQ=MINUTELY;INTERVAL=30;BYMINUTE=15", "2026-01-01T00:00"],
    ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01T09:00"],
    ["FREQ=MINUTELY;BYMONTH=4,6;BYMONTHDAY=31", "2026-01-01T09:00"],
    ["FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "2026-01-01T09:00"],
    ["FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1,2,3", "2026-01-01T09:00"],
    ["FREQ=MONTHLY;BYMONTH=2", "2026-01-31T09:00"],
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01T09:00"],
  ])("[AV11] %s never matches: the series is DTSTART alone, found at once", (value, dtstart) => {
    const rule = parse(value);
    expect(canOccur(rule, floating(dtstart))).toBe(false);
    const started = performance.now();
    const found = occurrences(
      rule,
      floating(dtstart),
      undefined,
      floating("2025-12-01T00:00"),
      floating("2027-01-01T00:00"),
      1000,
    );
    expect(found.starts.map(iso)).toEqual([dtstart]);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it.each([
    ["FREQ=HOURLY;INTERVAL=6;BYHOUR=3", "2026-01-01T03:00"],
    ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29", "2026-01-01T09:00"],
    ["FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5", "2026-01-01T09:00"],
    ["FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "2026-01-01T09:00"],
  ])("[AV11] %s from %s can match, however rarely", (value, dtstart) => {
    expect(canOccur(parse(value), floating(dtstart))).toBe(true);
  });

  it("[AV11] a series starting years ago costs no more than one starting this week", () => {
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      occurrences(
        parse("FREQ=MONTHLY;BYDAY=2TU"),
        floating("2006-03-14T09:00"),
        undefined,
        floating("2026-03-01T00:00"),
        floating("2026-06-01T00:00"),
        1000,
      );
      occurrences(
        parse("FREQ=DAILY"),
        floating("2006-03-14T09:00"),
        undefined,
        floating("2026-03-01T00:00"),
        floating("2026-06-01T00:00"),
        1000,
      );
    }
    // Twenty years of months and days from DTSTART through rrule would take seconds here.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
  const bydays = fc
    .subarray([...WEEKDAYS], { minLength: 0 })
    .map((days) => (days.length > 0 ? `;BYDAY=${days.join(",")}` : ""));
  const ends = fc.oneof(
    fc.constant(""),
    fc.integer({ min: 1, max: 60 }).map((n) => `;COUNT=${n}`),
    fc.integer({ min: 0, max: 400 }).map((days) => {
      const until = new Date(Date.UTC(2025, 11, 1) + days * DAY_MS);
      return `;UNTIL=${until.toISOString().slice(0, 10).replaceAll("-", "")}T235959`;
    }),
  );
  // Floating times from 2023 to 2027, on the minute.
  const instants = fc.integer({ min: 0, max: 4 * 365 * 24 * 60 }).map((m) => Date.UTC(2023, 0, 1) + m * MINUTE);

  it("[AV11] daily and weekly rules by arithmetic equal rrule's", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("DAILY", "WEEKLY"),
        fc.integer({ min: 1, max: 5 }),
        bydays,
        fc.constantFrom("", ";WKST=SU", ";WKST=WE"),
        ends,
        instants,
        instants,
        fc.integer({ min: 1, max: 120 }),
        (freq, interval, byday, wkst, end, dtstart, from, days) => {
          const value = `FREQ=${freq};INTERVAL=${interval}${byday}${wkst}${end}`;
          const rule = parse(value);
          expect(rule.simple).toBeDefined();
          const until = rule.until === undefined ? undefined : rule.until.value;
          const to = from + days * DAY_MS;
          expect(occurrences(rule, dtstart, until, from, to, 10_000).starts).toEqual(
            reference(value, dtstart, until, from, to),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  it("[AV11] other rules through rrule, started near the range, equal rrule's from DTSTART", () => {
    const part = <T>(name: string, values: fc.Arbitrary<T[]>): fc.Arbitrary<string> =>
      fc
        .option(values, { nil: undefined })
        .map((v) => (v === undefined || v.length === 0 ? "" : `;${name}=${v.join(",")}`));
    fc.assert(
      fc.property(
        fc.constantFrom("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"),
        fc.integer({ min: 1, max: 4 }),
        part("BYMONTH", fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 3 })),
        part(
          "BYMONTHDAY",
          fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 28 }), fc.integer({ min: -3, max: -1 })), { maxLength: 2 }),
        ),
        part(
          "BYDAY",
          fc.uniqueArray(
            fc.tuple(fc.constantFrom("", "1", "2", "-1"), fc.constantFrom(...WEEKDAYS)).map(([n, d]) => `${n}${d}`),
            { maxLength: 2, selector: (s) => s.slice(-2) },
          ),
        ),
        part("BYHOUR", fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { maxLength: 2 })),
        part("BYSETPOS", fc.uniqueArray(fc.constantFrom(1, 2, -1), { maxLength: 1 })),
        fc.constantFrom("", ";WKST=SU"),
        ends,
        instants,
        fc.integer({ min: 0, max: 3 * 365 * 24 * 60 }),
        fc.integer({ min: 1, max: 60 }),
        (freq, interval, bymonth, bymonthday, byday, byhour, bysetpos, wkst, end, from, before, days) => {
          const value = `FREQ=${freq};INTERVAL=${interval}${bymonth}${bymonthday}${byday}${byhour}${bysetpos}${wkst}${end}`;
          const parsed = parseRule(value);
          if (!parsed.ok) return;
          // A BYDAY mixing plain and numbered days is where rrule disagrees with RFC 5545; tested above.
          const weekdays = byday.replace(";BYDAY=", "").split(",");
          if (weekdays.some((d) => /\d/.test(d)) && weekdays.some((d) => !/\d/.test(d))) return;
          // The reference runs rrule from DTSTART, hour by hour for HOURLY: keep those starts near.
          const dtstart = from - (freq === "HOURLY" ? before % (20 * 24 * 60) : before) * MINUTE;
          // Rules that never match would send the reference to the year 9999; they have their own tests.
          if (!canOccur(parsed.value, dtstart)) return;
          const until = parsed.value.until?.value;
          const to = from + days * DAY_MS;
          expect(occurrences(parsed.value, dtstart, until, from, to, 100_000).starts.map(iso)).toEqual(
            reference(value, dtstart, until, from, to).map(iso),
          );
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});

describe("zone offsets", () => {
  const ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Santiago",
    "Africa/Casablanca",
    "UTC",
  ];

  it("[SC1] the cached offsets equal offsetAt to the millisecond", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (zone, ms) => {
          expect(zoneOffsets(zone).offsetAt(ms)).toBe(offsetAt(ms, zone));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("[SC2] [SC3] the cached toInstant equals localToInstant, gaps and overlaps included", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 6 * 365 * 96 }).map((q) => Date.UTC(2024, 0, 1) + q * 15 * MINUTE),
        (zone, wall) => {
          const d = new Date(wall);
          const fields = {
            year: d.getUTCFullYear(),
            month: d.getUTCMonth() + 1,
            day: d.getUTCDate(),
            hour: d.getUTCHours(),
            minute: d.getUTCMinutes(),
          };
          expect(zoneOffsets(zone).toInstant(wall)).toBe(localToInstant(fields, zone));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("[SC4] the cached addLocalDays equals addLocalDays", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        fc.integer({ min: -400, max: 400 }),
        (zone, ms, days) => {
          expect(zoneOffsets(zone).addLocalDays(ms, days)).toBe(addLocalDays(ms, days, zone));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("[SC2] [SC3] every offset change in a range is found, in order", () => {
    const changes: string[] = [];
    zoneOffsets("Europe/London").changesBetween(Date.UTC(2025, 11, 1), Date.UTC(2027, 11, 1), (at, offset) =>
      changes.push(`${new Date(at).toISOString()} ${offset / HOUR}`),
    );
    expect(changes).toEqual([
      "2026-03-29T01:00:00.000Z 1",
      "2026-10-25T01:00:00.000Z 0",
      "2027-03-28T01:00:00.000Z 1",
      "2027-10-31T01:00:00.000Z 0",
    ]);
  });
});
