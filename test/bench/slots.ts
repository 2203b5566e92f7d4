/**
 * `npm run bench:slots`: slot search for 10 participants over 90 days with
 * 2,000 calendar events each, against sorting the busy intervals those
 * events expand to by start, measured in the same process, interleaved in
 * rounds; the figure is the median round. Goal: slot search ≤ 3× the sort.
 *
 * The calendars: a team of ten across Europe's three zones (the clocks
 * change inside the window). Each calendar holds the team's meetings (1,000
 * one-offs and 24 running series: standups, weekly and fortnightly meetings,
 * monthly and yearly reviews, COUNT and UNTIL ending inside the window,
 * started up to two years back, with EXDATEs and moved and cancelled
 * occurrences), 650 one-offs of its own, 150 all-day events (mostly free, as
 * calendars make them) and 176 series of its own, 174 of them over before the
 * window; plus 20 confirmed meetings that count toward the daily cap.
 *
 * Slot search = for each participant `computeAvailability` over the 90 days
 * (every event expanded, the recurring ones included), then `searchSlots`
 * (src/agent/scheduling/search.ts) intersecting the ten free lists and
 * ranking 30-minute candidates. Baseline = one `Array#sort` by start of
 * every busy interval the 20,000 events make in the window (counted below).
 * Caches that outlive a call (zone offset tables, parsed RRULEs) are warm in
 * the rounds, as in the app; the first, cold run is reported apart.
 */
import { computeAvailability, type MeetingTime } from "../../src/agent/availability/availability";
import { forEachBusyInterval } from "../../src/agent/availability/expand";
import { DEFAULT_PREFERENCES } from "../../src/agent/availability/preferences";
import type {
  Availability,
  BusyInterval,
  CalendarEvent,
  Preferences,
  Transparency,
} from "../../src/agent/availability/types";
import { formatSlot } from "../../src/agent/scheduling/format";
import { intersectFree, searchSlots, type RankedSlot } from "../../src/agent/scheduling/search";
import { DAY_MS, localToInstant, MINUTE_MS } from "../../src/agent/scheduling/zoned";
import { createPrng } from "../support/prng";

const PARTICIPANTS = 10;
const DAYS = 90;
const EVENTS_EACH = 2_000;
const ROUNDS = 7;
const ROUND_MS = 1_000;
const GOAL = 3;

// A team across Europe's three zones, whose working days overlap for seven hours; the clocks change inside the window.
const ZONES = [
  "Europe/London",
  "Europe/London",
  "Europe/Dublin",
  "Europe/Lisbon",
  "Europe/Berlin",
  "Europe/Paris",
  "Europe/Madrid",
  "Europe/Stockholm",
  "Europe/Athens",
  "Europe/Helsinki",
];

// Sunday 15 February 2026, 00:00 UTC, to 16 May: Europe changes its clocks on 29 March.
const WINDOW = { start: Date.UTC(2026, 1, 15), end: Date.UTC(2026, 1, 15) + DAYS * DAY_MS };
const NOW = WINDOW.start - 60 * MINUTE_MS;

type Participant = {
  readonly preferences: Preferences;
  readonly events: CalendarEvent[];
  readonly meetings: MeetingTime[];
};

const random = createPrng(20260215);
const pick = <T>(items: readonly T[]): T => items[random.int(items.length)]!;
/** Most events block; some are tentative, some free (declined, FYI, reminders). */
const transparency = (): Transparency => {
  const r = random.float();
  return r < 0.8 ? "busy" : r < 0.9 ? "tentative" : "free";
};
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Midnight `day` days after the window starts, local in `zone`, plus `minute` minutes. */
function localTime(zone: string, day: number, minute: number): number {
  const date = new Date(WINDOW.start + day * DAY_MS);
  return localToInstant(
    { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: 0, minute },
    zone,
  );
}

/** A series started up to two years ago, with a few occurrences skipped, moved and cancelled in the window. */
function series(zone: string, rrule: string): Omit<CalendarEvent, "id" | "title" | "transparency"> {
  const day = -random.int(730);
  const start = localTime(zone, day, 8 * 60 + random.int(36) * 15);
  const length = (15 + random.int(4) * 15) * MINUTE_MS;
  // Occurrences are keyed by their original start; DTSTART + whole weeks is one for the weekly rules.
  const week = (n: number): number => localTime(zone, day + 7 * n, 0) + (start - localTime(zone, day, 0));
  const inWindow = Math.ceil(-day / 7);
  const exdates = Array.from({ length: random.int(3) }, () => week(inWindow + random.int(12)));
  const moved = week(inWindow + random.int(12));
  const later = moved + 2 * 60 * MINUTE_MS;
  const overrides = [
    { recurrenceId: moved, time: { kind: "timed" as const, start: later, end: later + length } },
    { recurrenceId: week(inWindow + random.int(12)), cancelled: true },
  ];
  return {
    time: { kind: "timed", start, end: start + length },
    recurrence: { rrule, timeZone: zone, exdates, overrides },
  };
}

/** A one-off event of 15–60 minutes starting between `from` and `to` o'clock local, in or a few days either side of the window. */
function oneOff(zone: string, from: number, to: number): CalendarEvent["time"] {
  const start = localTime(zone, random.int(DAYS + 6) - 3, from * 60 + random.int((to - from) * 4) * 15);
  return { kind: "timed", start, end: start + (15 + random.int(4) * 15) * MINUTE_MS };
}

/**
 * The team's own meetings, in every member's calendar (each member marks them
 * busy, tentative or free for themselves): 1,000 one-offs and 24 running
 * series — standups, weekly and fortnightly meetings, monthly and yearly
 * reviews, some with COUNT or UNTIL ending inside the window. Without shared
 * meetings, ten calendars this full have no half hour in common.
 */
const TEAM: Omit<CalendarEvent, "id" | "title" | "transparency">[] = [
  ...Array.from({ length: 1_000 }, () => ({ time: oneOff("Europe/Berlin", 6, 22) })),
  ...[
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    ...Array<string>(8).fill("FREQ=WEEKLY"),
    "FREQ=WEEKLY;BYDAY=TU,TH",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=MONTHLY;BYDAY=1MO,3MO",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY",
    "FREQ=YEARLY;BYMONTH=3;BYDAY=1WE",
    "FREQ=WEEKLY;COUNT=120",
    "FREQ=DAILY;COUNT=700",
    "FREQ=WEEKLY;BYDAY=WE;UNTIL=20260415T235959Z",
    "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260320",
  ].map((rule) => series("Europe/Berlin", rule)),
];

/** 08:00–18:00. */
const LONG_DAY = [{ startMinute: 8 * 60, endMinute: 18 * 60 }];

/** Series that ended before the window, as calendars collect them; each is still read and checked. */
const ENDED = [
  "FREQ=WEEKLY;UNTIL=20251231T235959Z",
  "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20250630",
  "FREQ=DAILY;COUNT=30",
  "FREQ=WEEKLY;INTERVAL=2;COUNT=10",
  "FREQ=MONTHLY;BYDAY=3TH;UNTIL=20260101T000000Z",
];

/** 2,000 events: the team's 1,024, then 650 one-offs, 150 all-day events, 2 running and 174 ended series of one's own. */
function participant(index: number): Participant {
  const zone = ZONES[index]!;
  const events: CalendarEvent[] = [];
  const add = (event: Omit<CalendarEvent, "id" | "title" | "transparency">, kind?: Transparency): void => {
    const id = `p${index}e${events.length}`;
    events.push({ id, title: `Event ${events.length}`, transparency: kind ?? transparency(), ...event });
  };
  for (const event of TEAM) add(event);
  // One's own appointments mostly fall outside working hours.
  for (let i = 0; i < 650; i++) add({ time: random.float() < 0.8 ? oneOff(zone, 17, 22) : oneOff(zone, 6, 17) });
  for (let i = 0; i < 150; i++) {
    const first = WINDOW.start + (random.int(DAYS + 6) - 3) * DAY_MS;
    const last = first + (1 + random.int(3)) * DAY_MS;
    // Most all-day events are free (birthdays, holidays elsewhere), as calendars make them.
    add(
      { time: { kind: "all-day", startDate: isoDate(first), endDate: isoDate(last) } },
      random.float() < 0.9 ? "free" : "busy",
    );
  }
  add(series(zone, "FREQ=WEEKLY"));
  add(series(zone, "FREQ=WEEKLY;INTERVAL=2"));
  while (events.length < EVENTS_EACH) add(series(zone, pick(ENDED)));
  // 20 confirmed meetings, which also count toward the daily cap.
  const meetings: MeetingTime[] = Array.from({ length: 20 }, () => {
    const start = localTime(zone, random.int(DAYS), 9 * 60 + random.int(32) * 15);
    return { start, end: start + 30 * MINUTE_MS };
  });
  const preferences: Preferences = {
    ...DEFAULT_PREFERENCES(zone),
    workingHours: { 0: [], 1: LONG_DAY, 2: LONG_DAY, 3: LONG_DAY, 4: LONG_DAY, 5: LONG_DAY, 6: [] },
    bufferBeforeMinutes: index % 2 === 0 ? 5 : 0,
    bufferAfterMinutes: index % 2 === 0 ? 5 : 0,
    horizonDays: 120,
  };
  return { preferences, events, meetings };
}

const people = Array.from({ length: PARTICIPANTS }, (_, i) => participant(i));

function slotSearch(): { availabilities: Availability[]; ranked: RankedSlot[] } {
  const availabilities = people.map((p) =>
    computeAvailability({
      preferences: p.preferences,
      events: p.events,
      meetings: p.meetings,
      window: WINDOW,
      now: NOW,
    }),
  );
  const ranked = searchSlots({ availabilities, durationMinutes: 30, window: WINDOW, limit: 10, now: NOW });
  return { availabilities, ranked };
}

// The baseline's input: every busy interval the 20,000 events make in the window, in expansion order.
const expanded: BusyInterval[] = [];
for (const p of people) {
  forEachBusyInterval(
    p.events,
    { timeZone: p.preferences.timeZone, window: WINDOW },
    (start, end, event, tentative) => {
      expanded.push({ start, end, eventId: event.id, title: event.title, tentative });
    },
  );
}
const sortEvents = (): void => {
  const sorted = expanded.slice().sort((a, b) => a.start - b.start);
  if (sorted.length !== expanded.length) throw new Error("bench: sort lost intervals");
};

/** Milliseconds per run, running `op` for about ROUND_MS. */
function msPerRun(op: () => void): number {
  op();
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    op();
    runs++;
    elapsed = performance.now() - start;
  }
  return elapsed / runs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const coldStart = performance.now();
const found = slotSearch();
const cold = performance.now() - coldStart;
const recurring = people.reduce((n, p) => n + p.events.filter((e) => e.recurrence !== undefined).length, 0);

const search: number[] = [];
const sort: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  search.push(msPerRun(slotSearch));
  sort.push(msPerRun(sortEvents));
}
const searchMs = median(search);
const sortMs = median(sort);
const ratio = searchMs / sortMs;
console.log(
  `slot search, ${PARTICIPANTS} participants × ${DAYS} days × ${EVENTS_EACH} events each (node ${process.version})`,
);
console.log(
  `  events: ${PARTICIPANTS * EVENTS_EACH} (${recurring} recurring), expanding to ${expanded.length} busy intervals`,
);
const common = intersectFree(found.availabilities.map((a) => a.free));
const freeCount = found.availabilities.reduce((sum, a) => sum + a.free.length, 0);
const proposed = found.ranked.map((slot) => formatSlot(slot, "Europe/London")).join(", ");
console.log(`  free intervals: ${freeCount} in all, ${common.length} common to all ten`);
console.log(`  30-minute slots proposed: ${found.ranked.length} (${proposed || "none"}, London time)`);
console.log(`  first run (cold caches):        ${cold.toFixed(1).padStart(7)} ms`);
console.log(`  slot search, median of ${ROUNDS}:     ${searchMs.toFixed(1).padStart(7)} ms`);
console.log(`  sort ${expanded.length} intervals, median: ${sortMs.toFixed(1).padStart(7)} ms`);
console.log(`goal: slot search ≤ ${GOAL}× sort → ${ratio.toFixed(2)}× ${ratio <= GOAL ? "met" : "MISSED"}`);
