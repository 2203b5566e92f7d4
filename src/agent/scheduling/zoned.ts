/**
 * Epoch milliseconds <-> wall-clock time in an IANA time zone, using only
 * `Intl.DateTimeFormat` so that it gives the same answers in every browser
 * and in Node, whatever the machine's own zone is. Local times that do not
 * exist or occur twice are resolved as RFC 5545 §3.3.5 prescribes.
 */

/** Wall-clock fields. Months are 1..12, weekdays 0 = Sunday .. 6 = Saturday. */
export type LocalDateTime = {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly weekday: number;
};

/** Input for `localToInstant`: fields may overflow (day 32, minute 600) and are carried like `Date.UTC` does. */
export type LocalFields = Pick<LocalDateTime, "year" | "month" | "day" | "hour" | "minute">;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

// Building a formatter costs far more than using one; a calendar view asks for thousands of conversions.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (cause) {
      throw new Error(`zoned: unknown time zone "${timeZone}"`, { cause });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `Intl` knows the zone; check user-supplied zones with this before passing them in. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock as if it were UTC, to the second: the basis of every offset computation here. */
function wallAsUtc(ms: number, timeZone: string): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case "year":
        year = Number(part.value);
        break;
      case "month":
        month = Number(part.value);
        break;
      case "day":
        day = Number(part.value);
        break;
      case "hour":
        // Some engines still print midnight as "24" despite h23.
        hour = Number(part.value) % 24;
        break;
      case "minute":
        minute = Number(part.value);
        break;
      case "second":
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset from UTC at `ms`, in milliseconds (positive east of Greenwich). */
export function offsetAt(ms: number, timeZone: string): number {
  const whole = ms - (((ms % 1000) + 1000) % 1000);
  return wallAsUtc(whole, timeZone) - whole;
}

export function instantToLocal(ms: number, timeZone: string): LocalDateTime {
  const wall = new Date(ms + offsetAt(ms, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    weekday: wall.getUTCDay(),
  };
}

/**
 * The instant a wall-clock time names. In a spring-forward gap the time is
 * read with the offset from before the gap, which moves it forward by the
 * gap's length (02:30 becomes 03:30 in New York); in a fall-back overlap the
 * first occurrence wins (RFC 5545 §3.3.5).
 */
export function localToInstant(local: LocalFields, timeZone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // No zone changes offset twice within a day, so the offsets a day either side are "before" and "after".
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const first = wall - Math.max(before, after);
  const second = wall - Math.min(before, after);
  if (offsetAt(first, timeZone) === Math.max(before, after)) return first;
  if (offsetAt(second, timeZone) === Math.min(before, after)) return second;
  return wall - before;
}

/** The first instant of the local day containing `ms` (01:00 where midnight itself is skipped). */
export function startOfLocalDay(ms: number, timeZone: string): number {
  const local = instantToLocal(ms, timeZone);
  return localToInstant({ year: local.year, month: local.month, day: local.day, hour: 0, minute: 0 }, timeZone);
}

/** The local calendar day containing `ms`, as [its first instant, the next day's first instant). */
export function localDay(ms: number, timeZone: string): { start: number; end: number } {
  const { year, month, day } = instantToLocal(ms, timeZone);
  return {
    start: localToInstant({ year, month, day, hour: 0, minute: 0 }, timeZone),
    end: localToInstant({ year, month, day: day + 1, hour: 0, minute: 0 }, timeZone),
  };
}

/** The same wall-clock time `days` local days later (or earlier), so 09:00 stays 09:00 across DST. */
export function addLocalDays(ms: number, days: number, timeZone: string): number {
  const local = instantToLocal(ms, timeZone);
  const belowMinute = ((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
  return localToInstant({ ...local, day: local.day + days }, timeZone) + belowMinute;
}
