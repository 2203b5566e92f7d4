import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommand, type Contact, type Intent, type IntentErrorCode } from "../../../../src/agent/intent";
import { addLocalDays } from "../../../../src/agent/scheduling/zoned";
import { at, createPrng, MINUTE } from "../support";

const CONTACTS: readonly Contact[] = [
  { id: "alice", name: "Alice Smith" },
  { id: "bob", name: "Bob" },
  { id: "may", name: "May Chen" },
];

// Two non-UTC zones on either side of Greenwich; the machine's own TZ is left as it is.
const ZONES = ["America/New_York", "Asia/Kolkata"] as const;

type Expected = {
  contactId?: string;
  durationMinutes?: number;
  title?: string;
  exact?: { start: number; end: number };
  window?: { start: number; end: number };
  partOfDay?: string;
};

/** Wednesday 4 March 2026, 10:00 local. */
const nowIn = (zone: string): number => at(zone, 2026, 3, 4, 10);

function expectSchedule(text: string, zone: string, expected: Expected, contacts = CONTACTS): void {
  const result = parseCommand(text, { now: nowIn(zone), timeZone: zone, contacts });
  if (!result.ok) throw new Error(`expected "${text}" to parse, got ${result.error.code}`);
  expect(result.value.kind).toBe("schedule");
  expect(result.value).toMatchObject(expected);
  if (expected.exact === undefined) expect(result.value).not.toHaveProperty("exact");
  if (expected.partOfDay === undefined) expect(result.value).not.toHaveProperty("partOfDay");
}

function expectError(text: string, code: IntentErrorCode, zone: string = ZONES[0], contacts = CONTACTS): void {
  const result = parseCommand(text, { now: nowIn(zone), timeZone: zone, contacts });
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.error.code).toBe(code);
    expect(result.error.hint.length).toBeGreaterThan(10);
  }
}

describe.each(ZONES)("parseCommand in %s", (zone) => {
  const local = (day: number, hour = 0, minute = 0, month = 3): number => at(zone, 2026, month, day, hour, minute);
  const now = nowIn(zone);
  const nextSevenDays = { start: now, end: addLocalDays(now, 7, zone) };

  it.each<[string, string, Expected]>([
    [
      "IT2",
      "meet Alice tomorrow at 3pm for 30 minutes",
      {
        contactId: "alice",
        durationMinutes: 30,
        exact: { start: local(5, 15), end: local(5, 15, 30) },
        window: { start: local(5), end: local(6) },
      },
    ],
    [
      "IT3",
      "find 30 minutes with Alice next week",
      {
        contactId: "alice",
        durationMinutes: 30,
        title: "Meeting with Alice Smith",
        window: { start: local(9), end: local(16) },
      },
    ],
    [
      "IT6",
      "30 minutes with Alice next week, afternoons",
      { contactId: "alice", durationMinutes: 30, window: { start: local(9), end: local(16) }, partOfDay: "afternoon" },
    ],
    [
      "IT5",
      "schedule an hour with Bob on Friday",
      { contactId: "bob", durationMinutes: 60, window: { start: local(6), end: local(7) } },
    ],
    [
      "IT2",
      "meet alice thursday 10am",
      { contactId: "alice", durationMinutes: 30, exact: { start: local(5, 10), end: local(5, 10, 30) } },
    ],
    [
      "IT8",
      "lunch with Bob tomorrow at noon for 1 hour",
      { contactId: "bob", durationMinutes: 60, title: "Lunch", exact: { start: local(5, 12), end: local(5, 13) } },
    ],
    ["IT3", "1h with Bob this week", { contactId: "bob", durationMinutes: 60, window: { start: now, end: local(9) } }],
    [
      "IT4",
      "45 min with Bob in the next 3 days",
      { contactId: "bob", durationMinutes: 45, window: { start: now, end: local(7, 10) } },
    ],
    ["IT4", "find time with Bob", { contactId: "bob", durationMinutes: 30, window: nextSevenDays }],
    ["IT4", "meet Bob within the next week", { window: nextSevenDays }],
    [
      "IT3",
      "sync with Bob tuesday next week at 2pm",
      { title: "Sync", exact: { start: local(10, 14), end: local(10, 14, 30) } },
    ],
    ["IT5", "coffee with Bob today", { title: "Coffee", window: { start: now, end: local(5) } }],
    ["IT5", "call with bob on March 20", { title: "Call", window: { start: local(20), end: local(21) } }],
    ["IT5", "call with bob on the 20th", { title: "Call", window: { start: local(20), end: local(21) } }],
    ["IT5", "meet Bob the 2nd", { window: { start: local(2, 0, 0, 4), end: local(3, 0, 0, 4) } }],
    ["IT2", "meet Bob on the 25th at 2pm", { exact: { start: local(25, 14), end: local(25, 14, 30) } }],
    ["IT2", "meet Bob march 25th at 2pm", { exact: { start: local(25, 14), end: local(25, 14, 30) } }],
    ["IT6", "meet Bob tomorrow afternoon", { window: { start: local(5), end: local(6) }, partOfDay: "afternoon" }],
    ["IT6", "meet Bob tonight", { window: { start: now, end: local(5) }, partOfDay: "evening" }],
    ["IT6", "meet Bob tomorrow evening at 7", { exact: { start: local(5, 19), end: local(5, 19, 30) } }],
    ["IT14", "meet Bob tomorrow at 3", { exact: { start: local(5, 15), end: local(5, 15, 30) } }],
    [
      "IT14",
      "breakfast with Bob tomorrow at 7",
      { title: "Breakfast", exact: { start: local(5, 7), end: local(5, 7, 30) } },
    ],
    [
      "IT14",
      "call with Bob tomorrow 3-4pm",
      { durationMinutes: 60, exact: { start: local(5, 15), end: local(5, 16) } },
    ],
    [
      "IT7",
      "meet Bob in 2 hours",
      { durationMinutes: 30, exact: { start: now + 120 * MINUTE, end: now + 150 * MINUTE } },
    ],
    ["IT3", "meet Bob next week at 3pm", { window: { start: local(9), end: local(16) } }],
    ["IT3", "meet Bob next month", { window: { start: local(1, 0, 0, 4), end: local(1, 0, 0, 5) } }],
    [
      "IT9",
      "coffee with may tomorrow",
      { contactId: "may", title: "Coffee", window: { start: local(5), end: local(6) } },
    ],
  ])("[%s] %s", (_rule, text, expected) => {
    expectSchedule(text, zone, expected);
  });

  it.each<[string, number]>([
    ["30 minutes", 30],
    ["30 min", 30],
    ["30m", 30],
    ["30-minute", 30],
    ["an hour", 60],
    ["1 hour", 60],
    ["1.5 hours", 90],
    ["90 minutes", 90],
    ["half an hour", 30],
    ["a quarter of an hour", 15],
    ["1h", 60],
    ["1h30", 90],
    ["1 hour 15 minutes", 75],
    ["an hour and a half", 90],
    ["two hours", 120],
    ["forty five minutes", 45],
  ])("[IT7] reads the duration %s", (phrase, minutes) => {
    expectSchedule(`${phrase} with Bob`, zone, { contactId: "bob", durationMinutes: minutes, window: nextSevenDays });
    expectSchedule(`meet Bob next week for ${phrase}`, zone, { durationMinutes: minutes });
  });

  it.each<[string, string, IntentErrorCode]>([
    ["IT13", "", "not-understood"],
    ["IT13", "   ", "not-understood"],
    ["IT13", "hello there", "not-understood"],
    ["IT13", "Bob", "not-understood"],
    ["IT10", "meet Zed tomorrow", "unknown-contact"],
    ["IT10", "lunch with Charlie on Friday", "unknown-contact"],
    ["IT10", "meet Bobby tomorrow", "unknown-contact"],
    ["IT10", "meet tomorrow at 3pm", "no-contact"],
    ["IT10", "find 30 minutes next week", "no-contact"],
    ["IT7", "meet Bob for 0 minutes", "bad-duration"],
    ["IT7", "meet Bob for 3 minutes", "bad-duration"],
    ["IT7", "meet Bob for 10 hours", "bad-duration"],
    ["IT7", "meet Bob for 3 days", "bad-duration"],
    ["IT7", "meet Bob tomorrow 3pm-3:02pm", "bad-duration"],
    ["IT11", "meet Bob yesterday at 3pm", "in-the-past"],
    ["IT11", "meet Bob today at 9am", "in-the-past"],
    ["IT11", "meet Bob yesterday", "in-the-past"],
  ])("[%s] %j fails with %s", (_rule, text, code) => {
    expectError(text, code, zone);
  });
});

describe("parseCommand", () => {
  const zone = "Europe/London";
  const context = { now: nowIn(zone), timeZone: zone, contacts: CONTACTS };

  it.each(["help", "Help!", "what can you do", "What can you do?", "?"])("[IT1] %j asks for help", (text) => {
    expect(parseCommand(text, context)).toEqual({ ok: true, value: { kind: "help" } });
  });

  it("[IT9] matches whole words only, any case, longest name first", () => {
    const contacts = [
      { id: "ann", name: "Ann" },
      { id: "anne", name: "Anne Marie" },
      { id: "al", name: "Al" },
      { id: "alg", name: "Al Gore" },
    ];
    expectSchedule("meet ANNE tomorrow", zone, { contactId: "anne" }, contacts);
    expectSchedule("meet ann tomorrow", zone, { contactId: "ann" }, contacts);
    expectSchedule("meet Al Gore tomorrow", zone, { contactId: "alg", title: "Meeting with Al Gore" }, contacts);
  });

  it("[IT9] two contacts that match equally well are ambiguous, not guessed", () => {
    const contacts = [
      { id: "a1", name: "Alice Smith" },
      { id: "a2", name: "Alice Jones" },
    ];
    const result = parseCommand("meet Alice tomorrow", { ...context, contacts });
    expect(result).toMatchObject({
      ok: false,
      error: { code: "ambiguous-contact", name: "Alice", candidates: ["Alice Smith", "Alice Jones"] },
    });
    expectSchedule("meet alice jones tomorrow", zone, { contactId: "a2" }, contacts);
  });

  it("[IT9] a contact whose name is also a month or weekday is read as the contact", () => {
    const contacts = [{ id: "june", name: "June" }];
    expectSchedule(
      "meet June on Friday",
      zone,
      { contactId: "june", window: { start: at(zone, 2026, 3, 6), end: at(zone, 2026, 3, 7) } },
      contacts,
    );
  });

  it("[IT10] reports the unknown name so the assistant can suggest an invite", () => {
    const result = parseCommand("30 minutes with Zoë next week", context);
    expect(result).toMatchObject({ ok: false, error: { code: "unknown-contact", name: "Zoë" } });
    if (!result.ok) expect(result.error.hint).toContain("Zoë");
  });

  it("[IT14] honours an explicit zone in the text", () => {
    expectSchedule("meet Bob tomorrow at 3pm EST", zone, {
      exact: { start: Date.parse("2026-03-05T20:00:00Z"), end: Date.parse("2026-03-05T20:30:00Z") },
    });
  });

  it("[IT12] reads wall-clock times in the given zone across its DST change", () => {
    // Friday 6 March 2026, 10:00 in New York (EST); the clocks go forward on Sunday 8 March.
    const ny = "America/New_York";
    const now = at(ny, 2026, 3, 6, 10);
    const result = parseCommand("meet Bob Monday at 9am", { now, timeZone: ny, contacts: CONTACTS });
    expect(result).toMatchObject({ ok: true, value: { exact: { start: Date.parse("2026-03-09T13:00:00Z") } } });
    const week = parseCommand("30 minutes with Bob next week", { now, timeZone: ny, contacts: CONTACTS });
    expect(week).toMatchObject({
      ok: true,
      value: { window: { start: Date.parse("2026-03-09T04:00:00Z"), end: Date.parse("2026-03-16T04:00:00Z") } },
    });
  });

  it("[IT3] on a Sunday, next week starts tomorrow", () => {
    const now = at(zone, 2026, 3, 8, 18);
    const result = parseCommand("30 minutes with Bob next week", { now, timeZone: zone, contacts: CONTACTS });
    expect(result).toMatchObject({
      ok: true,
      value: { window: { start: at(zone, 2026, 3, 9), end: at(zone, 2026, 3, 16) } },
    });
  });

  it("[IT13] never throws, whatever the input", () => {
    const prng = createPrng(11);
    const pieces = [
      "meet",
      "with",
      "Bob",
      "alice",
      "tomorrow",
      "3pm",
      "for",
      "30",
      "minutes",
      "🎉",
      "👩‍👩‍👧",
      "\u0000",
      "\u202e",
      "ß",
      "İ",
      "next",
      "week",
      "-",
      ":",
      ".",
      "1h",
      "@",
      "__proto__",
      "constructor",
      "at",
      "12:99",
      "25pm",
      "99999999999999999999",
      "hours",
      "\n",
      "  ",
    ];
    for (let i = 0; i < 2_000; i++) {
      const words = Array.from({ length: 1 + prng.int(12) }, () => pieces[prng.int(pieces.length)]!);
      const text = words.join(prng.int(2) === 0 ? " " : "");
      const result = parseCommand(text, context);
      expect(typeof result.ok).toBe("boolean");
    }
    for (let i = 0; i < 200; i++) {
      const text = String.fromCharCode(...Array.from({ length: prng.int(80) }, () => prng.int(0x3000)));
      expect(typeof parseCommand(text, context).ok).toBe("boolean");
    }
  });

  it("[IT13] refuses overlong input without reading it", () => {
    expectError(`meet Bob tomorrow ${"very ".repeat(20_000)}`, "not-understood", zone);
    expectError("🙂".repeat(1_000), "not-understood", zone);
  });

  it("[IT13] a window that is valid keeps its shape: start before end, from now on", () => {
    for (const text of ["meet Bob", "meet Bob this week", "meet Bob tonight", "meet Bob next week"]) {
      const result = parseCommand(text, context);
      if (!result.ok || result.value.kind !== "schedule") throw new Error(`"${text}" did not parse`);
      const intent: Intent = result.value;
      if (intent.kind === "schedule") {
        expect(intent.window.start).toBeGreaterThanOrEqual(context.now);
        expect(intent.window.end).toBeGreaterThan(intent.window.start);
      }
    }
  });
});

describe("parseCommand with another machine zone", () => {
  // The machine's zone must not matter: run the same command under a far-away TZ and compare.
  const saved = process.env["TZ"];
  let before: unknown;
  beforeAll(() => {
    before = parseCommand("meet Bob tomorrow at 9am", {
      now: nowIn("Asia/Kolkata"),
      timeZone: "Asia/Kolkata",
      contacts: CONTACTS,
    });
    process.env["TZ"] = "Pacific/Chatham";
  });
  afterAll(() => {
    if (saved === undefined) delete process.env["TZ"];
    else process.env["TZ"] = saved;
  });

  it("[IT12] gives the same answer whatever process.env.TZ says", () => {
    expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBe("Pacific/Chatham");
    const after = parseCommand("meet Bob tomorrow at 9am", {
      now: nowIn("Asia/Kolkata"),
      timeZone: "Asia/Kolkata",
      contacts: CONTACTS,
    });
    expect(after).toEqual(before);
    expect(after).toMatchObject({ ok: true, value: { exact: { start: at("Asia/Kolkata", 2026, 3, 5, 9) } } });
  });
});

describe("parseCommand with several people", () => {
  it("[IT15] names every contact in the command, in order, and lists them in the default title", () => {
    const zone = ZONES[0];
    const result = parseCommand("meet Bob and May Chen tomorrow for an hour", {
      now: nowIn(zone),
      timeZone: zone,
      contacts: CONTACTS,
    });
    if (!result.ok || result.value.kind !== "schedule") throw new Error("expected a schedule intent");
    expect(result.value).toMatchObject({ contactId: "bob", contactName: "Bob", durationMinutes: 60 });
    expect(result.value.others).toEqual([{ id: "may", name: "May Chen" }]);
    expect(result.value.title).toBe("Meeting with Bob and May Chen");
    const three = parseCommand("lunch with Alice, Bob and May", {
      now: nowIn(zone),
      timeZone: zone,
      contacts: CONTACTS,
    });
    if (!three.ok || three.value.kind !== "schedule") throw new Error("expected a schedule intent");
    expect([three.value.contactId, ...three.value.others.map((o) => o.id)]).toEqual(["alice", "bob", "may"]);
    expect(three.value.title).toBe("Lunch");
  });

  it("[IT15] one contact gives no others, and an ambiguous second name is refused", () => {
    const zone = ZONES[0];
    const one = parseCommand("meet Bob tomorrow", { now: nowIn(zone), timeZone: zone, contacts: CONTACTS });
    expect(one.ok && one.value.kind === "schedule" && one.value.others).toEqual([]);
    const twins = [...CONTACTS, { id: "may2", name: "May Jones" }];
    expectError("meet Bob and May tomorrow", "ambiguous-contact", zone, twins);
  });
});

describe("parseCommand: asking why", () => {
  it('[IT16] "why not <time>?" asks for an explanation of that slot (30 minutes unless a length is named)', () => {
    const zone = ZONES[1];
    const context = { now: nowIn(zone), timeZone: zone, contacts: CONTACTS };
    const local = (day: number, hour: number) => at(zone, 2026, 3, day, hour);
    expect(parseCommand("why not tomorrow at 3pm?", context)).toEqual({
      ok: true,
      value: { kind: "explain", slot: { start: local(5, 15), end: local(5, 15) + 30 * MINUTE } },
    });
    expect(parseCommand("Why wasn't Friday 10am offered for an hour", context)).toEqual({
      ok: true,
      value: { kind: "explain", slot: { start: local(6, 10), end: local(6, 11) } },
    });
    expectError("why?", "not-understood", zone);
    expectError("why not next week", "not-understood", zone);
  });
});

describe("parseCommand: cancelling and moving", () => {
  it("[IT17] cancel/call off/move/reschedule/postpone name the meeting by its people and time", () => {
    const zone = ZONES[0];
    const context = { now: nowIn(zone), timeZone: zone, contacts: CONTACTS };
    const day = (d: number) => ({ start: at(zone, 2026, 3, d), end: at(zone, 2026, 3, d + 1) });
    expect(parseCommand("cancel my meeting with Bob", context)).toEqual({
      ok: true,
      value: { kind: "cancel", contactIds: ["bob"] },
    });
    expect(parseCommand("Please call off lunch with Alice and Bob on Friday", context)).toEqual({
      ok: true,
      value: { kind: "cancel", contactIds: ["alice", "bob"], when: day(6) },
    });
    const move = parseCommand("move the one with May tomorrow at 3pm", context);
    expect(move.ok && move.value).toEqual({
      kind: "reschedule",
      contactIds: ["may"],
      when: { start: at(zone, 2026, 3, 5, 15), end: at(zone, 2026, 3, 5, 15) + MINUTE },
    });
    for (const verb of ["reschedule", "postpone"]) {
      expect(parseCommand(`${verb} the sync`, context)).toEqual({
        ok: true,
        value: { kind: "reschedule", contactIds: [] },
      });
    }
    const twins = [...CONTACTS, { id: "may2", name: "May Jones" }];
    expectError("cancel with May", "ambiguous-contact", zone, twins);
  });
});
