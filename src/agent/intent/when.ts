import * as chrono from "chrono-node";
import type { Interval, PartOfDay } from "../scheduling/slots";
import { addLocalDays, DAY_MS, instantToLocal, localToInstant, MINUTE_MS } from "../scheduling/zoned";
import { blank, NUMBER_WORD_PATTERN, toNumber } from "./text";

/**
 * When a command is about, in the owner's time zone: ranges this parser
 * reads itself ("next week", "in the next 3 days"), parts of the day, and
 * single dates and times read by chrono.
 */

type Zone = { readonly now: number; readonly timeZone: string };

/** Local midnight `days` civil days after the local date of `ms`. */
function midnightAfter(ms: number, days: number, timeZone: string): number {
  const local = instantToLocal(ms, timeZone);
  return localToInstant({ year: local.year, month: local.month, day: local.day + days, hour: 0, minute: 0 }, timeZone);
}

/** Weeks start on Monday (ISO 8601): on a Sunday, "next week" is the one starting tomorrow. */
function nextMonday({ now, timeZone }: Zone): number {
  const weekday = instantToLocal(now, timeZone).weekday;
  return midnightAfter(now, (8 - weekday) % 7 || 7, timeZone);
}

function firstOfMonth({ now, timeZone }: Zone, monthsAhead: number): number {
  const local = instantToLocal(now, timeZone);
  return localToInstant({ year: local.year, month: local.month + monthsAhead, day: 1, hour: 0, minute: 0 }, timeZone);
}

const COUNT = `(\\d{1,3}|${NUMBER_WORD_PATTERN})`;
const MAX_RANGE_DAYS = 366;

type RangeRule = { readonly pattern: RegExp; readonly window: (zone: Zone, match: RegExpExecArray) => Interval };

// "in the next week" means the coming seven days; "next week" means Monday to Sunday. Order matters.
const RANGE_RULES: readonly RangeRule[] = [
  {
    pattern: /\b(?:in|within|over|during)\s+the\s+(?:next|coming)\s+week\b/i,
    window: (z) => ({ start: z.now, end: addLocalDays(z.now, 7, z.timeZone) }),
  },
  {
    pattern: new RegExp(`\\b(?:(?:in|within|over|during)\\s+)?(?:the\\s+)?(?:next|coming)\\s+${COUNT}\\s+days\\b`, "i"),
    window: (z, m) => ({ start: z.now, end: addLocalDays(z.now, dayCount(m[1]), z.timeZone) }),
  },
  {
    pattern: new RegExp(`\\bwithin\\s+(?:the\\s+next\\s+)?${COUNT}\\s+days\\b`, "i"),
    window: (z, m) => ({ start: z.now, end: addLocalDays(z.now, dayCount(m[1]), z.timeZone) }),
  },
  { pattern: /\b(?:later\s+)?this\s+week\b/i, window: (z) => ({ start: z.now, end: nextMonday(z) }) },
  {
    pattern: /\bnext\s+week\b/i,
    window: (z) => ({ start: nextMonday(z), end: addLocalDays(nextMonday(z), 7, z.timeZone) }),
  },
  { pattern: /\b(?:later\s+)?this\s+month\b/i, window: (z) => ({ start: z.now, end: firstOfMonth(z, 1) }) },
  { pattern: /\bnext\s+month\b/i, window: (z) => ({ start: firstOfMonth(z, 1), end: firstOfMonth(z, 2) }) },
];

function dayCount(token: string | undefined): number {
  const n = toNumber(token ?? "");
  return Number.isFinite(n) ? Math.min(Math.max(Math.round(n), 1), MAX_RANGE_DAYS) : 7;
}

export function extractRange(text: string, zone: Zone): { window: Interval; text: string } | undefined {
  for (const rule of RANGE_RULES) {
    const match = rule.pattern.exec(text);
    if (match) return { window: rule.window(zone, match), text: blank(text, match.index, match[0].length) };
  }
  return undefined;
}

const PARTS: Readonly<Record<string, PartOfDay>> = { morning: "morning", afternoon: "afternoon", evening: "evening" };

export function partOfDayIn(text: string): PartOfDay | undefined {
  const match = /\b(morning|afternoon|evening|tonight)s?\b/i.exec(text);
  if (!match) return undefined;
  return PARTS[match[1]!.toLowerCase()] ?? "evening";
}

export type When =
  | { readonly kind: "exact"; readonly start: number; readonly end?: number }
  | { readonly kind: "day"; readonly start: number; readonly end: number };

export type WhenHints = Zone & {
  readonly partOfDay: PartOfDay | undefined;
  /** Breakfast at 7 is 07:00; otherwise a bare 1..7 is afternoon or evening. */
  readonly earlyTitle: boolean;
  /** A range from the same command: "Tuesday next week" is the Tuesday inside it. */
  readonly within: Interval | undefined;
};

type CivilDate = { year: number; month: number; day: number };

/** The first date in `within` that falls on `weekday`. */
function weekdayWithin(weekday: number, within: Interval, timeZone: string): CivilDate | undefined {
  const first = instantToLocal(within.start, timeZone);
  for (let i = 0; i < 7; i++) {
    const date = new Date(Date.UTC(first.year, first.month - 1, first.day + i));
    if (date.getUTCDay() !== weekday) continue;
    const civil = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
    return localToInstant({ ...civil, hour: 0, minute: 0 }, timeZone) < within.end ? civil : undefined;
  }
  return undefined;
}

function hourOf(components: chrono.ParsedComponents, hints: WhenHints): number {
  const hour = components.get("hour") ?? 12;
  if (components.isCertain("meridiem") || hour >= 12) return hour;
  if (hints.partOfDay === "afternoon" || hints.partOfDay === "evening") return hour + 12;
  // Nobody means "meet at 3" as 03:00.
  return hour >= 1 && hour <= 7 && hints.partOfDay !== "morning" && !hints.earlyTitle ? hour + 12 : hour;
}

function instantOf(components: chrono.ParsedComponents, date: CivilDate, hints: WhenHints): number {
  const hour = hourOf(components, hints);
  const minute = components.get("minute") ?? 0;
  // An explicit zone in the text ("3pm EST") overrides the owner's zone.
  if (components.isCertain("timezoneOffset")) {
    const offset = components.get("timezoneOffset") ?? 0;
    return Date.UTC(date.year, date.month - 1, date.day, hour, minute) - offset * MINUTE_MS;
  }
  return localToInstant({ ...date, hour, minute }, hints.timeZone);
}

// "the 25th", "on the 3rd": a day of the month with no month named (chrono reads these only beside a month).
const MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";
const ORDINAL_DAY = new RegExp(
  `(?<!(?:${MONTH_NAMES})[a-z]*\\.?\\s{0,3})\\b(?:the\\s+)?([12]?\\d|3[01])(?:st|nd|rd|th)\\b(?!\\s*(?:of\\s+)?(?:${MONTH_NAMES}))`,
  "i",
);

/** The next date, today included, whose day of the month is the ordinal in `text`, if it names one alone. */
function ordinalDay(text: string, today: CivilDate): CivilDate | undefined {
  const match = ORDINAL_DAY.exec(text);
  const day = Number(match?.[1] ?? 0);
  if (day < 1) return undefined;
  for (let ahead = 0; ahead < 3; ahead++) {
    const first = new Date(Date.UTC(today.year, today.month - 1 + ahead, 1));
    const year = first.getUTCFullYear();
    const month = first.getUTCMonth() + 1;
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (day <= daysInMonth && (ahead > 0 || day >= today.day)) return { year, month, day };
  }
  return undefined;
}

function civilOf(components: chrono.ParsedComponents, fallback: CivilDate): CivilDate {
  return {
    year: components.get("year") ?? fallback.year,
    month: components.get("month") ?? fallback.month,
    day: components.get("day") ?? fallback.day,
  };
}

function wholeDay(date: CivilDate, timeZone: string): When {
  return {
    kind: "day",
    start: localToInstant({ ...date, hour: 0, minute: 0 }, timeZone),
    end: localToInstant({ ...date, day: date.day + 1, hour: 0, minute: 0 }, timeZone),
  };
}

/** The first date or time chrono finds in `text`, read in the owner's zone. */
export function parseWhen(text: string, hints: WhenHints): When | undefined {
  const { now, timeZone } = hints;
  const local = instantToLocal(now, timeZone);
  // chrono computes with the machine's zone. Hand it a reference whose machine-local wall clock is the
  // owner's wall clock and read back only wall-clock fields, so the machine's zone cancels out.
  const reference = new Date(local.year, local.month - 1, local.day, local.hour, local.minute);
  const result = chrono.casual.parse(text, reference, { forwardDate: true })[0];
  const ordinal = ordinalDay(text, local);
  if (
    result === undefined ||
    (ordinal !== undefined && !result.start.isCertain("hour") && !result.start.isCertain("day"))
  ) {
    return ordinal === undefined ? undefined : wholeDay(ordinal, timeZone);
  }
  const start = result.start;
  if (start.tags().has("result/relativeDateAndTime")) {
    // "in 2 hours": elapsed time, so measure it and add it to the real now.
    return { kind: "exact", start: now + (start.date().getTime() - reference.getTime()) };
  }
  let date = civilOf(start, local);
  if (!start.isCertain("day") && ordinal !== undefined) {
    date = ordinal;
  } else if (hints.within !== undefined && !start.isCertain("day")) {
    // "Tuesday next week" is the Tuesday inside the range. A bare time ("next week at 3pm") names no
    // day, and chrono would put it today or tomorrow, outside the range: the range is all that is meant.
    if (!start.isCertain("weekday")) return undefined;
    date = weekdayWithin(start.get("weekday") ?? 0, hints.within, timeZone) ?? date;
  }
  if (!start.isCertain("hour")) return wholeDay(date, timeZone);
  const startMs = instantOf(start, date, hints);
  // Typed as optional, but chrono sets it to null when there is no end.
  const end: chrono.ParsedComponents | null | undefined = result.end;
  if (!end || !end.isCertain("hour")) return { kind: "exact", start: startMs };
  // The end keeps its distance in days from the start, wherever the start was moved to.
  const startCivil = civilOf(start, local);
  const endCivil = civilOf(end, startCivil);
  const days = Math.round(
    (Date.UTC(endCivil.year, endCivil.month - 1, endCivil.day) -
      Date.UTC(startCivil.year, startCivil.month - 1, startCivil.day)) /
      DAY_MS,
  );
  const endMs = instantOf(end, { ...date, day: date.day + days }, hints);
  return endMs > startMs ? { kind: "exact", start: startMs, end: endMs } : { kind: "exact", start: startMs };
}
