import { describe, expect, it } from "vitest";
import { expandEvents, MAX_OCCURRENCES_PER_EVENT } from "../../../../src/agent/availability/expand";
import type { CalendarEvent, Recurrence, Transparency } from "../../../../src/agent/availability/types";
import { formatSlot } from "../../../../src/agent/scheduling/format";
import { instantToLocal } from "../../../../src/agent/scheduling/zoned";
import { at, HOUR, MINUTE } from "../support";

const LONDON = "Europe/London";
const NY = "America/New_York";
const TOKYO = "Asia/Tokyo";
const london = (month: number, day: number, hour = 0, minute = 0): number => at(LONDON, 2026, month, day, hour, minute);
/** Monday 2 March to Monday 9 March 2026, London (GMT). */
const WEEK = { start: london(3, 2), end: london(3, 9) };

const timed = (
  id: string,
  start: number,
  minutes: number,
  transparency: Transparency = "busy",
  recurrence?: Partial<Recurrence>,
): CalendarEvent => ({
  id,
  title: id,
  time: { kind: "timed", start, end: start + minutes * MINUTE },
  transparency,
  ...(recurrence === undefined
    ? {}
    : { recurrence: { rrule: "FREQ=DAILY", timeZone: LONDON, exdates: [], overrides: [], ...recurrence } }),
});

const allDay = (id: string, startDate: string, endDate: string, recurrence?: Partial<Recurrence>): CalendarEvent => ({
  id,
  title: id,
  time: { kind: "all-day", startDate, endDate },
  transparency: "busy",
  ...(recurrence === undefined
    ? {}
    : { recurrence: { rrule: "FREQ=DAILY", timeZone: LONDON, exdates: [], overrides: [], ...recurrence } }),
});

const expand = (events: CalendarEvent[], window = WEEK, timeZone = LONDON): string[] =>
  expandEvents(events, { timeZone, window }).map(
    (b) => `${b.eventId} ${formatSlot(b, timeZone)}${b.tentative ? " tentative" : ""}`,
  );

describe("expandEvents: event kinds", () => {
  it.each<[string, CalendarEvent, string[]]>([
    ["a timed busy event", timed("Dentist", london(3, 3, 15), 60), ["Dentist Tue 3 Mar 15:00–16:00"]],
    [
      "a tentative event, flagged",
      timed("Maybe", london(3, 3, 15), 30, "tentative"),
      ["Maybe Tue 3 Mar 15:00–15:30 tentative"],
    ],
    ["a free event: nothing", timed("Focus", london(3, 3, 15), 60, "free"), []],
    ["an empty event: nothing", timed("Zero", london(3, 3, 15), 0), []],
    [
      "an all-day event: local midnight to midnight",
      allDay("Offsite", "2026-03-04", "2026-03-06"),
      ["Offsite Wed 4 Mar 00:00–Fri 6 Mar 00:00"],
    ],
    [
      "an event overlapping the window's start, whole",
      timed("Late", london(3, 1, 23), 120),
      ["Late Sun 1 Mar 23:00–Mon 2 Mar 01:00"],
    ],
    ["an event ending as the window starts: nothing", timed("Before", london(3, 1, 23), 60), []],
    ["an event starting as the window ends: nothing", timed("After", london(3, 9), 60), []],
  ])("[AV7] %s", (_name, event, expected) => {
    expect(expand([event])).toEqual(expected);
  });

  it("[AV7] all-day events are days in the owner's zone, not in UTC", () => {
    const holiday = allDay("Holiday", "2026-03-04", "2026-03-05");
    const [busy] = expandEvents([holiday], { timeZone: TOKYO, window: WEEK });
    expect(busy).toMatchObject({ start: Date.parse("2026-03-03T15:00:00Z"), end: Date.parse("2026-03-04T15:00:00Z") });
  });

  it("[AV7] the result is sorted by start", () => {
    const events = [
      timed("B", london(3, 4, 10), 30),
      timed("A", london(3, 3, 10), 30),
      timed("C", london(3, 3, 9), 30),
    ];
    expect(expand(events).map((s) => s[0])).toEqual(["C", "A", "B"]);
  });

  it("[AV10] malformed events are bugs upstream and throw, naming expandEvents and the event", () => {
    expect(() => expand([allDay("Bad", "2026-02-30", "2026-03-01")])).toThrow(
      /^expandEvents: event "Bad" has an invalid date "2026-02-30"/,
    );
    expect(() => expand([timed("Bad", london(3, 3), 30, "busy", { rrule: "FREQ=SOMETIMES" })])).toThrow(
      /^expandEvents: event "Bad" has an invalid RRULE: FREQ must be/,
    );
    expect(() => expand([timed("Bad", london(3, 3), 30, "busy", { timeZone: "Mars/Olympus_Mons" })])).toThrow(
      /^expandEvents: event "Bad" has an unknown time zone/,
    );
  });
});

describe("expandEvents: recurring events", () => {
  it("[AV8] a daily series repeats at its wall-clock time", () => {
    expect(expand([timed("Standup", london(2, 2, 9), 15, "busy", { rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR" })])).toEqual([
      "Standup Mon 2 Mar 09:00–09:15",
      "Standup Wed 4 Mar 09:00–09:15",
      "Standup Fri 6 Mar 09:00–09:15",
    ]);
  });

  it("[AV8] a series keeps the time of its own zone, seen from the owner's", () => {
    // 09:00 in New York is 14:00 in London (before the US changes its clocks on 8 March).
    const ny = timed("NY sync", at(NY, 2026, 2, 2, 9), 30, "busy", { rrule: "FREQ=WEEKLY;BYDAY=MO,TU", timeZone: NY });
    expect(expand([ny], { start: london(3, 2), end: london(3, 11) })).toEqual([
      "NY sync Mon 2 Mar 14:00–14:30",
      "NY sync Tue 3 Mar 14:00–14:30",
      // From 9 March New York is on EDT, London still on GMT: 09:00 there is 13:00 here.
      "NY sync Mon 9 Mar 13:00–13:30",
      "NY sync Tue 10 Mar 13:00–13:30",
    ]);
  });

  it("[AV10] COUNT and UNTIL end a series; a UTC UNTIL is an instant, a date UNTIL a whole local day", () => {
    const start = london(3, 2, 9);
    expect(expand([timed("Count", start, 30, "busy", { rrule: "FREQ=DAILY;COUNT=2" })])).toEqual([
      "Count Mon 2 Mar 09:00–09:30",
      "Count Tue 3 Mar 09:00–09:30",
    ]);
    expect(expand([timed("Until", start, 30, "busy", { rrule: "FREQ=DAILY;UNTIL=20260303" })])).toHaveLength(2);
    expect(expand([timed("Until", start, 30, "busy", { rrule: "FREQ=DAILY;UNTIL=20260303T090000Z" })])).toHaveLength(2);
    expect(expand([timed("Until", start, 30, "busy", { rrule: "FREQ=DAILY;UNTIL=20260303T085959Z" })])).toHaveLength(1);
    // In Tokyo (UTC+9) 09:00 on 3 March is 00:00Z, so an UNTIL of 23:59:59Z on 2 March stops before it.
    const tokyo = timed("Tokyo", at(TOKYO, 2026, 3, 2, 9), 30, "busy", {
      rrule: "FREQ=DAILY;UNTIL=20260302T235959Z",
      timeZone: TOKYO,
    });
    expect(expand([tokyo])).toHaveLength(1);
  });

  it("[AV9] EXDATE removes occurrences by start instant or by local date", () => {
    const series = timed("Standup", london(3, 2, 9), 15, "busy", {
      rrule: "FREQ=DAILY;COUNT=5",
      exdates: [london(3, 3, 9), "2026-03-05", london(3, 4, 10) /* matches nothing */],
    });
    expect(expand([series])).toEqual([
      "Standup Mon 2 Mar 09:00–09:15",
      "Standup Wed 4 Mar 09:00–09:15",
      "Standup Fri 6 Mar 09:00–09:15",
    ]);
  });

  it("[AV9] overrides move, cancel or free single occurrences, and EXDATE wins over an override", () => {
    const series = timed("1:1", london(3, 2, 10), 30, "busy", {
      rrule: "FREQ=DAILY;COUNT=5",
      exdates: [london(3, 6, 10)],
      overrides: [
        { recurrenceId: london(3, 3, 10), time: { kind: "timed", start: london(3, 3, 16), end: london(3, 3, 17) } },
        { recurrenceId: london(3, 4, 10), cancelled: true },
        { recurrenceId: "2026-03-05", transparency: "free" },
        { recurrenceId: london(3, 6, 10), time: { kind: "timed", start: london(3, 6, 12), end: london(3, 6, 13) } },
      ],
    });
    expect(expand([series])).toEqual(["1:1 Mon 2 Mar 10:00–10:30", "1:1 Tue 3 Mar 16:00–17:00"]);
  });

  it("[AV9] an occurrence moved into the window from outside it is busy; one moved out is not", () => {
    const series = timed("Review", london(2, 23, 10), 60, "busy", {
      rrule: "FREQ=WEEKLY",
      overrides: [
        { recurrenceId: london(3, 9, 10), time: { kind: "timed", start: london(3, 6, 10), end: london(3, 6, 11) } },
        { recurrenceId: london(3, 2, 10), time: { kind: "timed", start: london(3, 10, 10), end: london(3, 10, 11) } },
      ],
    });
    expect(expand([series])).toEqual(["Review Fri 6 Mar 10:00–11:00"]);
  });

  it("[AV9] a free series with one busy override blocks just that occurrence; a tentative series is flagged", () => {
    const free = timed("Gym", london(3, 2, 7), 60, "free", {
      rrule: "FREQ=DAILY",
      overrides: [{ recurrenceId: london(3, 4, 7), transparency: "busy" }],
    });
    const tentative = timed("Optional", london(3, 2, 12), 30, "tentative", { rrule: "FREQ=DAILY;COUNT=1" });
    expect(expand([free, tentative])).toEqual([
      "Optional Mon 2 Mar 12:00–12:30 tentative",
      "Gym Wed 4 Mar 07:00–08:00",
    ]);
  });

  it("[AV8] an all-day series repeats dates in the owner's zone and keeps its length in days", () => {
    const series = allDay("Away", "2026-03-02", "2026-03-04", {
      rrule: "FREQ=WEEKLY;COUNT=3",
      exdates: ["2026-03-09"],
    });
    expect(expand([series], { start: london(3, 1), end: london(3, 20) })).toEqual([
      "Away Mon 2 Mar 00:00–Wed 4 Mar 00:00",
      "Away Mon 16 Mar 00:00–Wed 18 Mar 00:00",
    ]);
  });

  it("[AV11] a series denser than the cap blocks the rest of the window", () => {
    const series = timed("Ping", london(3, 2), 1, "busy", { rrule: "FREQ=MINUTELY;INTERVAL=2" });
    const busy = expandEvents([series], { timeZone: LONDON, window: WEEK, maxOccurrencesPerEvent: 10 });
    expect(busy).toHaveLength(11);
    expect(busy.at(-1)).toMatchObject({ start: london(3, 2, 0, 18), end: WEEK.end, eventId: "Ping" });
    expect(MAX_OCCURRENCES_PER_EVENT).toBe(2_000);
  });
});

describe("expandEvents: DST", () => {
  it("[AV8] [SC2] a daily 02:30 New York series on the spring-forward day is at 03:30 EDT", () => {
    const series = timed("Night job", at(NY, 2026, 3, 6, 2, 30), 15, "busy", { rrule: "FREQ=DAILY", timeZone: NY });
    const busy = expandEvents([series], {
      timeZone: NY,
      window: { start: at(NY, 2026, 3, 7), end: at(NY, 2026, 3, 10) },
    });
    expect(busy.map((b) => formatSlot(b, NY))).toEqual([
      "Sat 7 Mar 02:30–02:45",
      "Sun 8 Mar 03:30–03:45",
      "Mon 9 Mar 02:30–02:45",
    ]);
    // Every occurrence lasts 15 minutes of real time.
    expect(busy.every((b) => b.end - b.start === 15 * MINUTE)).toBe(true);
  });

  it("[AV8] [SC3] a daily 01:30 New York series on the fall-back day is at the first 01:30 (EDT)", () => {
    const series = timed("Night job", at(NY, 2026, 10, 30, 1, 30), 15, "busy", { rrule: "FREQ=DAILY", timeZone: NY });
    const busy = expandEvents([series], {
      timeZone: NY,
      window: { start: at(NY, 2026, 10, 31), end: at(NY, 2026, 11, 3) },
    });
    expect(busy.map((b) => new Date(b.start).toISOString())).toEqual([
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z", // 01:30 EDT; 01:30 EST would be 06:30Z
      "2026-11-02T06:30:00.000Z",
    ]);
    expect(busy.map((b) => instantToLocal(b.start, NY).hour)).toEqual([1, 1, 1]);
    expect(busy[2]!.start - busy[1]!.start).toBe(25 * HOUR);
  });
});
