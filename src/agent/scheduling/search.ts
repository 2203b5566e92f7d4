import type { Slot } from "../../protocol/messages/schema";
import type { Availability } from "../availability/types";
import { EVENING_END_MINUTE, MAX_SEARCH_DAYS, mergeIntervals, type Interval, type PartOfDay } from "./slots";
import { zoneOffsets } from "./offsets";
import { DAY_MS, instantToLocal, localToInstant, MINUTE_MS, offsetAt } from "./zoned";

/**
 * Slot search and ranking for two or more people (rules SR1..SR12 in
 * docs/protocol.md §3). Each side computes what fits it on its own device:
 * the organizer searches its own free time (and that of anyone whose
 * `Availability` it holds locally) with `searchSlots` and proposes the
 * candidate slots; each participant answers with `fitSlots`, the subset that
 * fits its free time; the organizer confirms `pickBest`. Only slots cross the
 * wire — never titles, busy intervals, scores or reasons.
 *
 * Cost: the free lists are intersected in one sweep, candidates are
 * enumerated only inside the common free time, and each person's free
 * interval and UTC offset are found by pointers that only move forward, so
 * time zone lookups (the expensive part: `Intl`) happen about once per person's
 * zone per day rather than once per candidate.
 */

/** A candidate with its rank. `score` and `reasons` are for the owner and never leave the device (see `toSlots`). */
export type RankedSlot = Slot & {
  /** 0..1, higher is better (SR3). */
  readonly score: number;
  /** Owner-facing, e.g. "morning, as you prefer"; empty when nothing stands out. */
  readonly reasons: readonly string[];
};

export type SearchSlotsOptions = {
  /** The organizer's availability first (its zone aligns the starts), then anyone else's known locally. */
  readonly availabilities: readonly Availability[];
  readonly durationMinutes: number;
  /** Slots lie entirely inside; `end` may be Infinity (the search stops after `MAX_SEARCH_DAYS`). */
  readonly window: Interval;
  /** Starts are multiples of this from local midnight in the organizer's zone; default `DEFAULT_SEARCH_STEP_MINUTES`. */
  readonly stepMinutes?: number;
  readonly limit: number;
  readonly now: number;
  /** Owner-facing names for `availabilities[1..]`, by index, used in reasons; `availabilities[0]` is "you". */
  readonly names?: readonly string[];
};

/**
 * Every UTC offset in use is a whole number of quarter hours (+05:45
 * Kathmandu, +08:45 Eucla, +12:45 Chatham), so a quarter-hour grid in the
 * organizer's zone is a quarter-hour grid in everyone's zone: a Kathmandu
 * participant whose free time starts at 09:00 can be met right at its start,
 * which a half-hour London grid (09:15 and 09:45 there) never can. It also
 * finds the fits a half-hour grid misses in calendars full of 45-minute
 * meetings. The ranking's fit term (SR5) keeps odd quarters for when they
 * close a gap; the proposal carries at most 10 slots, so a finer grid costs
 * nothing on the wire.
 */
export const DEFAULT_SEARCH_STEP_MINUTES = 15;
/** Free time left over shorter than this is a sliver nobody can book (the default meeting is 30 minutes). */
export const MIN_USEFUL_GAP_MINUTES = 30;
/** The soonness term halves every week after the earliest possible start. */
export const SOONNESS_HALF_LIFE_DAYS = 7;
/** SR3. Soonness leads, preference can outweigh about three weeks of delay, fit breaks the rest. */
export const SCORE_WEIGHTS = { soon: 0.4, preference: 0.35, fit: 0.25 } as const;

/** Local minutes [from, to) of each part of the day, as `findFreeSlots` reads them (SC10). */
const PARTS: readonly { readonly part: PartOfDay; readonly from: number; readonly to: number }[] = [
  { part: "morning", from: 0, to: 12 * 60 },
  { part: "afternoon", from: 12 * 60, to: 17 * 60 },
  { part: "evening", from: 17 * 60, to: EVENING_END_MINUTE },
];

type MutableInterval = { start: number; end: number };

/**
 * The time free in every list (SR9). Each list must be sorted and disjoint,
 * as `Availability.free` is; touching and empty intervals are tolerated, and
 * touching results are joined. One pointer per list only moves forward:
 * O(k·n) for k lists of n intervals in all, and no list is sorted or copied.
 * No lists at all give no time.
 */
export function intersectFree(lists: readonly (readonly Interval[])[]): Interval[] {
  const k = lists.length;
  const out: MutableInterval[] = [];
  if (k === 0) return out;
  const at = new Array<number>(k).fill(0);
  let lo = -Infinity;
  for (;;) {
    // Visit the lists in turn until k in a row have an interval containing `lo`; any that starts later raises `lo`.
    let agreed = 0;
    for (let j = 0; agreed < k; j = (j + 1) % k) {
      const list = lists[j]!;
      let i = at[j]!;
      while (i < list.length && (list[i]!.end <= lo || list[i]!.end <= list[i]!.start)) i++;
      at[j] = i;
      if (i === list.length) return out;
      const start = list[i]!.start;
      if (start > lo) {
        lo = start;
        agreed = 1;
      } else {
        agreed++;
      }
    }
    let hi = Infinity;
    for (let j = 0; j < k; j++) hi = Math.min(hi, lists[j]![at[j]!]!.end);
    const last = out[out.length - 1];
    if (last !== undefined && last.end === lo) last.end = hi;
    else out.push({ start: lo, end: hi });
    lo = hi;
  }
}

/**
 * The participant's side (SR7): the candidates that lie entirely inside one
 * of its free intervals, in the order given, as bare `{ start, end }` so that
 * nothing but the slots themselves goes into the reply.
 */
export function fitSlots(candidates: readonly Slot[], availability: Availability): Slot[] {
  const free = normalize(availability.free);
  const fits: Slot[] = [];
  for (const { start, end } of candidates) {
    if (!(start < end)) continue;
    const i = lastStartingBy(free, start);
    if (i >= 0 && end <= free[i]!.end) fits.push({ start, end });
  }
  return fits;
}

/**
 * The first candidate, in the organizer's ranking order, that every answer
 * contains (same start and end) (SR8); undefined when none. Slots in an
 * answer that were never proposed are ignored; with no answers, the first
 * candidate.
 */
export function pickBest<T extends Slot>(
  candidates: readonly T[],
  answers: readonly (readonly Slot[])[],
): T | undefined {
  const accepted = answers.map((answer) => new Set(answer.map(keyOf)));
  return candidates.find((candidate) => accepted.every((set) => set.has(keyOf(candidate))));
}

/** The bare slots of a ranking, in order: what a proposal carries (SR11). */
export function toSlots(ranked: readonly Slot[]): Slot[] {
  return ranked.map(({ start, end }) => ({ start, end }));
}

/**
 * Candidate slots free for everyone in `availabilities`, ranked (SR1..SR6):
 * starts on the organizer's step grid, score as SR3..SR5 define, spread over
 * days (SR6) and returned best first, ties earlier first.
 */
export function searchSlots(options: SearchSlotsOptions): RankedSlot[] {
  const { availabilities, durationMinutes, window, limit, now } = options;
  const step = options.stepMinutes ?? DEFAULT_SEARCH_STEP_MINUTES;
  checkOptions(options, step);
  const durationMs = durationMinutes * MINUTE_MS;
  const earliest = Math.max(window.start, now);
  const latest = Math.min(window.end, earliest + MAX_SEARCH_DAYS * DAY_MS);
  if (limit <= 0 || latest - earliest < durationMs) return [];

  const readers = new Map<string, OffsetReader>();
  const people = availabilities.map((availability) => person(availability, readers));
  const common = intersectFree(people.map((p) => overlapping(p.free, earliest, latest)))
    .map((c) => ({ start: Math.max(c.start, earliest), end: Math.min(c.end, latest) }))
    .filter((c) => c.end - c.start >= durationMs);
  if (common.length === 0) return [];

  const scorer = createScorer(people, earliest);
  const days: Candidate[][] = [];
  forEachStart(common, durationMs, step, people[0]!, (start, dayStart) => {
    const candidate = { start, end: start + durationMs, score: scorer.score(start, start + durationMs), day: dayStart };
    const group = days[days.length - 1];
    if (group !== undefined && group[0]!.day === dayStart) group.push(candidate);
    else days.push([candidate]);
  });
  const soonest = days[0]?.[0];
  if (soonest === undefined) return [];

  const picked = spread(days, limit);
  // Explained in time order, the scorer's pointers again only move forward.
  for (const p of people) p.hint = 0;
  const names = options.names ?? [];
  const reasons = new Map(
    [...picked]
      .sort((x, y) => x.start - y.start)
      .map((c) => [c.start, scorer.explain(c.start, c.end, c.start === soonest.start, names)] as const),
  );
  return picked.map(({ start, end, score }) => ({ start, end, score, reasons: reasons.get(start) ?? [] }));
}

type Candidate = { readonly start: number; readonly end: number; readonly score: number; readonly day: number };

/** Best first; equal scores earlier first (SR6). */
function byRank(x: Candidate, y: Candidate): number {
  return y.score - x.score || x.start - y.start;
}

/**
 * SR6: each day's candidates by rank, those overlapping a better one of the
 * same day last; then the k-th of every day before the (k+1)-th of any,
 * each round by rank; the picks are returned by rank.
 */
function spread(days: readonly Candidate[][], limit: number): Candidate[] {
  const orders = days.map((day) => {
    const ranked = [...day].sort(byRank);
    const distinct: Candidate[] = [];
    const overlapping: Candidate[] = [];
    // Once `limit` distinct ones are found, the rest cannot be picked.
    for (const c of ranked) {
      if (distinct.length >= limit) break;
      if (distinct.some((d) => c.start < d.end && d.start < c.end)) overlapping.push(c);
      else distinct.push(c);
    }
    return [...distinct, ...overlapping].slice(0, limit);
  });
  const picked: Candidate[] = [];
  for (let round = 0; picked.length < limit; round++) {
    const choices = orders.flatMap((order) => (round < order.length ? [order[round]!] : []));
    if (choices.length === 0) break;
    picked.push(...choices.sort(byRank).slice(0, limit - picked.length));
  }
  return picked.sort(byRank);
}

function checkOptions(options: SearchSlotsOptions, step: number): void {
  const { availabilities, durationMinutes, window, now, limit } = options;
  if (availabilities.length === 0) throw new Error("searchSlots: at least the organizer's availability is needed");
  // Whole minutes, so that slots are whole milliseconds as the wire schema wants.
  if (!(Number.isInteger(durationMinutes) && durationMinutes > 0 && durationMinutes <= 24 * 60)) {
    throw new Error(`searchSlots: durationMinutes must be an integer 1..1440, got ${durationMinutes}`);
  }
  if (!(Number.isInteger(step) && step > 0 && step <= 24 * 60)) {
    throw new Error(`searchSlots: stepMinutes must be an integer 1..1440, got ${step}`);
  }
  if (!Number.isFinite(now) || !Number.isFinite(window.start) || Number.isNaN(window.end) || Number.isNaN(limit)) {
    throw new Error("searchSlots: now, window.start and limit must be numbers");
  }
}

// ---- People: normalized free time, preferences and a cached offset reader ----

/** The UTC offset at an instant; fast when asked in increasing order. */
type OffsetReader = (instant: number) => number;

type Person = {
  readonly timeZone: string;
  readonly free: readonly Interval[];
  /** Per PARTS entry, SR4's weight; undefined without preferences. */
  readonly weights: readonly number[] | undefined;
  readonly preferred: readonly PartOfDay[];
  readonly read: OffsetReader;
  /** Index of the free interval holding the last slot scored. */
  hint: number;
};

function person(availability: Availability, readers: Map<string, OffsetReader>): Person {
  const { timeZone, preferredParts } = availability;
  let read = readers.get(timeZone);
  if (read === undefined) {
    const offsets = zoneOffsets(timeZone);
    read = (instant) => offsets.offsetAt(instant);
    readers.set(timeZone, read);
  }
  const n = preferredParts.length;
  const weights =
    n === 0
      ? undefined
      : PARTS.map(({ part }) => {
          const i = preferredParts.indexOf(part);
          return i < 0 ? 0 : 1 - i / n;
        });
  return { timeZone, free: normalize(availability.free), weights, preferred: preferredParts, read, hint: 0 };
}

/** Sorted, disjoint, non-touching, non-empty: as given when it already is (the usual case), else merged. */
function normalize(free: readonly Interval[]): readonly Interval[] {
  for (let i = 0; i < free.length; i++) {
    const interval = free[i]!;
    if (!(interval.start < interval.end) || (i > 0 && interval.start <= free[i - 1]!.end)) return mergeIntervals(free);
  }
  return free;
}

/** Index of the last interval starting at or before `instant`, or -1. */
function lastStartingBy(free: readonly Interval[], instant: number): number {
  let lo = 0;
  let hi = free.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (free[mid]!.start <= instant) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The intervals that overlap [from, to), without copying the rest of a long list more than once. */
function overlapping(free: readonly Interval[], from: number, to: number): readonly Interval[] {
  let first = lastStartingBy(free, from);
  if (first < 0 || free[first]!.end <= from) first++;
  const last = lastStartingBy(free, to - 1);
  return free.slice(first, last + 1);
}

// ---- The organizer's days and its step grid (SR2) ----

type Day = {
  /** The civil date as UTC midnight, for calendar arithmetic free of DST. */
  readonly civil: number;
  readonly start: number;
  readonly end: number;
  /** 24 hours from a real midnight: starts are plain sums. Otherwise each goes through the zone. */
  readonly regular: boolean;
  /** On a DST day, its aligned starts, computed once. */
  starts?: number[];
};

function midnight(civil: number, timeZone: string): number {
  const date = new Date(civil);
  return localToInstant(
    { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: 0, minute: 0 },
    timeZone,
  );
}

function makeDay(civil: number, start: number, timeZone: string, read: OffsetReader): Day {
  const offset = read(start);
  // A real midnight with the same offset 24 hours on means no change in between, so the next midnight is 24 hours on.
  const regular = (start + offset) % DAY_MS === 0 && read(start + DAY_MS) === offset;
  return { civil, start, end: regular ? start + DAY_MS : midnight(civil + DAY_MS, timeZone), regular };
}

function dayContaining(instant: number, timeZone: string, read: OffsetReader): Day {
  const local = instantToLocal(instant, timeZone);
  const civil = Date.UTC(local.year, local.month - 1, local.day);
  return makeDay(civil, midnight(civil, timeZone), timeZone, read);
}

function nextDay(day: Day, organizer: Person): Day {
  return makeDay(day.civil + DAY_MS, day.end, organizer.timeZone, organizer.read);
}

/**
 * Calls `visit` with every start on the organizer's grid whose slot lies in
 * one of `common` (sorted, disjoint), in increasing order, with the start of
 * its local day. Days are walked one after the next, each costing about one
 * `Intl` call, except across long stretches with no common time.
 */
function forEachStart(
  common: readonly Interval[],
  durationMs: number,
  step: number,
  organizer: Person,
  visit: (start: number, dayStart: number) => void,
): void {
  const { timeZone, read } = organizer;
  let day = dayContaining(common[0]!.start, timeZone, read);
  let previous = -Infinity;
  for (const c of common) {
    const lastStart = c.end - durationMs;
    while (day.end <= c.start) {
      day = c.start - day.end > 2 * DAY_MS ? dayContaining(c.start, timeZone, read) : nextDay(day, organizer);
    }
    for (;;) {
      for (const start of alignedStarts(
        day,
        step,
        Math.max(c.start, day.start),
        Math.min(lastStart, day.end - 1),
        timeZone,
      )) {
        // Belt and braces: a start that repeats or goes backwards across a DST change is dropped (SR2).
        if (start <= previous) continue;
        previous = start;
        visit(start, day.start);
      }
      if (lastStart < day.end) break;
      day = nextDay(day, organizer);
    }
  }
}

/** Starts in [from, to] that are `step` multiples after the day's local midnight, ascending. */
function alignedStarts(day: Day, step: number, from: number, to: number, timeZone: string): number[] {
  const starts: number[] = [];
  if (from > to) return starts;
  if (day.regular) {
    const stepMs = step * MINUTE_MS;
    for (let minute = Math.ceil((from - day.start) / stepMs) * step; minute < 24 * 60; minute += step) {
      const start = day.start + minute * MINUTE_MS;
      if (start > to) break;
      starts.push(start);
    }
    return starts;
  }
  day.starts ??= zonedStarts(day, step, timeZone);
  return day.starts.filter((start) => start >= from && start <= to);
}

/**
 * A DST day's starts: wall-clock minutes read as `localToInstant` reads them
 * (a gap moves them forward, SC2; a repeat keeps the first, SC3), but with the
 * day's one offset change found once instead of four `Intl` calls a minute.
 */
function zonedStarts(day: Day, step: number, timeZone: string): number[] {
  const before = offsetAt(day.start - 1, timeZone);
  const after = offsetAt(day.end - 1, timeZone);
  let change = Infinity;
  if (before !== after) {
    let lo = day.start - 1;
    let hi = day.end - 1;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(mid, timeZone) === before) lo = mid;
      else hi = mid;
    }
    change = hi;
  }
  const offset = (instant: number): number => (instant < change ? before : after);
  const [larger, smaller] = [Math.max(before, after), Math.min(before, after)];
  const starts: number[] = [];
  let previous = -Infinity;
  for (let minute = 0; minute < 24 * 60; minute += step) {
    const wall = day.civil + minute * MINUTE_MS;
    // The earlier reading that exists, else (in a gap) the offset from before it.
    const [first, second] = [wall - larger, wall - smaller];
    const start = offset(first) === larger ? first : offset(second) === smaller ? second : wall - before;
    if (start <= previous || start < day.start || start >= day.end) continue;
    previous = start;
    starts.push(start);
  }
  return starts;
}

// ---- Scoring (SR3..SR5) ----

type Scorer = {
  readonly score: (start: number, end: number) => number;
  readonly explain: (start: number, end: number, soonest: boolean, names: readonly string[]) => string[];
};

/** 0 for no leftover, 0.5 for a usable one, 1 for a sliver (SR5). */
function gapCost(leftoverMs: number): number {
  if (leftoverMs <= 0) return 0;
  return leftoverMs >= MIN_USEFUL_GAP_MINUTES * MINUTE_MS ? 0.5 : 1;
}

/** The wall-clock span of a slot in a person's zone, as ms since 1970-01-01 00:00 local. */
function wallSpan(p: Person, start: number, end: number): { ws: number; we: number } {
  const ws = start + p.read(start);
  const we = end + p.read(end);
  // Across a DST change the wall clock may stand still or go back; the slot still lasts its duration.
  return { ws, we: we > ws ? we : ws + (end - start) };
}

/** The part of the day a wall-clock span lies wholly inside, if any (parts never cross midnight). */
function wholePart(ws: number, we: number): PartOfDay | undefined {
  const base = Math.floor(ws / DAY_MS) * DAY_MS;
  return PARTS.find(({ from, to }) => base + from * MINUTE_MS <= ws && we <= base + to * MINUTE_MS)?.part;
}

/** SR4 for one person: the weights of the parts the wall-clock span falls in, by the fraction in each. */
function preferenceOf(weights: readonly number[], ws: number, we: number): number {
  const length = we - ws;
  let weighted = 0;
  for (let base = Math.floor(ws / DAY_MS) * DAY_MS; base < we; base += DAY_MS) {
    for (let k = 0; k < PARTS.length; k++) {
      const { from, to } = PARTS[k]!;
      const overlap = Math.min(we, base + to * MINUTE_MS) - Math.max(ws, base + from * MINUTE_MS);
      if (overlap > 0) weighted += (weights[k]! * overlap) / length;
    }
  }
  return Math.min(1, weighted);
}

/** The free interval of `p` holding [start, end); the caller guarantees there is one and asks in time order. */
function holding(p: Person, end: number): Interval {
  while (p.hint < p.free.length - 1 && p.free[p.hint]!.end < end) p.hint++;
  return p.free[p.hint]!;
}

function createScorer(people: readonly Person[], earliest: number): Scorer {
  const halfLifeMs = SOONNESS_HALF_LIFE_DAYS * DAY_MS;
  const score = (start: number, end: number): number => {
    let preference = 0;
    let caring = 0;
    let cost = 0;
    for (const p of people) {
      const free = holding(p, end);
      cost += (gapCost(start - free.start) + gapCost(free.end - end)) / 2;
      if (p.weights !== undefined) {
        const { ws, we } = wallSpan(p, start, end);
        preference += preferenceOf(p.weights, ws, we);
        caring++;
      }
    }
    const soon = 0.5 ** ((start - earliest) / halfLifeMs);
    const total =
      SCORE_WEIGHTS.soon * soon +
      SCORE_WEIGHTS.preference * (caring === 0 ? 0 : preference / caring) +
      SCORE_WEIGHTS.fit * (1 - cost / people.length);
    // Six decimals: equal by the formula means equal here, whatever the rounding of the terms.
    return Math.round(total * 1e6) / 1e6;
  };

  const explain = (start: number, end: number, soonest: boolean, names: readonly string[]): string[] => {
    const reasons: string[] = [];
    if (soonest) reasons.push("soonest possible");
    let unsplit = true;
    people.forEach((p, i) => {
      const free = holding(p, end);
      const [before, after] = [start - free.start, free.end - end];
      const sliver = gapCost(before) === 1 || gapCost(after) === 1;
      if (sliver || (before > 0 && after > 0)) unsplit = false;
      if (p.weights === undefined) return;
      const { ws, we } = wallSpan(p, start, end);
      const whole = wholePart(ws, we);
      if (whole === undefined || !p.preferred.includes(whole)) return;
      reasons.push(
        i === 0 ? `${whole}, as you prefer` : `${whole} for ${names[i] ?? `participant ${i + 1}`}, as preferred`,
      );
    });
    if (unsplit)
      reasons.push(people.length === 1 ? "doesn't split your free time" : "doesn't split anyone's free time");
    return reasons;
  };

  return { score, explain };
}

function keyOf(slot: Slot): string {
  return `${slot.start}/${slot.end}`;
}
