import { DAY_MS, MINUTE_MS, offsetAt } from "./zoned";

/**
 * The same answers as `offsetAt` and `localToInstant` in zoned.ts, fast: a
 * zone's offset changes are found once per calendar year (a daily scan, then
 * bisection to the second) and kept, so converting the thousands of instants
 * an availability computation needs costs an array look-up each instead of
 * several `Intl` calls. Like zoned.ts it assumes a zone changes its offset at
 * most once within any day.
 */

/** One UTC calendar year of a zone: `offsets[i]` applies from `at[i]` (whole seconds) until `at[i + 1]`. */
type YearTable = { readonly from: number; readonly to: number; readonly at: number[]; readonly offsets: number[] };

export type ZoneOffsets = {
  readonly timeZone: string;
  /** `offsetAt(ms, timeZone)`. */
  offsetAt(ms: number): number;
  /** The wall clock at `ms`, as if it were UTC ("floating" time). */
  wallAt(ms: number): number;
  /** `localToInstant` for a floating wall-clock time: gaps move forward by their length, repeated times mean the first. */
  toInstant(wall: number): number;
  /** `addLocalDays(ms, days, timeZone)`: the same wall-clock time `days` local days later. */
  addLocalDays(ms: number, days: number): number;
  /** Calls `visit` with each offset change in (from, to), in order: its instant and the offset from then on. */
  changesBetween(from: number, to: number, visit: (at: number, offset: number) => void): void;
};

const zones = new Map<string, ZoneOffsets>();

const AVERAGE_YEAR_MS = 365.2425 * DAY_MS;

function utcYear(ms: number): number {
  // Within a day of the truth, then corrected: cheaper than a Date per look-up.
  let year = Math.floor(ms / AVERAGE_YEAR_MS) + 1970;
  if (ms < Date.UTC(year, 0, 1)) year--;
  else if (ms >= Date.UTC(year + 1, 0, 1)) year++;
  return year;
}

function buildYear(timeZone: string, year: number): YearTable {
  const from = Date.UTC(year, 0, 1);
  const to = Date.UTC(year + 1, 0, 1);
  const at = [from];
  const offsets = [offsetAt(from, timeZone)];
  let previous = from;
  let previousOffset = offsets[0]!;
  while (previous < to) {
    const next = Math.min(previous + DAY_MS, to);
    const offset = offsetAt(next, timeZone);
    if (offset !== previousOffset) {
      // The first whole second in (previous, next] with the new offset.
      let lo = previous;
      let hi = next;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetAt(mid, timeZone) === previousOffset) lo = mid;
        else hi = mid;
      }
      // A change exactly at the year's end is the next year's first offset.
      if (hi < to) {
        at.push(hi);
        offsets.push(offsetAt(hi, timeZone));
      }
      previousOffset = offset;
    }
    previous = next;
  }
  return { from, to, at, offsets };
}

function createZoneOffsets(timeZone: string): ZoneOffsets {
  // Validates the zone (throws `zoned: unknown time zone`) before anything is cached.
  offsetAt(0, timeZone);
  const years = new Map<number, YearTable>();
  let last: YearTable | undefined;

  const tableFor = (ms: number): YearTable => {
    if (last !== undefined && ms >= last.from && ms < last.to) return last;
    const year = utcYear(ms);
    let table = years.get(year);
    if (table === undefined) {
      table = buildYear(timeZone, year);
      years.set(year, table);
    }
    last = table;
    return table;
  };

  const offsetAtFast = (ms: number): number => {
    if (!Number.isFinite(ms)) return offsetAt(ms, timeZone);
    const { at, offsets } = tableFor(ms);
    let i = at.length - 1;
    while (i > 0 && ms < at[i]!) i--;
    return offsets[i]!;
  };

  const toInstant = (wall: number): number => {
    // The algorithm of `localToInstant`, step for step, so the two agree exactly.
    const before = offsetAtFast(wall - DAY_MS);
    const after = offsetAtFast(wall + DAY_MS);
    if (before === after) return wall - before;
    const high = Math.max(before, after);
    const low = Math.min(before, after);
    if (offsetAtFast(wall - high) === high) return wall - high;
    if (offsetAtFast(wall - low) === low) return wall - low;
    return wall - before;
  };

  return {
    timeZone,
    offsetAt: offsetAtFast,
    wallAt: (ms) => ms + offsetAtFast(ms),
    toInstant,
    addLocalDays(ms, days) {
      // As zoned.ts: the wall clock to the minute, moved by whole days, back to an instant, plus the instant's seconds.
      const wall = Math.floor((ms + offsetAtFast(ms)) / MINUTE_MS) * MINUTE_MS;
      return toInstant(wall + days * DAY_MS) + (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    },
    changesBetween(from, to, visit) {
      const table = tableFor(from);
      if (to <= table.to) {
        // The usual case, a day within one year: most years have two changes, many none.
        for (let i = 1; i < table.at.length; i++) {
          const change = table.at[i]!;
          if (change > from && change < to) visit(change, table.offsets[i]!);
        }
        return;
      }
      for (let year = utcYear(from); year <= utcYear(to); year++) {
        const table = tableFor(Date.UTC(year, 6, 1));
        // A change exactly at the start of a year is that year's first offset rather than an entry of `at`.
        if (table.from > from && table.from < to && offsetAtFast(table.from - 1) !== table.offsets[0]) {
          visit(table.from, table.offsets[0]!);
        }
        for (let i = 1; i < table.at.length; i++) {
          const change = table.at[i]!;
          if (change > from && change < to) visit(change, table.offsets[i]!);
        }
      }
    },
  };
}

/** The cached conversions for `timeZone`; throws `zoned: unknown time zone` for a zone `Intl` does not know. */
export function zoneOffsets(timeZone: string): ZoneOffsets {
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    zone = createZoneOffsets(timeZone);
    zones.set(timeZone, zone);
  }
  return zone;
}
