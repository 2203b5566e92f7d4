import type { Interval, PartOfDay } from "../scheduling/slots";

/**
 * The contract between a person's calendar and preferences (private, on
 * their device) and the slot search: who is free when, and — for the owner
 * only — why not. Pure data; times are epoch milliseconds, days are local
 * to the owner's IANA time zone.
 */

/** 0 = Sunday .. 6 = Saturday, as `Date#getUTCDay` counts civil dates. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** Minutes after local midnight, [startMinute, endMinute). */
export type MinuteRange = { readonly startMinute: number; readonly endMinute: number };

export type Preferences = {
  readonly timeZone: string;
  /** Per weekday, the ranges meetings may occupy; an empty list is a day off. */
  readonly workingHours: Readonly<Record<Weekday, readonly MinuteRange[]>>;
  readonly bufferBeforeMinutes: number;
  readonly bufferAfterMinutes: number;
  /** No meeting may start sooner than this after now. */
  readonly minNoticeMinutes: number;
  /** No meeting may end later than this many days after now. */
  readonly horizonDays: number;
  /** Meetings (confirmed or held) per local day at most. */
  readonly maxMeetingsPerDay: number;
  /** Preferred parts of the day, best first; empty means no preference. Ranking only, never a filter. */
  readonly preferredParts: readonly PartOfDay[];
  /** Weekdays on which no meeting is taken, whatever the working hours say. */
  readonly meetingFreeDays: readonly Weekday[];
};

/** How an event occupies its time. Free events (and declined ones) never block. */
export type Transparency = "busy" | "tentative" | "free";

export type EventTime =
  | { readonly kind: "timed"; readonly start: number; readonly end: number }
  /** Whole local days in the owner's zone: `startDate` inclusive, `endDate` exclusive (iCalendar's DATE form). */
  | { readonly kind: "all-day"; readonly startDate: string; readonly endDate: string };

export type Recurrence = {
  /** RFC 5545 RRULE value, without "RRULE:" (e.g. "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270101T000000Z"). */
  readonly rrule: string;
  /** Wall-clock time of the series is kept in this zone across DST changes. */
  readonly timeZone: string;
  /** Occurrence start instants (timed) or dates (all-day, "YYYY-MM-DD") that do not happen. */
  readonly exdates: readonly (number | string)[];
  /** Occurrences moved or cancelled, keyed by their original start (RECURRENCE-ID). */
  readonly overrides: readonly {
    readonly recurrenceId: number | string;
    readonly time?: EventTime;
    readonly transparency?: Transparency;
    readonly cancelled?: boolean;
  }[];
};

export type CalendarEvent = {
  readonly id: string;
  /** Private: shown to the owner in explanations, never sent. */
  readonly title: string;
  readonly time: EventTime;
  readonly transparency: Transparency;
  readonly recurrence?: Recurrence;
};

/** A busy interval with the event it came from (for explanations); buffers are separate. */
export type BusyInterval = Interval & { readonly eventId: string; readonly title: string; readonly tentative: boolean };

/** Why a time does not work, for the owner. Others only ever learn "not available". */
export type Unavailability =
  | { readonly kind: "busy"; readonly eventId: string; readonly title: string; readonly tentative: boolean }
  | { readonly kind: "buffer"; readonly eventId: string; readonly title: string }
  | { readonly kind: "outside-working-hours" }
  | { readonly kind: "meeting-free-day" }
  | { readonly kind: "minimum-notice"; readonly earliest: number }
  | { readonly kind: "beyond-horizon"; readonly latest: number }
  | { readonly kind: "daily-cap"; readonly count: number; readonly max: number }
  | { readonly kind: "in-the-past" };

/** One person's availability over a window, computed locally. */
export type Availability = {
  readonly timeZone: string;
  /** Sorted, disjoint intervals inside which a meeting may lie entirely (working hours, minus busy time with buffers, within notice and horizon, minus capped days). */
  readonly free: readonly Interval[];
  readonly preferredParts: readonly PartOfDay[];
};
