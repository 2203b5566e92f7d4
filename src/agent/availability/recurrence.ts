import * as rruleNamespace from "rrule";
import type { Options as RRuleOptions } from "rrule";
import { err, ok, type Result } from "../../protocol/result";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../scheduling/zoned";

/**
 * RFC 5545 recurrence rules over floating time: every instant here is a
 * wall-clock time written as if it were UTC, so "09:00 every Monday" stays
 * 09:00 whatever the zone does; the caller maps each occurrence to an instant
 * in the series' zone. Daily and weekly rules made of FREQ, INTERVAL, COUNT,
 * UNTIL, BYDAY (plain weekdays) and WKST — nearly every series a calendar
 * holds — are expanded here by arithmetic; every other rule goes to the
 * `rrule` package, started near the window rather than at DTSTART where that
 * gives the same occurrences. Both paths agree with plain `rrule` (checked by
 * property tests), except that DTSTART always counts as the first occurrence,
 * as RFC 5545 §3.8.5.3 says and `rrule` does not.
 */

// rrule 2.8 ships a UMD bundle as "main" (what Node and tsx load: its named exports are invisible to Node's
// ESM loader, so they sit on the default export) and real ESM as "module" (what bundlers and Vite load).
const rrule: typeof rruleNamespace =
  typeof rruleNamespace.RRule === "function"
    ? rruleNamespace
    : (Reflect.get(rruleNamespace, "default") as typeof rruleNamespace);
const { RRule } = rrule;
/** rrule's weekdays in `Date#getUTCDay` order. */
const RRULE_DAYS = [RRule.SU, RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA];

export const FREQUENCIES = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** RFC 5545 day codes in `Date#getUTCDay` order. */
const DAY_CODES = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"] as const;

export type Until = {
  /** "utc": a UTC instant (…Z); "floating": a local date-time; "date": a whole local date. */
  readonly kind: "utc" | "floating" | "date";
  /** The written fields as if UTC (for "utc", the instant itself). */
  readonly value: number;
};

export type ParsedRule = {
  readonly freq: Frequency;
  readonly interval: number;
  readonly count: number | undefined;
  readonly until: Until | undefined;
  /** Set when the arithmetic path applies: weekdays as a bit mask (bit 0 = Sunday; 0 = none given) and WKST. */
  readonly simple: { readonly days: number; readonly weekStart: number } | undefined;
  /** rrule's own reading of the rule, for the general path. */
  readonly options: Partial<RRuleOptions> | undefined;
  /** The rule as written (upper case), for memoising what depends only on it. */
  readonly source: string;
  /** The BY parts, for checking that rrule will ever find a date before handing it the rule. */
  readonly filters: Filters;
};

type Filters = {
  readonly months: readonly number[] | undefined;
  readonly monthDays: readonly number[] | undefined;
  /** Plain BYDAY weekdays as a bit mask (bit 0 = Sunday). */
  readonly days: number;
  /** BYDAY with a number: [weekday, n]. */
  readonly nth: readonly (readonly [number, number])[];
  readonly weekStart: number;
  readonly setpos: readonly number[] | undefined;
  /** BYWEEKNO or BYYEARDAY is present (YEARLY only), which the check below does not model. */
  readonly yearly: boolean;
  readonly hours: readonly number[] | undefined;
  readonly minutes: readonly number[] | undefined;
  readonly seconds: readonly number[] | undefined;
};

const PARTS = new Set([
  "FREQ",
  "UNTIL",
  "COUNT",
  "INTERVAL",
  "BYSECOND",
  "BYMINUTE",
  "BYHOUR",
  "BYDAY",
  "BYMONTHDAY",
  "BYYEARDAY",
  "BYWEEKNO",
  "BYMONTH",
  "BYSETPOS",
  "WKST",
]);

/** RFC 5545 value ranges; rrule checks none of them, and an impossible BYHOUR=25 makes it scan to the year 9999. */
const RANGES: Readonly<Record<string, readonly [number, number, boolean]>> = {
  BYSECOND: [0, 60, false],
  BYMINUTE: [0, 59, false],
  BYHOUR: [0, 23, false],
  BYMONTHDAY: [1, 31, true],
  BYYEARDAY: [1, 366, true],
  BYWEEKNO: [1, 53, true],
  BYMONTH: [1, 12, false],
  BYSETPOS: [1, 366, true],
};

const MAX_INTERVAL = 10_000;

function parseIntegerList(name: string, value: string): number[] | string {
  const [lo, hi, signed] = RANGES[name]!;
  const numbers: number[] = [];
  for (const item of value.split(",")) {
    if (!/^[+-]?\d{1,3}$/.test(item)) return `${name} must be a list of integers`;
    const n = Number(item);
    if (!(Math.abs(n) >= lo && Math.abs(n) <= hi) || (n < 0 && !signed) || (lo === 0 && item.startsWith("-"))) {
      return `${name} values must be ${signed ? `±${lo}..${hi}` : `${lo}..${hi}`}`;
    }
    numbers.push(n);
  }
  return numbers;
}

function parseUntil(value: string): Until | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(value);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((n) => (n === undefined ? 0 : Number(n)));
  const ms = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  const back = new Date(ms);
  if (back.getUTCMonth() !== month! - 1 || back.getUTCDate() !== day! || hour! > 23 || minute! > 59 || second! > 60) {
    return undefined;
  }
  const kind = match[4] === undefined ? "date" : match[7] === "Z" ? "utc" : "floating";
  return { kind, value: ms };
}

const LIST_OPTIONS = [
  "bysetpos",
  "bymonth",
  "bymonthday",
  "byyearday",
  "byweekno",
  "byhour",
  "byminute",
  "bysecond",
] as const;

/** rrule's parser gives a bare number for a one-value list, which some of its own checks treat as absent. */
function withLists(options: Partial<RRuleOptions>): Partial<RRuleOptions> {
  const copy = { ...options };
  for (const key of LIST_OPTIONS) {
    const value = copy[key];
    if (typeof value === "number") copy[key] = [value];
  }
  return copy;
}

/**
 * Reads an RRULE value ("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270101T000000Z"; an
 * "RRULE:" prefix is allowed). Stricter than rrule, which accepts a missing
 * FREQ (as YEARLY), INTERVAL=0, COUNT=0, out-of-range BY values and repeated
 * parts (the last wins) without complaint.
 */
export function parseRule(value: string): Result<ParsedRule, string> {
  // Calendars repeat the same few rules; the result is immutable, so it is kept.
  let parsed = parsedRules.get(value);
  if (parsed === undefined) {
    parsed = readRule(value);
    if (parsedRules.size >= MAX_REMEMBERED_RULES) parsedRules.clear();
    parsedRules.set(value, parsed);
  }
  return parsed;
}

const MAX_REMEMBERED_RULES = 10_000;
const parsedRules = new Map<string, Result<ParsedRule, string>>();

function readRule(value: string): Result<ParsedRule, string> {
  const text = value.trim().replace(/^RRULE:/i, "");
  const parts = new Map<string, string>();
  for (const part of text.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).toUpperCase();
    if (eq < 0 || !PARTS.has(name)) return err(`unknown part "${part}"`);
    if (parts.has(name)) return err(`${name} appears twice`);
    parts.set(name, part.slice(eq + 1).toUpperCase());
  }
  const freq = FREQUENCIES.find((f) => f === parts.get("FREQ"));
  if (freq === undefined) return err("FREQ must be one of " + FREQUENCIES.join(", "));
  const interval = parts.has("INTERVAL") ? Number(parts.get("INTERVAL")) : 1;
  if (!(Number.isInteger(interval) && interval >= 1 && interval <= MAX_INTERVAL)) {
    return err(`INTERVAL must be an integer 1..${MAX_INTERVAL}`);
  }
  const countText = parts.get("COUNT");
  const count = countText === undefined ? undefined : Number(countText);
  if (count !== undefined && !(countText !== undefined && /^\d{1,9}$/.test(countText) && count >= 1)) {
    return err("COUNT must be a positive integer");
  }
  const untilText = parts.get("UNTIL");
  const until = untilText === undefined ? undefined : parseUntil(untilText);
  if (untilText !== undefined && until === undefined) return err(`UNTIL "${untilText}" is not a date or date-time`);
  if (count !== undefined && until !== undefined) return err("COUNT and UNTIL must not both appear");

  const lists = new Map<string, number[]>();
  for (const name of Object.keys(RANGES)) {
    const raw = parts.get(name);
    if (raw === undefined) continue;
    const list = parseIntegerList(name, raw);
    if (typeof list === "string") return err(list);
    lists.set(name, list);
  }
  let days = 0;
  const nth: [number, number][] = [];
  for (const item of parts.get("BYDAY")?.split(",") ?? []) {
    const match = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(item);
    const n = match?.[1] === undefined ? undefined : Number(match[1]);
    if (match === null || (n !== undefined && !(n !== 0 && Math.abs(n) <= 53)))
      return err(`BYDAY "${item}" is not valid`);
    const day = DAY_CODES.indexOf(match[2] as (typeof DAY_CODES)[number]);
    if (n === undefined) days |= 1 << day;
    else nth.push([day, n]);
  }
  const wkstText = parts.get("WKST");
  const weekStart = wkstText === undefined ? 1 : DAY_CODES.indexOf(wkstText as (typeof DAY_CODES)[number]);
  if (weekStart < 0) return err(`WKST "${wkstText}" is not a day`);
  // RFC 5545 §3.3.10's MUST NOTs; rrule accepts these and gives results no calendar would agree with.
  if (lists.has("BYWEEKNO") && freq !== "YEARLY") return err("BYWEEKNO is only for FREQ=YEARLY");
  if (lists.has("BYYEARDAY") && freq !== "YEARLY") return err("BYYEARDAY is only for FREQ=YEARLY here");
  if (lists.has("BYMONTHDAY") && freq === "WEEKLY") return err("BYMONTHDAY does not go with FREQ=WEEKLY");
  if (nth.length > 0 && freq !== "MONTHLY" && freq !== "YEARLY")
    return err("BYDAY with a number is only for MONTHLY and YEARLY");
  if (lists.has("BYSETPOS") && lists.size === 1 && parts.get("BYDAY") === undefined) {
    return err("BYSETPOS needs another BY part to pick from");
  }

  // rrule requires a day to match both the plain and the numbered weekdays of a mixed BYDAY ("MO,2TU" gives nothing);
  // RFC 5545 means either. Every Monday of a month is its 1st to 5th Monday, so all-numbered says the same to both.
  const mixed = nth.length > 0 && days !== 0;
  if (mixed) {
    const most = freq === "MONTHLY" || lists.has("BYMONTH") ? 5 : 53;
    for (let day = 0; day < 7; day++) {
      for (let n = 1; n <= most && (days & (1 << day)) !== 0; n++) nth.push([day, n]);
    }
    days = 0;
  }

  const simple =
    (freq === "DAILY" || freq === "WEEKLY") && lists.size === 0 && nth.length === 0 ? { days, weekStart } : undefined;
  let options: Partial<RRuleOptions> | undefined;
  if (simple === undefined) {
    try {
      // rrule reads UNTIL the same way whatever its form; ours is applied by the caller instead.
      const { until: _ignored, ...parsed } = RRule.parseString(text);
      options = withLists(parsed);
      if (mixed) options.byweekday = nth.map(([day, n]) => RRULE_DAYS[day]!.nth(n));
    } catch (cause) {
      return err(`rrule could not read it: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  }
  const filters: Filters = {
    months: lists.get("BYMONTH"),
    monthDays: lists.get("BYMONTHDAY"),
    days,
    nth,
    weekStart,
    setpos: lists.get("BYSETPOS"),
    yearly: lists.has("BYWEEKNO") || lists.has("BYYEARDAY"),
    hours: lists.get("BYHOUR"),
    minutes: lists.get("BYMINUTE"),
    seconds: lists.get("BYSECOND"),
  };
  return ok({ source: text.toUpperCase(), freq, interval, count, until, simple, options, filters });
}

export type Occurrences = {
  /** Floating starts in [from, to], ascending. */
  readonly starts: number[];
  /** True when more than `cap` starts fell in the range; `starts` then holds the first `cap`. */
  readonly capped: boolean;
};

const floorDiv = (a: number, b: number): number => Math.floor(a / b);
/** Day numbers count from 1970-01-01, a Thursday. */
const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;

/**
 * The floating starts of `rule` for a series starting at floating `dtstart`,
 * within [from, to], ascending, at most `cap` of them. `until` is the
 * series' end as floating time (the caller converts a UTC UNTIL in the
 * series' zone). DTSTART is always the first occurrence (RFC 5545): when it
 * does not match the rule it is added, and COUNT includes it.
 */
export function occurrences(
  rule: ParsedRule,
  dtstart: number,
  until: number | undefined,
  from: number,
  to: number,
  cap: number,
): Occurrences {
  const starts: number[] = [];
  const end = Math.min(to, until ?? Infinity);
  if (from > end) return { starts, capped: false };
  let capped = false;
  const emit = (start: number): boolean => {
    if (start < from) return true;
    if (start > end) return false;
    if (starts.length >= cap) {
      capped = true;
      return false;
    }
    starts.push(start);
    return true;
  };
  if (rule.simple !== undefined) simpleOccurrences(rule, rule.simple, dtstart, from, end, emit);
  else if (canOccur(rule, dtstart)) rruleOccurrences(rule, rule.options ?? {}, dtstart, from, end, cap, emit);
  // A rule that never matches leaves DTSTART, which always counts.
  else emit(dtstart);
  return { starts, capped };
}

/** DAILY and WEEKLY with plain BYDAY, by arithmetic: the same occurrences as rrule gives, far faster. */
function simpleOccurrences(
  rule: ParsedRule,
  simple: NonNullable<ParsedRule["simple"]>,
  dtstart: number,
  from: number,
  end: number,
  emit: (start: number) => boolean,
): void {
  const firstDay = floorDiv(dtstart, DAY_MS);
  const time = dtstart - firstDay * DAY_MS;
  const weekly = rule.freq === "WEEKLY";
  // WEEKLY without BYDAY repeats DTSTART's weekday; DAILY without BYDAY takes every day.
  const days = simple.days !== 0 ? simple.days : weekly ? 1 << weekdayOf(firstDay) : 0x7f;
  let remaining = rule.count ?? Infinity;
  if ((days & (1 << weekdayOf(firstDay))) === 0) {
    if (!emit(dtstart)) return;
    remaining--;
  }
  // A period is one day (DAILY) or the week from WKST (WEEKLY); periods step by INTERVAL.
  const periodDays = weekly ? 7 : 1;
  const step = periodDays * rule.interval;
  let period = weekly ? firstDay - ((weekdayOf(firstDay) - simple.weekStart + 7) % 7) : firstDay;
  // Without COUNT nothing before the range matters: jump to the last period starting before it.
  const skip = rule.count === undefined ? floorDiv(floorDiv(from, DAY_MS) - period, step) : 0;
  if (skip > 0) period += skip * step;
  for (; remaining > 0 && period * DAY_MS + time <= end; period += step) {
    for (let i = 0; i < periodDays && remaining > 0; i++) {
      const day = period + i;
      const start = day * DAY_MS + time;
      if (start > end) return;
      if (day < firstDay || (days & (1 << weekdayOf(day))) === 0) continue;
      remaining--;
      if (!emit(start)) return;
    }
  }
}

const RRULE_FREQ: Readonly<Record<Frequency, number>> = {
  YEARLY: 0,
  MONTHLY: 1,
  WEEKLY: 2,
  DAILY: 3,
  HOURLY: 4,
  MINUTELY: 5,
  SECONDLY: 6,
};

const present = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;
const given = (value: number | number[] | null | undefined): boolean =>
  Array.isArray(value) ? value.length > 0 : present(value) && value !== 0;

/**
 * The rule with the parts rrule would take from DTSTART (the weekday of a
 * WEEKLY rule, the day of a MONTHLY one, the time of day…) written out, as
 * rrule's `parseOptions` does, so that DTSTART can then move.
 */
function explicitOptions(options: Partial<RRuleOptions>, dtstart: Date): Partial<RRuleOptions> {
  const explicit = { ...options };
  const freq = explicit.freq ?? 0;
  const fromDay =
    given(explicit.byweekno) ||
    given(explicit.byyearday) ||
    given(explicit.bymonthday) ||
    present(explicit.byweekday) ||
    present(explicit.byeaster);
  if (!fromDay) {
    if (freq === 0) {
      if (!given(explicit.bymonth)) explicit.bymonth = dtstart.getUTCMonth() + 1;
      explicit.bymonthday = dtstart.getUTCDate();
    } else if (freq === 1) {
      explicit.bymonthday = dtstart.getUTCDate();
    } else if (freq === 2) {
      explicit.byweekday = [(dtstart.getUTCDay() + 6) % 7];
    }
  }
  if (!present(explicit.byhour) && freq < 4) explicit.byhour = [dtstart.getUTCHours()];
  if (!present(explicit.byminute) && freq < 5) explicit.byminute = [dtstart.getUTCMinutes()];
  if (!present(explicit.bysecond) && freq < 6) explicit.bysecond = [dtstart.getUTCSeconds()];
  return explicit;
}

/**
 * The start of the last period (year, month, week from WKST, day, hour…)
 * of the series that begins at or before `target`, a whole number of
 * INTERVALs after DTSTART's period; undefined when that is DTSTART's own.
 * From there, with the implicit parts written out, rrule gives exactly the
 * occurrences it would have given from DTSTART.
 */
function fastForward(options: Partial<RRuleOptions>, dtstart: number, target: number): number | undefined {
  const interval = options.interval ?? 1;
  const d = new Date(dtstart);
  const t = new Date(target);
  const whole = (units: number): number => Math.floor(units / interval) * interval;
  let start: number;
  switch (options.freq ?? 0) {
    case 0: {
      const k = whole(t.getUTCFullYear() - d.getUTCFullYear());
      if (k <= 0) return undefined;
      start = Date.UTC(d.getUTCFullYear() + k, 0, 1);
      break;
    }
    case 1: {
      const k = whole(t.getUTCFullYear() * 12 + t.getUTCMonth() - (d.getUTCFullYear() * 12 + d.getUTCMonth()));
      if (k <= 0) return undefined;
      start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1);
      break;
    }
    case 2: {
      const wkst = options.wkst;
      // rrule numbers weekdays from Monday = 0; day 0 of the epoch was a Thursday (3).
      const weekStart = typeof wkst === "number" ? wkst : (wkst?.weekday ?? 0);
      const day = floorDiv(dtstart, DAY_MS);
      const firstWeek = day - ((((day + 3) % 7) - weekStart + 7) % 7);
      const k = whole(floorDiv(floorDiv(target, DAY_MS) - firstWeek, 7));
      if (k <= 0) return undefined;
      start = (firstWeek + 7 * k) * DAY_MS;
      break;
    }
    default: {
      const unit = [DAY_MS, HOUR_MS, MINUTE_MS, 1000][(options.freq ?? 3) - 3]!;
      const k = whole(floorDiv(target, unit) - floorDiv(dtstart, unit));
      if (k <= 0) return undefined;
      start = (floorDiv(dtstart, unit) + k) * unit;
      break;
    }
  }
  // rrule gives every occurrence DTSTART's milliseconds.
  return start + (((dtstart % 1000) + 1000) % 1000);
}

/** Everything else, through rrule; DTSTART moves up to the range when COUNT does not need the history. */
function rruleOccurrences(
  rule: ParsedRule,
  options: Partial<RRuleOptions>,
  dtstart: number,
  from: number,
  end: number,
  cap: number,
  emit: (start: number) => boolean,
): void {
  const start = new Date(dtstart);
  const until = new Date(end);
  // DTSTART counts even when the rule does not produce it; then COUNT has one fewer left for the rule.
  let count = rule.count;
  if (count !== undefined || dtstart >= from) {
    const first = new RRule({ ...options, dtstart: start, until, count: 1 }, true).all()[0];
    if (first?.getTime() !== dtstart) {
      if (!emit(dtstart)) return;
      if (count !== undefined) count--;
      if (count === 0) return;
    }
  }
  let base: Partial<RRuleOptions> = { ...options, dtstart: start, until, count: count ?? null };
  if (count === undefined) {
    const moved = fastForward(options, dtstart, from);
    if (moved !== undefined)
      base = { ...explicitOptions(options, start), dtstart: new Date(moved), until, count: null };
  }
  // One more than the cap, to tell "exactly cap" from "more than cap".
  const dates = new RRule(base, true).between(new Date(from), until, true, (_date, i) => i <= cap);
  for (const date of dates) if (!emit(date.getTime())) return;
}

/**
 * Whether rrule would ever find a date for `rule` from `dtstart`. It looks
 * for one period by period and gives up only in the year 9999, so a rule no
 * date satisfies (30 February, the 6th Monday of a month, BYSETPOS=3 of two
 * candidates) costs it seconds; and an HOURLY, MINUTELY or SECONDLY rule
 * whose INTERVAL never lands on its BYHOUR (FREQ=HOURLY;INTERVAL=6;BYHOUR=3
 * from midnight) loops forever. Day filters are tried on every day of
 * 2000–2027, which holds every kind of year (leap or not, starting on each
 * weekday); rules with BYWEEKNO or BYYEARDAY are YEARLY, where a fruitless
 * search costs rrule a fraction of a second, and are not modelled.
 */
export function canOccur(rule: ParsedRule, dtstart: number): boolean {
  return inPhase(rule, new Date(dtstart)) && reachable(rule, dtstart) && satisfiable(rule, new Date(dtstart));
}

/** INTERVAL can keep a series off its filters for good: every 2nd month from April never meets BYMONTH=7. */
function inPhase(rule: ParsedRule, dtstart: Date): boolean {
  const { months, days } = rule.filters;
  if (rule.freq === "MONTHLY" && months !== undefined) {
    const step = gcd(rule.interval, 12);
    return months.some((m) => (((m - 1 - dtstart.getUTCMonth()) % step) + step) % step === 0);
  }
  if (rule.freq === "DAILY" && days !== 0) {
    const step = gcd(rule.interval, 7);
    return [0, 1, 2, 3, 4, 5, 6].some(
      (d) => (days & (1 << d)) !== 0 && (((d - dtstart.getUTCDay()) % step) + step) % step === 0,
    );
  }
  return true;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function reachable(rule: ParsedRule, dtstart: number): boolean {
  const { hours, minutes, seconds } = rule.filters;
  const unit = rule.freq === "HOURLY" ? 3600 : rule.freq === "MINUTELY" ? 60 : rule.freq === "SECONDLY" ? 1 : 0;
  if (unit === 0 || (hours === undefined && minutes === undefined && seconds === undefined)) return true;
  // The series visits times of day DTSTART + k × INTERVAL, i.e. one residue class modulo the step's gcd with a day.
  const step = gcd(unit * rule.interval, 86_400);
  const first = Math.floor((((dtstart % DAY_MS) + DAY_MS) % DAY_MS) / 1000);
  for (let t = first % step; t < 86_400; t += step) {
    if (hours !== undefined && !hours.includes(Math.floor(t / 3600))) continue;
    if (rule.freq !== "HOURLY" && minutes !== undefined && !minutes.includes(Math.floor(t / 60) % 60)) continue;
    if (rule.freq === "SECONDLY" && seconds !== undefined && !seconds.includes(t % 60)) continue;
    return true;
  }
  return false;
}

const satisfiableMemo = new Map<string, boolean>();
const SWEEP_FROM = Date.UTC(2000, 0, 1) / DAY_MS;
const SWEEP_TO = Date.UTC(2028, 0, 1) / DAY_MS;

function satisfiable(rule: ParsedRule, dtstart: Date): boolean {
  const f = rule.filters;
  if (f.yearly) return true;
  // rrule takes the missing day from DTSTART (parseOptions): its weekday for WEEKLY, its date for MONTHLY and YEARLY.
  const implicit = f.monthDays === undefined && f.days === 0 && f.nth.length === 0;
  const months = implicit && rule.freq === "YEARLY" && f.months === undefined ? [dtstart.getUTCMonth() + 1] : f.months;
  const monthDays =
    implicit && (rule.freq === "MONTHLY" || rule.freq === "YEARLY") ? [dtstart.getUTCDate()] : f.monthDays;
  const days = implicit && rule.freq === "WEEKLY" ? 1 << dtstart.getUTCDay() : f.days;
  const key = `${rule.source}|${months?.join(",") ?? ""}|${monthDays?.join(",") ?? ""}|${days}`;
  const known = satisfiableMemo.get(key);
  if (known !== undefined) return known;

  const freq = RRULE_FREQ[rule.freq];
  const count = (list: readonly number[] | undefined): number => list?.length ?? 1;
  const perDay =
    freq <= 3
      ? count(f.hours) * count(f.minutes) * count(f.seconds)
      : freq === 4
        ? count(f.minutes) * count(f.seconds)
        : freq === 5
          ? count(f.seconds)
          : 1;
  const needed = f.setpos === undefined ? 1 : Math.min(...f.setpos.map(Math.abs));
  // In a YEARLY rule with BYMONTH a numbered weekday counts within the month, otherwise within the year.
  const nthInMonth = rule.freq === "MONTHLY" || f.months !== undefined;
  const perPeriod = new Map<number, number>();
  let found = false;
  for (let day = SWEEP_FROM; day < SWEEP_TO && !found; day++) {
    const date = new Date(day * DAY_MS);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const monthDay = date.getUTCDate();
    const weekday = date.getUTCDay();
    if (months !== undefined && !months.includes(month)) continue;
    if (monthDays !== undefined) {
      const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
      if (!monthDays.includes(monthDay) && !monthDays.includes(monthDay - length - 1)) continue;
    }
    if (days !== 0 && (days & (1 << weekday)) === 0) continue;
    if (f.nth.length > 0) {
      const yearDay = day - Date.UTC(year, 0, 1) / DAY_MS + 1;
      const span = nthInMonth
        ? new Date(Date.UTC(year, month, 0)).getUTCDate()
        : Date.UTC(year + 1, 0, 1) / DAY_MS - Date.UTC(year, 0, 1) / DAY_MS;
      const position = nthInMonth ? monthDay : yearDay;
      const n = Math.floor((position - 1) / 7) + 1;
      const fromEnd = -(Math.floor((span - position) / 7) + 1);
      if (!f.nth.some(([w, k]) => w === weekday && (k === n || k === fromEnd))) continue;
    }
    const period =
      freq === 0 ? year : freq === 1 ? year * 12 + month : freq === 2 ? day - ((weekday - f.weekStart + 7) % 7) : day;
    const matches = (perPeriod.get(period) ?? 0) + 1;
    perPeriod.set(period, matches);
    // Sub-daily periods hold at most one day.
    found = (freq <= 3 ? matches : 1) * perDay >= needed;
  }
  if (satisfiableMemo.size >= 1_000) satisfiableMemo.clear();
  satisfiableMemo.set(key, found);
  return found;
}
