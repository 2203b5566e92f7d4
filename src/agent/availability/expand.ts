import type { Interval } from "../scheduling/slots";
import { DAY_MS } from "../scheduling/zoned";
import { zoneOffsets, type ZoneOffsets } from "../scheduling/offsets";
import { occurrences, parseRule, type ParsedRule } from "./recurrence";
import type { BusyInterval, CalendarEvent, EventTime, Transparency } from "./types";

/**
 * A calendar's events as the busy intervals they make within a window: free
 * events give none, tentative ones are flagged, all-day events are whole
 * local days in the owner's zone (23 or 25 hours on DST days), and a series
 * is expanded occurrence by occurrence at its wall-clock time in its own
 * zone, minus EXDATEs, with overridden occurrences moved, cancelled or made
 * free. Events are the owner's already-validated data: a malformed date or
 * RRULE is a bug upstream and throws, naming `expandEvents` and the event.
 */

export type ExpandOptions = {
  /** The owner's IANA zone: all-day events cover whole local days here. */
  readonly timeZone: string;
  /** Busy intervals overlapping this window are returned whole (not clipped). */
  readonly window: Interval;
  /** At most this many occurrences of one series in the window; past that the series blocks the rest of the window. */
  readonly maxOccurrencesPerEvent?: number;
};

/** A series denser than this in one window is pathological (every 15 minutes for three weeks). */
export const MAX_OCCURRENCES_PER_EVENT = 2_000;

/** Called once per busy interval; `event` is the series for occurrences and the override's series for overrides. */
export type BusyVisitor = (start: number, end: number, event: CalendarEvent, tentative: boolean) => void;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(date: string, event: CalendarEvent): number {
  const match = DATE.exec(date);
  const ms = match === null ? NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (match === null || new Date(ms).getUTCDate() !== Number(match[3])) {
    throw new Error(`expandEvents: event "${event.id}" has an invalid date "${date}"`);
  }
  return ms;
}

/** "YYYY-MM-DD" of a floating time. */
function dateKey(wall: number): string {
  return new Date(wall).toISOString().slice(0, 10);
}

type Context = {
  readonly owner: ZoneOffsets;
  readonly window: Interval;
  readonly cap: number;
  readonly visit: BusyVisitor;
};

function timeInterval(time: EventTime, event: CalendarEvent, owner: ZoneOffsets): Interval {
  if (time.kind === "timed") return { start: time.start, end: time.end };
  return {
    start: owner.toInstant(parseDate(time.startDate, event)),
    end: owner.toInstant(parseDate(time.endDate, event)),
  };
}

function single(time: EventTime, transparency: Transparency, event: CalendarEvent, context: Context): void {
  if (transparency === "free") return;
  const { start, end } = timeInterval(time, event, context.owner);
  if (end > start && start < context.window.end && end > context.window.start) {
    context.visit(start, end, event, transparency === "tentative");
  }
}

function series(event: CalendarEvent, recurrence: NonNullable<CalendarEvent["recurrence"]>, context: Context): void {
  const parsed = parseRule(recurrence.rrule);
  if (!parsed.ok) throw new Error(`expandEvents: event "${event.id}" has an invalid RRULE: ${parsed.error}`);
  const rule: ParsedRule = parsed.value;
  const { owner, window } = context;
  const timed = event.time.kind === "timed";
  // Timed series keep their wall-clock time in their own zone; all-day ones are dates in the owner's.
  let zone: ZoneOffsets;
  try {
    zone = timed ? zoneOffsets(recurrence.timeZone) : owner;
  } catch (cause) {
    throw new Error(`expandEvents: event "${event.id}" has an unknown time zone`, { cause });
  }
  let dtstart: number;
  let length: number;
  if (event.time.kind === "timed") {
    dtstart = zone.wallAt(event.time.start);
    length = event.time.end - event.time.start;
  } else {
    dtstart = parseDate(event.time.startDate, event);
    length = parseDate(event.time.endDate, event) - dtstart;
  }
  const until = rule.until;
  const untilWall =
    until === undefined
      ? undefined
      : until.kind === "utc"
        ? zone.wallAt(until.value)
        : // A bare date ends a timed series after that whole day.
          until.kind === "date" && timed
          ? until.value + DAY_MS - 1
          : until.value;

  // Occurrences are matched by start instant or by local date; the lists are short, so plain arrays.
  const exInstants: number[] = [];
  const exDates: string[] = [];
  for (const exdate of recurrence.exdates) {
    if (typeof exdate === "number") exInstants.push(exdate);
    else exDates.push(dateKey(parseDate(exdate, event)));
  }
  const movedInstants: number[] = [];
  const movedDates: string[] = [];
  for (const { recurrenceId } of recurrence.overrides) {
    if (typeof recurrenceId === "number") movedInstants.push(recurrenceId);
    else movedDates.push(dateKey(parseDate(recurrenceId, event)));
  }
  const excluded = (start: number, wall: number): boolean =>
    exInstants.includes(start) || (exDates.length > 0 && exDates.includes(dateKey(wall)));

  if (event.transparency !== "free" && length > 0) {
    // Floating and real time differ by under a day; a day's margin either side catches every overlap.
    const found = occurrences(
      rule,
      dtstart,
      untilWall,
      window.start - length - DAY_MS,
      window.end + DAY_MS,
      context.cap,
    );
    const tentative = event.transparency === "tentative";
    for (const wall of found.starts) {
      // Timed occurrences last as long as the first; all-day ones as many local days.
      const start = zone.toInstant(wall);
      const end = timed ? start + length : zone.toInstant(wall + length);
      if (!(start < window.end && end > window.start)) continue;
      if (excluded(start, wall) || movedInstants.includes(start)) continue;
      if (movedDates.length > 0 && movedDates.includes(dateKey(wall))) continue;
      context.visit(start, end, event, tentative);
    }
    const last = found.starts.at(-1);
    if (found.capped && last !== undefined) {
      // Too dense to list: rather than offer time it may hold, the series holds the rest of the window.
      context.visit(zone.toInstant(last), window.end, event, tentative);
    }
  }

  const timeOfDay = timed ? dtstart - Math.floor(dtstart / DAY_MS) * DAY_MS : 0;
  for (const override of recurrence.overrides) {
    if (override.cancelled === true) continue;
    const id = override.recurrenceId;
    // The occurrence the override replaces, for its time when the override keeps it and for EXDATE.
    const wall =
      typeof id === "string"
        ? parseDate(id, event) + timeOfDay
        : timed
          ? zone.wallAt(id)
          : Math.floor(zone.wallAt(id) / DAY_MS) * DAY_MS;
    const start = zone.toInstant(wall);
    const end = timed ? start + length : zone.toInstant(wall + length);
    // EXDATE wins over an override.
    if (excluded(start, wall)) continue;
    const time: EventTime = override.time ?? { kind: "timed", start, end };
    single(time, override.transparency ?? event.transparency, event, context);
  }
}

/** Calls `visit` for every busy interval overlapping `options.window`, in no particular order. */
export function forEachBusyInterval(
  events: readonly CalendarEvent[],
  options: ExpandOptions,
  visit: BusyVisitor,
): void {
  const context: Context = {
    owner: zoneOffsets(options.timeZone),
    window: options.window,
    cap: options.maxOccurrencesPerEvent ?? MAX_OCCURRENCES_PER_EVENT,
    visit,
  };
  for (const event of events) {
    if (event.recurrence === undefined) single(event.time, event.transparency, event, context);
    else series(event, event.recurrence, context);
  }
}

/** The busy intervals of `events` overlapping the window, sorted by start (then end). */
export function expandEvents(events: readonly CalendarEvent[], options: ExpandOptions): BusyInterval[] {
  const busy: BusyInterval[] = [];
  forEachBusyInterval(events, options, (start, end, event, tentative) => {
    busy.push({ start, end, eventId: event.id, title: event.title, tentative });
  });
  return busy.sort((a, b) => a.start - b.start || a.end - b.end);
}
