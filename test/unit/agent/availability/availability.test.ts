import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computeAvailability,
  describeUnavailability,
  explain,
  redactedReason,
  type AvailabilityInput,
  type MeetingTime,
} from "../../../../src/agent/availability/availability";
import { expandEvents } from "../../../../src/agent/availability/expand";
import { DEFAULT_PREFERENCES } from "../../../../src/agent/availability/preferences";
import type { CalendarEvent, Preferences, Unavailability, Weekday } from "../../../../src/agent/availability/types";
import { formatSlot } from "../../../../src/agent/scheduling/format";
import type { Interval } from "../../../../src/agent/scheduling/slots";
import { addLocalDays, instantToLocal, localDay } from "../../../../src/agent/scheduling/zoned";
import { at, HOUR, MINUTE } from "../support";

const LONDON = "Europe/London";
const NY = "America/New_York";
const LORD_HOWE = "Australia/Lord_Howe";
const KATHMANDU = "Asia/Kathmandu";
const CHATHAM = "Pacific/Chatham";
const DAY = 24 * HOUR;

const london = (month: number, day: number, hour = 0, minute = 0): number => at(LONDON, 2026, month, day, hour, minute);
// Monday 2 March 2026 in London (GMT): Sunday 1 March 12:00 is "now", Monday's working day is the window.
const NOW = london(3, 1, 12);
const MONDAY = { start: london(3, 2), end: london(3, 3) };

const timed = (id: string, start: number, minutes: number, extra: Partial<CalendarEvent> = {}): CalendarEvent => ({
  id,
  title: id,
  time: { kind: "timed", start, end: start + minutes * MINUTE },
  transparency: "busy",
  ...extra,
});

const input = (overrides: Partial<AvailabilityInput> & { prefs?: Partial<Preferences> } = {}): AvailabilityInput => {
  const { prefs, ...rest } = overrides;
  return {
    preferences: { ...DEFAULT_PREFERENCES(LONDON), ...prefs },
    events: [],
    meetings: [],
    window: MONDAY,
    now: NOW,
    ...rest,
  };
};

const free = (args: Partial<AvailabilityInput> & { prefs?: Partial<Preferences> } = {}, zone = LONDON): string[] =>
  computeAvailability(input(args)).free.map((f) => formatSlot(f, zone));

const reasons = (
  slot: Interval,
  args: Partial<AvailabilityInput> & { prefs?: Partial<Preferences> } = {},
): Unavailability[] => explain({ ...input(args), slot });

describe("computeAvailability: each preference", () => {
  const dentist = timed("Dentist", london(3, 2, 12), 60);
  it.each<[string, Partial<AvailabilityInput> & { prefs?: Partial<Preferences> }, string[]]>([
    ["[AV1] the defaults: the working day", {}, ["Mon 2 Mar 09:00–17:00"]],
    [
      "[AV3] working hours per weekday, several ranges a day",
      {
        prefs: {
          workingHours: {
            0: [],
            1: [
              { startMinute: 480, endMinute: 720 },
              { startMinute: 780, endMinute: 1080 },
            ],
            2: [],
            3: [],
            4: [],
            5: [],
            6: [],
          },
        },
      },
      ["Mon 2 Mar 08:00–12:00", "Mon 2 Mar 13:00–18:00"],
    ],
    [
      "[AV3] a weekday with no ranges is a day off",
      { prefs: { workingHours: { ...DEFAULT_PREFERENCES(LONDON).workingHours, 1: [] } } },
      [],
    ],
    [
      "[AV5] no buffers: a meeting may touch a busy event",
      { events: [dentist] },
      ["Mon 2 Mar 09:00–12:00", "Mon 2 Mar 13:00–17:00"],
    ],
    [
      "[AV5] buffers: clear time before and after the new meeting",
      { events: [dentist], prefs: { bufferBeforeMinutes: 15, bufferAfterMinutes: 10 } },
      // A meeting must end 10 minutes before the dentist and start 15 minutes after.
      ["Mon 2 Mar 09:00–11:50", "Mon 2 Mar 13:15–17:00"],
    ],
    [
      "[AV4] minimum notice",
      { now: london(3, 2, 10, 10), prefs: { minNoticeMinutes: 120 } },
      ["Mon 2 Mar 12:10–17:00"],
    ],
    ["[AV4] no notice", { now: london(3, 2, 10, 10), prefs: { minNoticeMinutes: 0 } }, ["Mon 2 Mar 10:10–17:00"]],
    ["[AV4] the horizon", { now: london(3, 1, 14, 30), prefs: { horizonDays: 1 } }, ["Mon 2 Mar 09:00–14:30"]],
    ["[AV6] a meeting-free day", { prefs: { meetingFreeDays: [1] } }, []],
    ["[AV6] another day's meeting-free day", { prefs: { meetingFreeDays: [0, 2] } }, ["Mon 2 Mar 09:00–17:00"]],
    [
      "[AV6] meetings are busy and count toward the cap",
      { meetings: [{ start: london(3, 2, 10), end: london(3, 2, 11) }], prefs: { maxMeetingsPerDay: 2 } },
      ["Mon 2 Mar 09:00–10:00", "Mon 2 Mar 11:00–17:00"],
    ],
    [
      "[AV6] a day at the cap is gone",
      { meetings: [{ start: london(3, 2, 10), end: london(3, 2, 11) }], prefs: { maxMeetingsPerDay: 1 } },
      [],
    ],
    [
      "[AV6] a meeting counts on the local day it starts",
      { meetings: [{ start: london(3, 1, 23, 30), end: london(3, 2, 0, 30) }], prefs: { maxMeetingsPerDay: 1 } },
      ["Mon 2 Mar 09:00–17:00"],
    ],
    [
      "[AV7] tentative events block by default",
      { events: [timed("Maybe", london(3, 2, 9), 480, { transparency: "tentative" })] },
      [],
    ],
    [
      "[AV7] … unless told otherwise",
      { events: [timed("Maybe", london(3, 2, 9), 480, { transparency: "tentative" })], tentativeIsBusy: false },
      ["Mon 2 Mar 09:00–17:00"],
    ],
    [
      "[AV7] free events never block",
      { events: [timed("Focus", london(3, 2, 9), 480, { transparency: "free" })] },
      ["Mon 2 Mar 09:00–17:00"],
    ],
    [
      "[AV7] all-day events block the whole local day",
      {
        events: [
          {
            id: "Off",
            title: "Off",
            time: { kind: "all-day", startDate: "2026-03-02", endDate: "2026-03-03" },
            transparency: "busy",
          },
        ],
      },
      [],
    ],
    [
      "[AV8] recurring events block each occurrence",
      {
        events: [
          timed("Standup", london(2, 2, 9, 30), 15, {
            recurrence: { rrule: "FREQ=DAILY", timeZone: LONDON, exdates: [], overrides: [] },
          }),
        ],
      },
      ["Mon 2 Mar 09:00–09:30", "Mon 2 Mar 09:45–17:00"],
    ],
    [
      "[AV4] the window clips",
      { window: { start: london(3, 2, 10), end: london(3, 2, 11) } },
      ["Mon 2 Mar 10:00–11:00"],
    ],
    ["[AV4] a window in the past is empty", { window: { start: london(2, 2), end: london(2, 3) } }, []],
  ])("%s", (_name, args, expected) => {
    expect(free(args)).toEqual(expected);
  });

  it("[AV12] free intervals carry the zone and preferred parts", () => {
    const availability = computeAvailability(input({ prefs: { preferredParts: ["afternoon"] } }));
    expect(availability.timeZone).toBe(LONDON);
    expect(availability.preferredParts).toEqual(["afternoon"]);
  });

  it("[AV3] working days across midnight join into one interval", () => {
    const allDay = [{ startMinute: 0, endMinute: 1440 }];
    const hours = { 0: allDay, 1: allDay, 2: allDay, 3: allDay, 4: allDay, 5: allDay, 6: allDay };
    expect(
      free({ window: { start: london(3, 2, 12), end: london(3, 4, 12) }, prefs: { workingHours: hours } }),
    ).toEqual(["Mon 2 Mar 12:00–Wed 4 Mar 12:00"]);
  });
});

describe("explain", () => {
  const dentist = timed("Dentist", london(3, 2, 15), 60);
  const slot = (hour: number, minute = 0, minutes = 30): Interval => ({
    start: london(3, 2, hour, minute),
    end: london(3, 2, hour, minute) + minutes * MINUTE,
  });

  it.each<[string, Interval, Partial<AvailabilityInput> & { prefs?: Partial<Preferences> }, Unavailability[]]>([
    ["a free slot: nothing", slot(10), {}, []],
    [
      "busy",
      slot(15),
      { events: [dentist] },
      [{ kind: "busy", eventId: "Dentist", title: "Dentist", tentative: false }],
    ],
    [
      "busy, tentative",
      slot(15),
      { events: [timed("Maybe", london(3, 2, 15), 30, { transparency: "tentative" })] },
      [{ kind: "busy", eventId: "Maybe", title: "Maybe", tentative: true }],
    ],
    [
      "a tentative event when tentative is free: nothing",
      slot(15),
      { events: [timed("Maybe", london(3, 2, 15), 30, { transparency: "tentative" })], tentativeIsBusy: false },
      [],
    ],
    [
      "buffer after",
      slot(16),
      { events: [dentist], prefs: { bufferBeforeMinutes: 15 } },
      [{ kind: "buffer", eventId: "Dentist", title: "Dentist" }],
    ],
    [
      "buffer before",
      slot(14, 30),
      { events: [dentist], prefs: { bufferAfterMinutes: 5 } },
      [{ kind: "buffer", eventId: "Dentist", title: "Dentist" }],
    ],
    ["outside working hours", slot(16, 45), {}, [{ kind: "outside-working-hours" }]],
    ["meeting-free day", slot(10), { prefs: { meetingFreeDays: [1] } }, [{ kind: "meeting-free-day" }]],
    [
      "daily cap",
      slot(10),
      {
        meetings: [
          { start: london(3, 2, 12), end: london(3, 2, 13) },
          { start: london(3, 2, 14), end: london(3, 2, 15) },
        ],
        prefs: { maxMeetingsPerDay: 2 },
      },
      [{ kind: "daily-cap", count: 2, max: 2 }],
    ],
    [
      "minimum notice",
      slot(10),
      { now: london(3, 2, 9, 30) },
      [{ kind: "minimum-notice", earliest: london(3, 2, 10, 30) }],
    ],
    ["in the past", slot(10), { now: london(3, 2, 10, 15) }, [{ kind: "in-the-past" }]],
    [
      "beyond the horizon",
      slot(10),
      { now: london(2, 20, 9), prefs: { horizonDays: 10 } },
      [{ kind: "beyond-horizon", latest: london(3, 2, 9) }],
    ],
    [
      "a held meeting, by its title",
      slot(12),
      { meetings: [{ start: london(3, 2, 12), end: london(3, 2, 13), id: "m1", title: "Lunch with Ana" }] },
      [{ kind: "busy", eventId: "m1", title: "Lunch with Ana", tentative: false }],
    ],
  ])("[AV12] %s", (_name, s, args, expected) => {
    expect(reasons(s, args)).toEqual(expected);
  });

  it("[AV12] every reason that applies, busy ones in time order, each event once", () => {
    const standup = timed("Standup", london(2, 2, 16, 30), 15, {
      recurrence: { rrule: "FREQ=DAILY", timeZone: LONDON, exdates: [], overrides: [] },
    });
    const late = { start: london(3, 2, 16), end: london(3, 2, 18) };
    expect(
      reasons(late, {
        events: [
          standup,
          dentist,
          timed("Drinks", london(3, 2, 17, 30), 60, { transparency: "tentative" }),
          timed("Later", london(3, 2, 18, 5), 30),
        ],
        now: london(3, 2, 15, 30),
        prefs: { bufferBeforeMinutes: 10, meetingFreeDays: [1] },
      }),
    ).toEqual([
      { kind: "buffer", eventId: "Dentist", title: "Dentist" },
      { kind: "busy", eventId: "Standup", title: "Standup", tentative: false },
      { kind: "busy", eventId: "Drinks", title: "Drinks", tentative: true },
      { kind: "outside-working-hours" },
      { kind: "meeting-free-day" },
      { kind: "minimum-notice", earliest: london(3, 2, 16, 30) },
    ]);
  });

  it("[AV12] an empty or non-finite slot is a bug and throws, naming explain", () => {
    expect(() => reasons({ start: london(3, 2, 10), end: london(3, 2, 10) })).toThrow(/^explain: /);
    expect(() => reasons({ start: london(3, 2, 10), end: Infinity })).toThrow(/^explain: /);
  });
});

describe("describeUnavailability and redactedReason", () => {
  it.each<[Unavailability, string]>([
    [{ kind: "busy", eventId: "e", title: "Dentist", tentative: false }, `You're busy: "Dentist".`],
    [{ kind: "busy", eventId: "e", title: "Team\n  lunch", tentative: true }, `You're busy: "Team lunch" (tentative).`],
    [
      { kind: "buffer", eventId: "e", title: "Dentist" },
      `It's too close to "Dentist" for the buffer you keep around meetings.`,
    ],
    [{ kind: "outside-working-hours" }, "It's outside your working hours."],
    [{ kind: "meeting-free-day" }, "It's on one of your meeting-free days."],
    [
      { kind: "minimum-notice", earliest: london(3, 3, 10) },
      "It's too soon: the earliest you take meetings is Tue 3 Mar 10:00.",
    ],
    [
      { kind: "beyond-horizon", latest: london(5, 1, 9) },
      "It's too far ahead: you take meetings until Fri 1 May 09:00.",
    ],
    [{ kind: "daily-cap", count: 6, max: 6 }, "You already have 6 meetings that day; your limit is 6."],
    [{ kind: "daily-cap", count: 1, max: 1 }, "You already have 1 meeting that day; your limit is 1."],
    [{ kind: "in-the-past" }, "That time has already passed."],
  ])("[AV13] %o reads: %s", (reason, text) => {
    expect(describeUnavailability(reason, LONDON)).toBe(text);
  });

  it("[AV13] others learn only 'not available'", () => {
    expect(redactedReason()).toBe("not available");
  });
});

/**
 * DST, checked against Intl directly (its "longOffset" names, not zoned.ts):
 * the transition dates are written down and confirmed, and the transition
 * instants and offsets used below come from Intl.
 */
function intlOffsetMinutes(ms: number, timeZone: string): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(ms)
    .find((p) => p.type === "timeZoneName")!.value;
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (match === null) throw new Error(`test: unexpected offset name ${name}`);
  return match[1] === undefined ? 0 : (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

type Transition = { readonly at: number; readonly before: number; readonly after: number; readonly localDate: string };

function transitions(timeZone: string, year: number): Transition[] {
  const found: Transition[] = [];
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += DAY) {
    const before = intlOffsetMinutes(t, timeZone);
    const after = intlOffsetMinutes(t + DAY, timeZone);
    if (before === after) continue;
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (intlOffsetMinutes(mid, timeZone) === before) lo = mid;
      else hi = mid;
    }
    const localDate = new Date(hi + before * MINUTE).toISOString().slice(0, 10);
    found.push({ at: hi, before, after, localDate });
  }
  return found;
}

const ZONES: readonly { zone: string; dates: readonly string[] }[] = [
  { zone: NY, dates: ["2026-03-08", "2026-11-01", "2027-03-14", "2027-11-07"] },
  { zone: LONDON, dates: ["2026-03-29", "2026-10-25", "2027-03-28", "2027-10-31"] },
  // Southern hemisphere: summer time ends in April and starts in October (September on Chatham).
  { zone: LORD_HOWE, dates: ["2026-04-05", "2026-10-04", "2027-04-04", "2027-10-03"] },
  { zone: CHATHAM, dates: ["2026-04-05", "2026-09-27", "2027-04-04", "2027-09-26"] },
  { zone: KATHMANDU, dates: [] },
];

const everyDay = (startMinute: number, endMinute: number): Preferences["workingHours"] => {
  const ranges = [{ startMinute, endMinute }];
  return { 0: ranges, 1: ranges, 2: ranges, 3: ranges, 4: ranges, 5: ranges, 6: ranges };
};

const zonePrefs = (timeZone: string, workingHours: Preferences["workingHours"]): Preferences => ({
  ...DEFAULT_PREFERENCES(timeZone),
  workingHours,
  minNoticeMinutes: 0,
  horizonDays: 365,
});

const localClock = (ms: number, zone: string): string => {
  const l = instantToLocal(ms, zone);
  return `${String(l.hour).padStart(2, "0")}:${String(l.minute).padStart(2, "0")}`;
};

describe("DST and odd offsets", () => {
  it.each(ZONES)("[AV3] $zone changes its clocks on $dates (checked with Intl)", ({ zone, dates }) => {
    expect([...transitions(zone, 2026), ...transitions(zone, 2027)].map((t) => t.localDate)).toEqual(dates);
  });

  it("[AV3] Kathmandu is +05:45 and Chatham +12:45/+13:45, by Intl", () => {
    expect(intlOffsetMinutes(Date.UTC(2026, 0, 1), KATHMANDU)).toBe(5 * 60 + 45);
    expect(intlOffsetMinutes(Date.UTC(2026, 6, 1), CHATHAM)).toBe(12 * 60 + 45);
    expect(intlOffsetMinutes(Date.UTC(2026, 0, 1), CHATHAM)).toBe(13 * 60 + 45);
    // Lord Howe's summer time is only half an hour.
    expect(
      intlOffsetMinutes(Date.UTC(2026, 0, 1), LORD_HOWE) - intlOffsetMinutes(Date.UTC(2026, 6, 1), LORD_HOWE),
    ).toBe(30);
  });

  // Both transitions of 2026 in each zone with DST, and two ordinary days in Kathmandu.
  const cases = ZONES.flatMap(({ zone }) => {
    const found = transitions(zone, 2026);
    if (found.length > 0)
      return found.map((t) => ({ zone, ...t, kind: t.after > t.before ? "spring forward" : "fall back" }));
    return ["2026-03-08", "2026-11-01"].map((localDate) => {
      const noon = Date.parse(`${localDate}T12:00:00Z`);
      const offset = intlOffsetMinutes(noon, zone);
      return { zone, at: noon, before: offset, after: offset, localDate, kind: "no change" };
    });
  });
  const dayOf = (c: (typeof cases)[number]): { year: number; month: number; day: number } => {
    const [year, month, day] = c.localDate.split("-").map(Number) as [number, number, number];
    return { year, month, day };
  };

  it.each(cases)("[AV3] $zone $localDate ($kind): working hours are wall-clock hours", (c) => {
    const { year, month, day } = dayOf(c);
    const window = { start: at(c.zone, year, month, day), end: at(c.zone, year, month, day + 1) };
    const shift = (c.after - c.before) * MINUTE;
    // 09:00–17:00 is untouched by a change at night: eight hours from 09:00 local.
    const office = computeAvailability({
      preferences: zonePrefs(c.zone, everyDay(540, 1020)),
      events: [],
      meetings: [],
      window,
      now: window.start - DAY,
    }).free;
    expect(office).toHaveLength(1);
    expect(office[0]!.end - office[0]!.start).toBe(8 * HOUR);
    expect([localClock(office[0]!.start, c.zone), localClock(office[0]!.end, c.zone)]).toEqual(["09:00", "17:00"]);
    // 00:00–06:00 holds the change: an hour (Lord Howe: 30 minutes) shorter in spring, longer in autumn.
    const night = computeAvailability({
      preferences: zonePrefs(c.zone, everyDay(0, 360)),
      events: [],
      meetings: [],
      window,
      now: window.start - DAY,
    }).free;
    expect(night.reduce((sum, f) => sum + f.end - f.start, 0)).toBe(6 * HOUR - shift);
    expect(
      night.every((f) => instantToLocal(f.start, c.zone).hour < 6 && instantToLocal(f.end - 1, c.zone).hour < 6),
    ).toBe(true);
  });

  it.each(cases)("[AV8] $zone $localDate ($kind): a weekly 09:00 event stays at 09:00", (c) => {
    const { year, month, day } = dayOf(c);
    const first = at(c.zone, year, month, day - 14, 9);
    const series = timed("Weekly", first, 60, {
      recurrence: { rrule: "FREQ=WEEKLY", timeZone: c.zone, exdates: [], overrides: [] },
    });
    const busy = expandEvents([series], {
      timeZone: c.zone,
      window: { start: first, end: at(c.zone, year, month, day + 15) },
    });
    expect(busy).toHaveLength(5);
    expect(busy.map((b) => localClock(b.start, c.zone))).toEqual(["09:00", "09:00", "09:00", "09:00", "09:00"]);
    // The UTC time moves by the change between the weeks either side of it.
    expect(busy[4]!.start - busy[0]!.start).toBe(28 * DAY - (c.after - c.before) * MINUTE);
  });

  it.each(cases)("[AV7] $zone $localDate ($kind): an all-day event lasts the local day", (c) => {
    const { year, month, day } = dayOf(c);
    const date = (d: number): string => new Date(Date.UTC(year, month - 1, d)).toISOString().slice(0, 10);
    const holiday: CalendarEvent = {
      id: "Holiday",
      title: "Holiday",
      time: { kind: "all-day", startDate: date(day), endDate: date(day + 1) },
      transparency: "busy",
    };
    const [busy] = expandEvents([holiday], {
      timeZone: c.zone,
      window: { start: c.at - 2 * DAY, end: c.at + 2 * DAY },
    });
    expect(busy!.end - busy!.start).toBe(DAY - (c.after - c.before) * MINUTE);
    expect(busy).toMatchObject(localDay(busy!.start, c.zone));
  });

  it.each(cases)(
    "[AV8] $zone $localDate ($kind): a daily event in the gap moves forward, in the overlap takes the first",
    (c) => {
      const { year, month, day } = dayOf(c);
      // A wall-clock time inside the gap or the repeated stretch (02:30 where there is neither).
      const wallOfChange = (c.at + c.before * MINUTE) % DAY; // the local time the change happens, as ms after midnight
      const inside =
        c.kind === "no change"
          ? 150 * MINUTE
          : wallOfChange + (c.kind === "spring forward" ? 1 : -1) * (Math.abs(c.after - c.before) / 2) * MINUTE;
      const hour = Math.floor(inside / HOUR);
      const minute = (inside % HOUR) / MINUTE;
      const series = timed("Job", at(c.zone, year, month, day - 3, hour, minute), 10, {
        recurrence: { rrule: "FREQ=DAILY", timeZone: c.zone, exdates: [], overrides: [] },
      });
      const busy = expandEvents([series], {
        timeZone: c.zone,
        window: { start: at(c.zone, year, month, day), end: at(c.zone, year, month, day + 1) },
      });
      expect(busy).toHaveLength(1);
      const wall = Date.UTC(year, month - 1, day, hour, minute);
      // Both rules come to the same thing: read the time with the offset from before the change.
      expect(busy[0]!.start).toBe(wall - c.before * MINUTE);
      // In the gap the clock reads later by the gap's length (02:30 is 03:30 in New York); in the overlap, as written.
      const clock = wall + (c.kind === "spring forward" ? (c.after - c.before) * MINUTE : 0);
      expect(localClock(busy[0]!.start, c.zone)).toBe(new Date(clock).toISOString().slice(11, 16));
      expect(busy[0]!.end - busy[0]!.start).toBe(10 * MINUTE);
    },
  );

  it.each(cases)("[AV8] $zone $localDate ($kind): a daily 02:30 event", (c) => {
    const { year, month, day } = dayOf(c);
    const series = timed("Job", at(c.zone, year, month, day - 3, 2, 30), 10, {
      recurrence: { rrule: "FREQ=DAILY", timeZone: c.zone, exdates: [], overrides: [] },
    });
    const dayWindow = { start: at(c.zone, year, month, day), end: at(c.zone, year, month, day + 1) };
    const [busy] = expandEvents([series], { timeZone: c.zone, window: dayWindow });
    // By Intl alone: the first instant that day whose local time reads 02:30, or, if none does (New York's
    // spring gap), 02:30 read with the offset from before the change, which is 03:30.
    const wall = Date.UTC(year, month - 1, day, 2, 30);
    let expected = wall - c.before * MINUTE;
    for (let t = wall - 15 * HOUR; t <= wall + 15 * HOUR; t += 15 * MINUTE) {
      if (t + intlOffsetMinutes(t, c.zone) * MINUTE === wall) {
        expected = t;
        break;
      }
    }
    expect(busy!.start).toBe(expected);
  });

  it("[AV3] Kathmandu's 09:00 is 03:15 UTC", () => {
    const window = { start: at(KATHMANDU, 2026, 6, 1), end: at(KATHMANDU, 2026, 6, 2) };
    const [office] = computeAvailability({
      preferences: zonePrefs(KATHMANDU, everyDay(540, 1020)),
      events: [],
      meetings: [],
      window,
      now: window.start - DAY,
    }).free;
    expect(new Date(office!.start).toISOString()).toBe("2026-06-01T03:15:00.000Z");
  });
});

/** Scenarios for the properties: random preferences, events and meetings around DST changes in five zones. */
const PROPERTY_ZONES = [NY, LONDON, LORD_HOWE, KATHMANDU, CHATHAM] as const;
// Around each 2026 change in those zones, and an ordinary week.
const ANCHORS = [
  "2026-03-05",
  "2026-03-26",
  "2026-04-02",
  "2026-06-10",
  "2026-09-24",
  "2026-10-01",
  "2026-10-22",
  "2026-10-29",
].map((d) => Date.parse(`${d}T00:00:00Z`));

const rangesArb = fc
  .uniqueArray(
    fc.oneof(
      fc.integer({ min: 0, max: 96 }).map((q) => q * 15),
      fc.integer({ min: 0, max: 1440 }),
    ),
    { maxLength: 4 },
  )
  .map((minutes) => {
    const sorted = [...minutes].sort((a, b) => a - b);
    const ranges = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push({ startMinute: sorted[i]!, endMinute: sorted[i + 1]! });
    return ranges;
  });

const scenarioArb = fc
  .record({
    zone: fc.constantFrom(...PROPERTY_ZONES),
    anchor: fc.constantFrom(...ANCHORS),
    days: fc.integer({ min: 1, max: 10 }),
    nowOffsetMinutes: fc.integer({ min: -3 * 24 * 60, max: 2 * 24 * 60 }),
    hours: fc.tuple(rangesArb, rangesArb, rangesArb, rangesArb, rangesArb, rangesArb, rangesArb),
    before: fc.constantFrom(0, 0, 5, 15, 30),
    after: fc.constantFrom(0, 0, 5, 10, 45),
    notice: fc.constantFrom(0, 60, 240, 1500),
    horizon: fc.integer({ min: 1, max: 14 }),
    cap: fc.integer({ min: 1, max: 3 }),
    meetingFree: fc.subarray([0, 1, 2, 3, 4, 5, 6] as Weekday[], { maxLength: 2 }),
    tentativeIsBusy: fc.boolean(),
    events: fc.array(
      fc.record({
        kind: fc.constantFrom("timed", "timed", "all-day", "daily", "weekly", "monthly"),
        startMinutes: fc.integer({ min: -5 * 24 * 60, max: 12 * 24 * 60 }),
        minutes: fc.integer({ min: 5, max: 240 }),
        transparency: fc.constantFrom("busy", "busy", "tentative", "free"),
        exdateDays: fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 2 }),
      }),
      { maxLength: 20 },
    ),
    meetings: fc.array(
      fc.record({
        startMinutes: fc.integer({ min: -2 * 24 * 60, max: 12 * 24 * 60 }),
        minutes: fc.integer({ min: 15, max: 90 }),
      }),
      {
        maxLength: 8,
      },
    ),
  })
  .map((s) => {
    const preferences: Preferences = {
      ...DEFAULT_PREFERENCES(s.zone),
      workingHours: {
        0: s.hours[0],
        1: s.hours[1],
        2: s.hours[2],
        3: s.hours[3],
        4: s.hours[4],
        5: s.hours[5],
        6: s.hours[6],
      },
      bufferBeforeMinutes: s.before,
      bufferAfterMinutes: s.after,
      minNoticeMinutes: s.notice,
      horizonDays: s.horizon,
      maxMeetingsPerDay: s.cap,
      meetingFreeDays: s.meetingFree,
    };
    const events: CalendarEvent[] = s.events.map((e, i) => {
      const start = s.anchor + e.startMinutes * MINUTE;
      const id = `e${i}`;
      const transparency = e.transparency as CalendarEvent["transparency"];
      if (e.kind === "all-day") {
        const date = (offset: number): string => new Date(start + offset * DAY).toISOString().slice(0, 10);
        return {
          id,
          title: id,
          time: { kind: "all-day", startDate: date(0), endDate: date(1 + (e.minutes % 2)) },
          transparency,
        };
      }
      const event: CalendarEvent = {
        id,
        title: id,
        time: { kind: "timed", start, end: start + e.minutes * MINUTE },
        transparency,
      };
      if (e.kind === "timed") return event;
      const rrule = {
        daily: "FREQ=DAILY;COUNT=20",
        weekly: "FREQ=WEEKLY;BYDAY=MO,TH",
        monthly: "FREQ=MONTHLY;BYDAY=1MO,-1FR",
      }[e.kind]!;
      const exdates = e.exdateDays.map((d) => new Date(start + d * DAY).toISOString().slice(0, 10));
      return { ...event, recurrence: { rrule, timeZone: s.zone, exdates, overrides: [] } };
    });
    const meetings: MeetingTime[] = s.meetings.map((m) => ({
      start: s.anchor + m.startMinutes * MINUTE,
      end: s.anchor + (m.startMinutes + m.minutes) * MINUTE,
    }));
    const window = { start: s.anchor, end: s.anchor + s.days * DAY };
    const input: AvailabilityInput = {
      preferences,
      events,
      meetings,
      window,
      now: s.anchor + s.nowOffsetMinutes * MINUTE,
      tentativeIsBusy: s.tentativeIsBusy,
    };
    return input;
  });

const minuteOfDay = (ms: number, zone: string): { weekday: number; minute: number; date: string } => {
  const l = instantToLocal(ms, zone);
  return { weekday: l.weekday, minute: l.hour * 60 + l.minute, date: `${l.year}-${l.month}-${l.day}` };
};

/** Points to check inside an interval: its ends and every 10 minutes between. */
const samples = (f: Interval): number[] => {
  const points = [f.start, f.end - 1];
  for (let t = f.start; t < f.end; t += 10 * MINUTE) points.push(t);
  return points;
};

describe("computeAvailability: properties", () => {
  it("[AV12] free intervals are sorted, disjoint and not touching", () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { free } = computeAvailability(input);
        for (const [i, f] of free.entries()) {
          expect(f.start).toBeLessThan(f.end);
          if (i > 0) expect(free[i - 1]!.end).toBeLessThan(f.start);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("[AV3] [AV4] every free instant is in working hours (local), the window, the notice and the horizon", () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { preferences: p, window, now } = input;
        const { free } = computeAvailability(input);
        const earliest = Math.max(window.start, now + p.minNoticeMinutes * MINUTE);
        const latest = Math.min(window.end, addLocalDays(now, p.horizonDays, p.timeZone));
        for (const f of free) {
          expect(f.start).toBeGreaterThanOrEqual(earliest);
          expect(f.end).toBeLessThanOrEqual(latest);
          for (const t of samples(f)) {
            const { weekday, minute } = minuteOfDay(t, p.timeZone);
            const ranges = p.workingHours[weekday as Weekday];
            expect(ranges.some((r) => r.startMinute <= minute && minute < r.endMinute)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("[AV5] [AV6] [AV7] no free interval overlaps busy time widened by the buffers, a meeting-free day or a capped day", () => {
    fc.assert(
      fc.property(scenarioArb, (input) => {
        const { preferences: p, meetings } = input;
        const { free } = computeAvailability(input);
        const before = p.bufferBeforeMinutes * MINUTE;
        const after = p.bufferAfterMinutes * MINUTE;
        const wide = { start: input.window.start - DAY, end: input.window.end + DAY };
        const busy: Interval[] = [
          ...expandEvents(input.events, { timeZone: p.timeZone, window: wide }).filter(
            (b) => input.tentativeIsBusy !== false || !b.tentative,
          ),
          ...meetings,
        ];
        const perDay = new Map<string, number>();
        for (const m of meetings)
          perDay.set(
            minuteOfDay(m.start, p.timeZone).date,
            (perDay.get(minuteOfDay(m.start, p.timeZone).date) ?? 0) + 1,
          );
        for (const f of free) {
          for (const b of busy) {
            const blocked = { start: b.start - after, end: b.end + before };
            expect(f.start < blocked.end && blocked.start < f.end).toBe(false);
          }
          for (const t of samples(f)) {
            const { weekday, date } = minuteOfDay(t, p.timeZone);
            expect(p.meetingFreeDays).not.toContain(weekday);
            expect(perDay.get(date) ?? 0).toBeLessThan(p.maxMeetingsPerDay);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("[AV12] explain finds no reason exactly for the slots inside a free interval", () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(15, 30, 45, 60, 90)), {
          minLength: 5,
          maxLength: 15,
        }),
        (input, picks) => {
          const { free } = computeAvailability(input);
          const { window } = input;
          const slots: Interval[] = [];
          for (const [position, minutes] of picks) {
            const start = window.start + Math.floor((position * (window.end - window.start)) / MINUTE) * MINUTE;
            slots.push({ start, end: start + minutes * MINUTE });
          }
          // The edges, where an off-by-one would show: each free interval's ends, exactly and a minute either side.
          for (const f of free) {
            for (const d of [30 * MINUTE, f.end - f.start]) {
              for (const nudge of [-MINUTE, 0, MINUTE]) {
                slots.push({ start: f.start + nudge, end: f.start + nudge + d });
                slots.push({ start: f.end - d + nudge, end: f.end + nudge });
              }
            }
          }
          for (const slot of slots) {
            if (slot.start < window.start || slot.end > window.end || slot.end <= slot.start) continue;
            const inside = free.some((f) => f.start <= slot.start && slot.end <= f.end);
            const why = explain({ ...input, slot });
            expect({ slot, inside, reasons: why.length === 0 }).toEqual({ slot, inside, reasons: inside });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
