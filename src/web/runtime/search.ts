import {
  addLocalDays,
  computeAvailability,
  searchSlots,
  toSlots,
  WEEKDAYS,
  type Interval,
  type CalendarEvent,
  type PartOfDay,
  type Preferences,
} from "../../agent";
import type { Slot } from "../../protocol/messages";

/** This side's free times within its preferences, for a proposal, a new round or a counter's suggestions. */

/**
 * Busy time on this device: the calendar (events, and the readable times of
 * damaged rows) and what meetings book or hold, kept apart because
 * preferences treat them differently (only meetings count toward the daily cap).
 */
export type Busy = { readonly calendar: readonly Interval[]; readonly meetings: readonly Interval[] };

/** Busy intervals as calendar events for the engine: plain blocks, so no title ever reaches its inputs. */
export function busyBlocks(intervals: readonly Interval[]): CalendarEvent[] {
  return intervals.map((interval, i) => ({
    id: `busy-${i}`,
    title: "",
    time: { kind: "timed", start: interval.start, end: interval.end },
    transparency: "busy",
  }));
}

export type FreeSlotsArgs = {
  preferences: Preferences;
  /** Calendar events; damaged rows' readable times included (fail closed). */
  busy: readonly Interval[];
  /** Booked meetings and holds: busy too, and counted toward the daily cap. */
  meetings?: readonly Interval[];
  durationMinutes: number;
  window: Interval;
  now: number;
  limit: number;
  partOfDay?: PartOfDay;
};

export function freeSlots(args: FreeSlotsArgs): Slot[] {
  const { preferences, busy, window, now, durationMinutes, limit } = args;
  const availability = computeAvailability({
    preferences: args.partOfDay === undefined ? preferences : forPartOfDay(preferences, args.partOfDay),
    events: busyBlocks(busy),
    meetings: args.meetings ?? [],
    window,
    now,
  });
  return toSlots(searchSlots({ availabilities: [availability], durationMinutes, window, now, limit }));
}

/** Free times over the coming weeks (the preferences' horizon), for rounds and suggestions. */
export function upcomingFreeSlots(
  preferences: Preferences,
  busy: Busy,
  durationMinutes: number,
  now: number,
  limit: number,
): Slot[] {
  const window = { start: now, end: addLocalDays(now, Math.min(preferences.horizonDays, 28), preferences.timeZone) };
  return freeSlots({ preferences, busy: busy.calendar, meetings: busy.meetings, durationMinutes, window, now, limit });
}

/** Local minutes of each part of the day; evenings go past working hours, as people asking for one mean. */
const PART_MINUTES: Record<PartOfDay, { start: number; end: number }> = {
  morning: { start: 0, end: 12 * 60 },
  afternoon: { start: 12 * 60, end: 17 * 60 },
  evening: { start: 17 * 60, end: 22 * 60 },
};

/** The preferences with each working day narrowed to the part of the day the human asked for. */
function forPartOfDay(preferences: Preferences, part: PartOfDay): Preferences {
  const { start, end } = PART_MINUTES[part];
  const workingHours = { ...preferences.workingHours };
  for (const day of WEEKDAYS) {
    const ranges = preferences.workingHours[day];
    if (ranges.length === 0) continue;
    workingHours[day] =
      part === "evening"
        ? [{ startMinute: start, endMinute: end }]
        : ranges.flatMap((r) => {
            const from = Math.max(r.startMinute, start);
            const to = Math.min(r.endMinute, end);
            return from < to ? [{ startMinute: from, endMinute: to }] : [];
          });
  }
  return { ...preferences, workingHours };
}
