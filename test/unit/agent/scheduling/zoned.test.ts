import { describe, expect, it } from "vitest";
import {
  addLocalDays,
  instantToLocal,
  isValidTimeZone,
  localDay,
  localToInstant,
  offsetAt,
  startOfLocalDay,
} from "../../../../src/agent/scheduling/zoned";
import { HOUR, MINUTE } from "../support";

const NY = "America/New_York";
const LONDON = "Europe/London";
const KATHMANDU = "Asia/Kathmandu";
const utc = (iso: string): number => Date.parse(iso);

describe("zoned time", () => {
  it.each([
    [NY, "2026-03-08T06:59:00Z", { year: 2026, month: 3, day: 8, hour: 1, minute: 59, weekday: 0 }],
    [NY, "2026-03-08T07:00:00Z", { year: 2026, month: 3, day: 8, hour: 3, minute: 0, weekday: 0 }],
    [NY, "2026-11-01T05:30:00Z", { year: 2026, month: 11, day: 1, hour: 1, minute: 30, weekday: 0 }],
    [NY, "2026-11-01T06:30:00Z", { year: 2026, month: 11, day: 1, hour: 1, minute: 30, weekday: 0 }],
    [LONDON, "2026-03-29T00:59:00Z", { year: 2026, month: 3, day: 29, hour: 0, minute: 59, weekday: 0 }],
    [LONDON, "2026-03-29T01:00:00Z", { year: 2026, month: 3, day: 29, hour: 2, minute: 0, weekday: 0 }],
    [LONDON, "2026-10-25T00:30:00Z", { year: 2026, month: 10, day: 25, hour: 1, minute: 30, weekday: 0 }],
    [LONDON, "2026-10-25T01:30:00Z", { year: 2026, month: 10, day: 25, hour: 1, minute: 30, weekday: 0 }],
    [KATHMANDU, "2026-01-01T00:00:00Z", { year: 2026, month: 1, day: 1, hour: 5, minute: 45, weekday: 4 }],
    [KATHMANDU, "2025-12-31T18:14:00Z", { year: 2025, month: 12, day: 31, hour: 23, minute: 59, weekday: 3 }],
  ])("[SC1] instantToLocal in %s at %s", (zone, iso, local) => {
    expect(instantToLocal(utc(iso), zone)).toEqual(local);
  });

  it.each([
    [NY, { year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, "2026-03-08T07:30:00Z"], // 03:30 EDT
    [NY, { year: 2026, month: 3, day: 8, hour: 2, minute: 0 }, "2026-03-08T07:00:00Z"], // 03:00 EDT
    [LONDON, { year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, "2026-03-29T01:30:00Z"], // 02:30 BST
  ])("[SC2] a nonexistent %s time moves forward by the gap", (zone, local, iso) => {
    expect(localToInstant(local, zone)).toBe(utc(iso));
  });

  it.each([
    [NY, { year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, "2026-11-01T05:30:00Z"], // EDT, not EST
    [LONDON, { year: 2026, month: 10, day: 25, hour: 1, minute: 30 }, "2026-10-25T00:30:00Z"], // BST, not GMT
  ])("[SC3] an ambiguous %s time is its first occurrence", (zone, local, iso) => {
    expect(localToInstant(local, zone)).toBe(utc(iso));
  });

  it.each([
    [NY, { year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, "2026-07-01T13:00:00Z"],
    [NY, { year: 2026, month: 1, day: 15, hour: 9, minute: 0 }, "2026-01-15T14:00:00Z"],
    [LONDON, { year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, "2026-07-01T08:00:00Z"],
    [KATHMANDU, { year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, "2026-07-01T03:15:00Z"],
    // Fields overflow like Date.UTC: 32 December is 1 January.
    [LONDON, { year: 2026, month: 12, day: 32, hour: 0, minute: 90 }, "2027-01-01T01:30:00Z"],
  ])("[SC1] localToInstant in %s for %o", (zone, local, iso) => {
    expect(localToInstant(local, zone)).toBe(utc(iso));
  });

  it("[SC1] Kathmandu is +05:45 all year", () => {
    expect(offsetAt(utc("2026-01-01T00:00:00Z"), KATHMANDU)).toBe(5 * HOUR + 45 * MINUTE);
    expect(offsetAt(utc("2026-07-01T00:00:00Z"), KATHMANDU)).toBe(5 * HOUR + 45 * MINUTE);
  });

  it.each([NY, LONDON, KATHMANDU])(
    "[SC1] every minute-aligned instant round-trips in %s (fall-back maps to the first)",
    (zone) => {
      for (const around of [
        "2026-03-08T07:00:00Z",
        "2026-03-29T01:00:00Z",
        "2026-10-25T01:00:00Z",
        "2026-11-01T06:00:00Z",
      ]) {
        for (let ms = utc(around) - 3 * HOUR; ms <= utc(around) + 3 * HOUR; ms += 15 * MINUTE) {
          const back = localToInstant(instantToLocal(ms, zone), zone);
          if (back !== ms) {
            // Only the second pass through a repeated hour may differ, and then by exactly the hour.
            expect(ms - back).toBe(HOUR);
            expect(instantToLocal(back, zone)).toEqual(instantToLocal(ms, zone));
          }
        }
      }
    },
  );

  it.each([
    [NY, "2026-03-08T17:00:00Z", "2026-03-08T05:00:00Z", 23],
    [NY, "2026-11-01T17:00:00Z", "2026-11-01T04:00:00Z", 25],
    [LONDON, "2026-03-29T12:00:00Z", "2026-03-29T00:00:00Z", 23],
    [LONDON, "2026-10-25T12:00:00Z", "2026-10-24T23:00:00Z", 25],
    [KATHMANDU, "2026-03-29T12:00:00Z", "2026-03-28T18:15:00Z", 24],
  ])("[SC4] in %s the day of %s starts at %s and lasts %i hours", (zone, iso, start, hours) => {
    expect(startOfLocalDay(utc(iso), zone)).toBe(utc(start));
    expect(localDay(utc(iso), zone)).toEqual({ start: utc(start), end: utc(start) + hours * HOUR });
  });

  it("[SC4] addLocalDays keeps the wall-clock time across DST", () => {
    const fridayNine = utc("2026-03-06T14:00:00Z"); // 09:00 EST
    expect(addLocalDays(fridayNine, 3, NY)).toBe(utc("2026-03-09T13:00:00Z")); // 09:00 EDT
    expect(addLocalDays(utc("2026-03-09T13:00:00Z"), -3, NY)).toBe(fridayNine);
    expect(addLocalDays(utc("2026-10-24T08:00:00.250Z"), 1, LONDON)).toBe(utc("2026-10-25T09:00:00.250Z"));
  });

  it("[SC1] unknown zones are reported, not guessed", () => {
    expect(isValidTimeZone(NY)).toBe(true);
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(() => instantToLocal(0, "Mars/Olympus_Mons")).toThrow(/^zoned: unknown time zone/);
  });
});
