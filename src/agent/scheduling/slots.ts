import type { Slot } from "../../protocol/messages/schema";
import { DAY_MS, localToInstant, instantToLocal, MINUTE_MS } from "./zoned";

/**
 * Free-slot search: candidate meeting times inside working hours, clear of
 * every busy interval, spread across days. Busy intervals are sorted and
 * merged once and then swept alongside the candidates, so the cost grows
 * with events + candidates, not their product.
 */

/** Half-open [start, end) in epoch milliseconds. */
export type Interval = { readonly start: number; readonly end: number };

export type WorkingHours = {
  readonly timeZone: string;
  /** Local weekdays, 0 = Sunday .. 6 = Saturday. */
  readonly days: readonly number[];
  /** Minutes after local midnight; the day's meetings lie within [startMinute, endMinute). */
  readonly startMinute: number;
  readonly endMinute: number;
};

export const DEFAULT_WORKING_HOURS = (timeZone: string): WorkingHours => ({
  timeZone,
  days: [1, 2, 3, 4, 5],
  startMinute: 9 * 60,
  endMinute: 17 * 60,
});

export const PARTS_OF_DAY = ["morning", "afternoon", "evening"] as const;
export type PartOfDay = (typeof PARTS_OF_DAY)[number];

const NOON = 12 * 60;
const EVENING = 17 * 60;
/** Evenings ignore the end of working hours, but nobody wants a meeting proposed at 23:30. */
export const EVENING_END_MINUTE = 22 * 60;
/** How far ahead a search looks at most, whatever the window says; also bounds the work for an open window. */
export const MAX_SEARCH_DAYS = 400;

export type FindFreeSlotsOptions = {
  /** Everyone's busy intervals together, in any order; overlapping and empty ones are fine. */
  readonly busy: readonly Interval[];
  readonly window: Interval;
  readonly durationMinutes: number;
  readonly workingHours: WorkingHours;
  readonly now: number;
  readonly minNoticeMinutes?: number;
  readonly stepMinutes?: number;
  readonly limit: number;
  readonly partOfDay?: PartOfDay;
};

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/** For a single check; searches use the sweep in `findFreeSlots` instead. */
export function isFree(slot: Interval, busy: readonly Interval[]): boolean {
  return !busy.some((b) => overlaps(slot, b));
}

/** Sorted, disjoint, non-empty intervals covering the same time as `intervals`. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ start: interval.start, end: interval.end });
  }
  return merged;
}

/** The local minutes a meeting may occupy on a working day, or undefined when none remain. */
function dayBounds(hours: WorkingHours, partOfDay: PartOfDay | undefined): { lo: number; hi: number } | undefined {
  let lo = hours.startMinute;
  let hi = hours.endMinute;
  if (partOfDay === "morning") hi = Math.min(hi, NOON);
  if (partOfDay === "afternoon") [lo, hi] = [Math.max(lo, NOON), Math.min(hi, EVENING)];
  if (partOfDay === "evening") [lo, hi] = [Math.max(lo, EVENING), EVENING_END_MINUTE];
  return lo < hi ? { lo, hi } : undefined;
}

function checkOptions(options: FindFreeSlotsOptions, step: number): void {
  const { durationMinutes, workingHours: hours } = options;
  if (!(durationMinutes > 0 && durationMinutes <= 24 * 60)) {
    throw new Error(`findFreeSlots: durationMinutes must be 1..1440, got ${durationMinutes}`);
  }
  if (!(Number.isInteger(step) && step > 0)) throw new Error(`findFreeSlots: stepMinutes must be a positive integer`);
  if (!(hours.startMinute >= 0 && hours.endMinute <= 24 * 60 && hours.startMinute < hours.endMinute)) {
    throw new Error(`findFreeSlots: working hours must satisfy 0 <= startMinute < endMinute <= 1440`);
  }
}

/**
 * Free slots of `durationMinutes`, earliest first, at most `limit`. Starts
 * are aligned to `stepMinutes` from local midnight. Results are spread: the
 * first free slot of each day is taken before a second slot on any day, so a
 * week-long window offers Monday, Tuesday, Wednesday rather than three
 * back-to-back slots on Monday.
 */
export function findFreeSlots(options: FindFreeSlotsOptions): Slot[] {
  const { window, durationMinutes, workingHours: hours, now, limit, partOfDay } = options;
  const step = options.stepMinutes ?? 30;
  checkOptions(options, step);
  const earliest = Math.max(window.start, now + (options.minNoticeMinutes ?? 60) * MINUTE_MS);
  const latest = Math.min(window.end, earliest + MAX_SEARCH_DAYS * DAY_MS);
  const bounds = dayBounds(hours, partOfDay);
  const workingDay = new Set(hours.days);
  if (limit <= 0 || earliest >= latest || bounds === undefined || workingDay.size === 0) return [];

  const busy = mergeIntervals(options.busy.filter((b) => b.end > earliest && b.start < latest));
  const durationMs = durationMinutes * MINUTE_MS;
  const firstMinute = Math.ceil(bounds.lo / step) * step;
  const zone = hours.timeZone;

  const days: Slot[][] = [];
  let b = 0;
  let lastStart = -Infinity;
  const first = instantToLocal(earliest, zone);
  // Civil dates advance in UTC arithmetic, which has no DST; only instants go through the zone.
  for (let civil = Date.UTC(first.year, first.month - 1, first.day); days.length < limit; civil += DAY_MS) {
    const date = new Date(civil);
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const dayStart = localToInstant({ year, month, day, hour: 0, minute: 0 }, zone);
    if (dayStart >= latest) break;
    if (!workingDay.has(date.getUTCDay())) continue;
    // On the two DST days a year every candidate goes through the zone; on the rest, plain addition is exact.
    const regular = localToInstant({ year, month, day: day + 1, hour: 0, minute: 0 }, zone) - dayStart === DAY_MS;
    const found: Slot[] = [];
    for (let minute = firstMinute; minute + durationMinutes <= bounds.hi; minute += step) {
      const start = regular
        ? dayStart + minute * MINUTE_MS
        : localToInstant({ year, month, day, hour: 0, minute }, zone);
      const end = start + durationMs;
      if (end > latest) break;
      // A spring-forward gap can map two candidates to one instant, or put one before its predecessor.
      if (start < earliest || start <= lastStart) continue;
      while (b < busy.length && busy[b]!.end <= start) b++;
      if (b < busy.length && busy[b]!.start < end) continue;
      lastStart = start;
      found.push({ start, end });
    }
    if (found.length > 0) days.push(found);
  }
  return spread(days, limit);
}

/** One slot per day first, then the remaining slots earliest first, returned in time order. */
function spread(days: readonly Slot[][], limit: number): Slot[] {
  const picked = days.slice(0, limit).map((day) => day[0]!);
  for (const day of days) {
    for (const slot of day.slice(1)) {
      if (picked.length >= limit) break;
      picked.push(slot);
    }
  }
  return picked.sort((x, y) => x.start - y.start);
}
