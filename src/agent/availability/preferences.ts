import { err, ok, type Result } from "../../protocol/result";
import { PARTS_OF_DAY, type PartOfDay } from "../scheduling/slots";
import { isValidTimeZone } from "../scheduling/zoned";
import type { MinuteRange, Preferences, Weekday } from "./types";

/**
 * A person's scheduling preferences: the defaults, and validation of stored
 * or edited values (device storage is a trust boundary like any other).
 */

export const WEEKDAYS: readonly Weekday[] = [0, 1, 2, 3, 4, 5, 6];

/** Upper bounds that only a mistake would exceed. */
export const PREFERENCE_LIMITS = {
  /** Per side of a meeting. */
  bufferMinutes: 240,
  /** 30 days. */
  minNoticeMinutes: 30 * 24 * 60,
  horizonDays: 365,
  maxMeetingsPerDay: 50,
  rangesPerDay: 12,
} as const;

const NINE_TO_FIVE: readonly MinuteRange[] = [{ startMinute: 9 * 60, endMinute: 17 * 60 }];

/**
 * Monday to Friday 09:00–17:00 in `timeZone`, no buffers, an hour's notice,
 * 60 days ahead, at most 6 meetings a day, no preferred part of the day and
 * no meeting-free days. Buffers default to 0 rather than 5 minutes: slots
 * start on the half hour, so a 5-minute buffer after a meeting ending at
 * 10:00 would cost the whole 10:00 slot, halving what a busy day offers, and
 * the calendars people compare with (Google, Calendly) default to none.
 */
export const DEFAULT_PREFERENCES = (timeZone: string): Preferences => ({
  timeZone,
  workingHours: { 0: [], 1: NINE_TO_FIVE, 2: NINE_TO_FIVE, 3: NINE_TO_FIVE, 4: NINE_TO_FIVE, 5: NINE_TO_FIVE, 6: [] },
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  minNoticeMinutes: 60,
  horizonDays: 60,
  maxMeetingsPerDay: 6,
  preferredParts: [],
  meetingFreeDays: [],
});

/** The integer fields, each validated the same way within its own bounds. */
type CountField =
  "bufferBeforeMinutes" | "bufferAfterMinutes" | "minNoticeMinutes" | "horizonDays" | "maxMeetingsPerDay";

export type PreferencesError = { readonly code: "invalid"; readonly issues: string[] };

const FIELDS = new Set<string>([
  "timeZone",
  "workingHours",
  "bufferBeforeMinutes",
  "bufferAfterMinutes",
  "minNoticeMinutes",
  "horizonDays",
  "maxMeetingsPerDay",
  "preferredParts",
  "meetingFreeDays",
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Own keys, without `__proto__` (which JSON.parse makes an ordinary key, and which must never be copied). */
const keysOf = (value: Record<string, unknown>): string[] => Object.keys(value).filter((k) => k !== "__proto__");

function integer(value: unknown, name: string, min: number, max: number, issues: string[]): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  issues.push(`${name} must be an integer ${min}..${max}`);
  return undefined;
}

function weekdayOf(value: unknown): Weekday | undefined {
  return WEEKDAYS.find((d) => d === value);
}

function parseRanges(value: unknown, name: string, issues: string[]): MinuteRange[] {
  if (!Array.isArray(value)) {
    issues.push(`${name} must be a list of {startMinute, endMinute}`);
    return [];
  }
  if (value.length > PREFERENCE_LIMITS.rangesPerDay) {
    issues.push(`${name} has more than ${PREFERENCE_LIMITS.rangesPerDay} ranges`);
    return [];
  }
  const ranges: MinuteRange[] = [];
  value.forEach((item: unknown, i) => {
    const at = `${name}[${i}]`;
    if (!isRecord(item)) {
      issues.push(`${at} must be {startMinute, endMinute}`);
      return;
    }
    const extra = keysOf(item).filter((k) => k !== "startMinute" && k !== "endMinute");
    if (extra.length > 0) issues.push(`${at} has unknown fields: ${extra.join(", ")}`);
    const startMinute = integer(item["startMinute"], `${at}.startMinute`, 0, 1439, issues);
    const endMinute = integer(item["endMinute"], `${at}.endMinute`, 1, 1440, issues);
    if (startMinute === undefined || endMinute === undefined) return;
    if (startMinute >= endMinute) {
      issues.push(`${at} must start before it ends`);
      return;
    }
    const previous = ranges.at(-1);
    if (previous !== undefined && startMinute < previous.endMinute) {
      issues.push(`${at} must start at or after the end of the range before it (sorted, not overlapping)`);
    }
    ranges.push({ startMinute, endMinute });
  });
  return ranges;
}

function parseWorkingHours(value: unknown, issues: string[]): Preferences["workingHours"] | undefined {
  if (!isRecord(value)) {
    issues.push("workingHours must be an object keyed by weekday 0 (Sunday)..6 (Saturday)");
    return undefined;
  }
  const hours: Record<Weekday, readonly MinuteRange[]> = { 0: [], 1: [], 2: [], 3: [], 4: [], 5: [], 6: [] };
  for (const key of keysOf(value)) {
    const day = /^[0-6]$/.test(key) ? weekdayOf(Number(key)) : undefined;
    if (day === undefined) issues.push(`workingHours has an unknown weekday "${key}" (use 0 = Sunday..6 = Saturday)`);
    else hours[day] = parseRanges(value[key], `workingHours.${key}`, issues);
  }
  return hours;
}

function parseList<T>(
  value: unknown,
  name: string,
  read: (item: unknown) => T | undefined,
  expected: string,
  issues: string[],
): T[] | undefined {
  if (!Array.isArray(value)) {
    issues.push(`${name} must be a list of ${expected}`);
    return undefined;
  }
  const items: T[] = [];
  for (const [i, raw] of value.entries()) {
    const item = read(raw);
    if (item === undefined) issues.push(`${name}[${i}] must be ${expected}`);
    else if (items.includes(item)) issues.push(`${name}[${i}] repeats ${JSON.stringify(raw)}`);
    else items.push(item);
  }
  return items;
}

/**
 * Validates preferences from storage or a settings form. `timeZone` is
 * required; any other field left out takes its default, and a weekday left
 * out of `workingHours` is a day off. Unknown fields are refused, so a typo
 * cannot silently fall back to a default. Every problem is reported, each
 * as one line naming the field.
 */
export function parsePreferences(value: unknown): Result<Preferences, PreferencesError> {
  const issues: string[] = [];
  if (!isRecord(value)) return err({ code: "invalid", issues: ["preferences must be an object"] });
  const unknown = keysOf(value).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) issues.push(`unknown fields: ${unknown.join(", ")}`);

  const timeZone = value["timeZone"];
  if (typeof timeZone !== "string" || !isValidTimeZone(timeZone)) {
    issues.push("timeZone must be an IANA time zone such as Europe/London");
    return err({ code: "invalid", issues });
  }
  const defaults = DEFAULT_PREFERENCES(timeZone);
  const field = <T>(name: string, parse: (raw: unknown) => T | undefined, fallback: T): T => {
    const raw = value[name];
    return raw === undefined ? fallback : (parse(raw) ?? fallback);
  };
  const count = (name: CountField, min: number, max: number): number =>
    field(name, (raw) => integer(raw, name, min, max, issues), defaults[name]);
  const { bufferMinutes, minNoticeMinutes, horizonDays, maxMeetingsPerDay } = PREFERENCE_LIMITS;
  const preferences: Preferences = {
    timeZone,
    workingHours: field("workingHours", (raw) => parseWorkingHours(raw, issues), defaults.workingHours),
    bufferBeforeMinutes: count("bufferBeforeMinutes", 0, bufferMinutes),
    bufferAfterMinutes: count("bufferAfterMinutes", 0, bufferMinutes),
    minNoticeMinutes: count("minNoticeMinutes", 0, minNoticeMinutes),
    horizonDays: count("horizonDays", 1, horizonDays),
    // At least 1: a cap of 0 reads as "no limit" to too many people; a day off is said with working hours.
    maxMeetingsPerDay: count("maxMeetingsPerDay", 1, maxMeetingsPerDay),
    preferredParts: field(
      "preferredParts",
      (raw) =>
        parseList<PartOfDay>(
          raw,
          "preferredParts",
          (item) => PARTS_OF_DAY.find((p) => p === item),
          `one of ${PARTS_OF_DAY.join(", ")}`,
          issues,
        ),
      defaults.preferredParts,
    ),
    meetingFreeDays: field(
      "meetingFreeDays",
      (raw) =>
        parseList(raw, "meetingFreeDays", weekdayOf, "a weekday 0 (Sunday)..6 (Saturday)", issues)?.sort(
          (a, b) => a - b,
        ),
      defaults.meetingFreeDays,
    ),
  };
  return issues.length > 0 ? err({ code: "invalid", issues }) : ok(preferences);
}
