import { formatInstant } from "../scheduling/format";
import type { Interval } from "../scheduling/slots";
import { DAY_MS, MINUTE_MS } from "../scheduling/zoned";
import { forEachBusyInterval } from "./expand";
import { zoneOffsets, type ZoneOffsets } from "../scheduling/offsets";
import type { Availability, CalendarEvent, Preferences, Unavailability, Weekday } from "./types";

/**
 * One person's free time, and for the owner the reasons a time is not in it.
 * Free time is working time (the instants whose local wall-clock time falls
 * in that weekday's ranges), within the window, no sooner than the notice and
 * no later than the horizon allow, minus busy time widened by the buffers,
 * minus meeting-free days and days already at the daily cap. `explain`
 * checks the same conditions one by one for a single slot, so it finds no
 * reason exactly when the slot lies inside a free interval.
 */

/** A confirmed or held meeting: busy, and counted toward the daily cap on the local day it starts. */
export type MeetingTime = Interval & { readonly id?: string; readonly title?: string };

export type AvailabilityInput = {
  readonly preferences: Preferences;
  readonly events: readonly CalendarEvent[];
  readonly meetings: readonly MeetingTime[];
  readonly window: Interval;
  readonly now: number;
  /** Whether tentative events block time; default true. */
  readonly tentativeIsBusy?: boolean;
};

/** The same inputs for one slot; the window does not matter to a single slot. */
export type ExplainInput = Omit<AvailabilityInput, "window"> & { readonly slot: Interval };

/** The title a meeting without one is explained with. */
const MEETING_TITLE = "Meeting";

type Bounds = { readonly earliest: number; readonly latest: number };

function bounds(preferences: Preferences, zone: ZoneOffsets, now: number): Bounds {
  return {
    earliest: now + preferences.minNoticeMinutes * MINUTE_MS,
    latest: zone.addLocalDays(now, preferences.horizonDays),
  };
}

const weekdayOfDay = (day: number): Weekday => ((((day + 4) % 7) + 7) % 7) as Weekday;

/** Calls `visit` for each local day overlapping [from, to): its day number (days since 1970-01-01, local) and extent. */
function forEachLocalDay(
  zone: ZoneOffsets,
  from: number,
  to: number,
  visit: (day: number, start: number, end: number) => void,
): void {
  let day = Math.floor(zone.wallAt(from) / DAY_MS) - 1;
  let start = zone.toInstant(day * DAY_MS);
  while (start < to) {
    const end = zone.toInstant((day + 1) * DAY_MS);
    if (end > from && end > start) visit(day, start, end);
    day++;
    start = end;
  }
}

/** Working time overlapping [from, to), clipped to it, sorted, touching pieces merged. */
function workingTime(preferences: Preferences, zone: ZoneOffsets, from: number, to: number): Interval[] {
  const pieces: { start: number; end: number }[] = [];
  const add = (start: number, end: number): void => {
    const lo = Math.max(start, from);
    const hi = Math.min(end, to);
    if (lo >= hi) return;
    const last = pieces.at(-1);
    if (last !== undefined && last.end >= lo) last.end = Math.max(last.end, hi);
    else pieces.push({ start: lo, end: hi });
  };
  forEachLocalDay(zone, from, to, (day, dayStart, dayEnd) => {
    const ranges = preferences.workingHours[weekdayOfDay(day)];
    if (ranges.length === 0) return;
    const wall = day * DAY_MS;
    // Split the day where its offset changes, so each range covers exactly the instants whose wall clock is in it.
    let segmentStart = dayStart;
    let offset = zone.offsetAt(dayStart);
    const segment = (segmentEnd: number): void => {
      for (const { startMinute, endMinute } of ranges) {
        add(
          Math.max(segmentStart, wall + startMinute * MINUTE_MS - offset),
          Math.min(segmentEnd, wall + endMinute * MINUTE_MS - offset),
        );
      }
    };
    zone.changesBetween(dayStart, dayEnd, (at, next) => {
      segment(at);
      segmentStart = at;
      offset = next;
    });
    segment(dayEnd);
  });
  return pieces;
}

/** Meetings per local day (by start) in the owner's zone. */
function meetingsPerDay(meetings: readonly Interval[], zone: ZoneOffsets): Map<number, number> {
  const counts = new Map<number, number>();
  for (const meeting of meetings) {
    const day = Math.floor(zone.wallAt(meeting.start) / DAY_MS);
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  return counts;
}

/**
 * The union of intervals given as separately sorted starts and ends; intervals
 * that touch are joined. Sorting two typed arrays of numbers is several times
 * faster than sorting interval objects with a comparator.
 */
function union(starts: Float64Array, ends: Float64Array): Interval[] {
  starts.sort();
  ends.sort();
  const out: Interval[] = [];
  const n = starts.length;
  let i = 0;
  let j = 0;
  while (i < n) {
    const start = starts[i]!;
    let depth = 0;
    do {
      // Starts before ends at equal times, so touching intervals join.
      if (i < n && starts[i]! <= ends[j]!) {
        depth++;
        i++;
      } else {
        depth--;
        j++;
      }
    } while (depth > 0);
    out.push({ start, end: ends[j - 1]! });
  }
  return out;
}

/** `from` minus `minus`, both sorted and disjoint. */
function subtract(from: readonly Interval[], minus: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const interval of from) {
    let start = interval.start;
    while (j < minus.length && minus[j]!.end <= start) j++;
    let k = j;
    while (k < minus.length && minus[k]!.start < interval.end) {
      if (minus[k]!.start > start) out.push({ start, end: minus[k]!.start });
      start = Math.max(start, minus[k]!.end);
      k++;
    }
    if (start < interval.end) out.push({ start, end: interval.end });
  }
  return out;
}

/** Growable pair of typed arrays for interval starts and ends. */
class IntervalBuffer {
  starts = new Float64Array(1024);
  ends = new Float64Array(1024);
  length = 0;

  push(start: number, end: number): void {
    if (this.length === this.starts.length) {
      const starts = new Float64Array(this.length * 2);
      const ends = new Float64Array(this.length * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.length] = start;
    this.ends[this.length] = end;
    this.length++;
  }
}

/** Free time over `window`: sorted, disjoint, non-touching intervals in which a meeting may lie entirely. */
export function computeAvailability(input: AvailabilityInput): Availability {
  const { preferences, events, meetings, window, now } = input;
  const zone = zoneOffsets(preferences.timeZone);
  const { earliest, latest } = bounds(preferences, zone, now);
  const from = Math.max(window.start, earliest);
  const to = Math.min(window.end, latest);
  const result = (free: Interval[]): Availability => ({
    timeZone: preferences.timeZone,
    free,
    preferredParts: preferences.preferredParts,
  });
  if (!(from < to)) return result([]);

  const working = workingTime(preferences, zone, from, to);
  if (working.length === 0) return result([]);

  const before = preferences.bufferBeforeMinutes * MINUTE_MS;
  const after = preferences.bufferAfterMinutes * MINUTE_MS;
  const tentativeIsBusy = input.tentativeIsBusy ?? true;
  const blocked = new IntervalBuffer();
  // A meeting needs [start - before, end + after) clear, so busy [s, e) rules out any meeting overlapping [s - after, e + before).
  const relevant = { start: working[0]!.start - before, end: working.at(-1)!.end + after };
  forEachBusyInterval(events, { timeZone: preferences.timeZone, window: relevant }, (start, end, _event, tentative) => {
    if (tentativeIsBusy || !tentative) blocked.push(start - after, end + before);
  });
  for (const meeting of meetings) {
    if (meeting.end > meeting.start) blocked.push(meeting.start - after, meeting.end + before);
  }
  const perDay = meetingsPerDay(meetings, zone);
  const meetingFree = new Set<number>(preferences.meetingFreeDays);
  forEachLocalDay(zone, from, to, (day, start, end) => {
    if (meetingFree.has(weekdayOfDay(day)) || (perDay.get(day) ?? 0) >= preferences.maxMeetingsPerDay) {
      blocked.push(start, end);
    }
  });
  const busy = union(blocked.starts.subarray(0, blocked.length), blocked.ends.subarray(0, blocked.length));
  return result(subtract(working, busy));
}

const overlaps = (a: Interval, b: Interval): boolean => a.start < b.end && b.start < a.end;

/**
 * Every reason `slot` is not free, for the owner (event titles included):
 * busy and buffer conflicts first, in time order, then working hours,
 * meeting-free day, daily cap, notice (or "in the past") and horizon. Empty
 * exactly when `computeAvailability` over any window containing the slot
 * puts it inside a free interval.
 */
export function explain(input: ExplainInput): Unavailability[] {
  const { preferences, events, meetings, now, slot } = input;
  if (!(Number.isFinite(slot.start) && Number.isFinite(slot.end) && slot.start < slot.end)) {
    throw new Error("explain: the slot must be a finite, non-empty interval");
  }
  const zone = zoneOffsets(preferences.timeZone);
  const before = preferences.bufferBeforeMinutes * MINUTE_MS;
  const after = preferences.bufferAfterMinutes * MINUTE_MS;
  const tentativeIsBusy = input.tentativeIsBusy ?? true;
  const reasons: Unavailability[] = [];

  type Conflict = { start: number; reason: Unavailability; key: string };
  const conflicts: Conflict[] = [];
  const consider = (start: number, end: number, eventId: string, title: string, tentative: boolean): void => {
    if (overlaps({ start, end }, slot)) {
      conflicts.push({ start, reason: { kind: "busy", eventId, title, tentative }, key: `busy ${eventId}` });
    } else if (overlaps({ start: start - after, end: end + before }, slot)) {
      conflicts.push({ start, reason: { kind: "buffer", eventId, title }, key: `buffer ${eventId}` });
    }
  };
  const relevant = { start: slot.start - before, end: slot.end + after };
  forEachBusyInterval(events, { timeZone: preferences.timeZone, window: relevant }, (start, end, event, tentative) => {
    if (tentativeIsBusy || !tentative) consider(start, end, event.id, event.title, tentative);
  });
  for (const meeting of meetings) {
    if (meeting.end > meeting.start) {
      consider(meeting.start, meeting.end, meeting.id ?? "", meeting.title ?? MEETING_TITLE, false);
    }
  }
  const seen = new Set<string>();
  for (const { reason, key } of conflicts.sort((a, b) => a.start - b.start)) {
    if (!seen.has(key)) reasons.push(reason);
    seen.add(key);
  }

  const working = workingTime(preferences, zone, slot.start - DAY_MS, slot.end + DAY_MS);
  if (!working.some((w) => w.start <= slot.start && slot.end <= w.end)) reasons.push({ kind: "outside-working-hours" });

  const meetingFree = new Set<number>(preferences.meetingFreeDays);
  const perDay = meetingsPerDay(meetings, zone);
  let meetingFreeDay = false;
  const capped: Unavailability[] = [];
  forEachLocalDay(zone, slot.start, slot.end, (day) => {
    meetingFreeDay ||= meetingFree.has(weekdayOfDay(day));
    const count = perDay.get(day) ?? 0;
    if (count >= preferences.maxMeetingsPerDay) {
      capped.push({ kind: "daily-cap", count, max: preferences.maxMeetingsPerDay });
    }
  });
  if (meetingFreeDay) reasons.push({ kind: "meeting-free-day" });
  reasons.push(...capped);

  const { earliest, latest } = bounds(preferences, zone, now);
  if (slot.start < now) reasons.push({ kind: "in-the-past" });
  else if (slot.start < earliest) reasons.push({ kind: "minimum-notice", earliest });
  if (slot.end > latest) reasons.push({ kind: "beyond-horizon", latest });
  return reasons;
}

/** An event title inside a sentence: one line, quoted. */
const quoted = (text: string): string => `"${text.replace(/\s+/g, " ").trim()}"`;

/** One plain sentence for the owner, times in `timeZone`. Never send it to anyone else: see `redactedReason`. */
export function describeUnavailability(reason: Unavailability, timeZone: string): string {
  switch (reason.kind) {
    case "busy":
      return `You're busy: ${quoted(reason.title)}${reason.tentative ? " (tentative)" : ""}.`;
    case "buffer":
      return `It's too close to ${quoted(reason.title)} for the buffer you keep around meetings.`;
    case "outside-working-hours":
      return "It's outside your working hours.";
    case "meeting-free-day":
      return "It's on one of your meeting-free days.";
    case "minimum-notice":
      return `It's too soon: the earliest you take meetings is ${formatInstant(reason.earliest, timeZone)}.`;
    case "beyond-horizon":
      return `It's too far ahead: you take meetings until ${formatInstant(reason.latest, timeZone)}.`;
    case "daily-cap":
      return `You already have ${reason.count} ${reason.count === 1 ? "meeting" : "meetings"} that day; your limit is ${reason.max}.`;
    case "in-the-past":
      return "That time has already passed.";
  }
}

/** All that anyone but the owner ever learns about why a time does not work. */
export function redactedReason(): "not available" {
  return "not available";
}
