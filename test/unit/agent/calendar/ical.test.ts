import { describe, expect, it } from "vitest";
import { escapeText, icalMatches, meetingToICalendar, utcDateTime } from "../../../../src/agent/calendar/ical";

const base = {
  uid: "task-123@parley",
  title: "Planning",
  start: Date.UTC(2026, 10, 24, 15, 0),
  end: Date.UTC(2026, 10, 24, 15, 30),
  stamp: Date.UTC(2026, 10, 21, 9, 0, 5),
  sequence: 0,
  status: "CONFIRMED" as const,
};

/** Undoes line folding (§3.1) and splits into content lines. */
const unfold = (text: string): string[] => text.replace(/\r\n /g, "").split("\r\n").slice(0, -1);

describe("iCalendar for a confirmed meeting", () => {
  it("[IC1] writes one VEVENT in a VCALENDAR with UID, DTSTAMP, UTC DTSTART/DTEND, SEQUENCE, STATUS and SUMMARY", () => {
    expect(unfold(meetingToICalendar(base))).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//Parley//Parley scheduling agent//EN",
      "CALSCALE:GREGORIAN",
      "BEGIN:VEVENT",
      "UID:task-123@parley",
      "DTSTAMP:20261121T090005Z",
      "DTSTART:20261124T150000Z",
      "DTEND:20261124T153000Z",
      "SEQUENCE:0",
      "STATUS:CONFIRMED",
      "SUMMARY:Planning",
      "END:VEVENT",
      "END:VCALENDAR",
    ]);
    expect(utcDateTime(Date.UTC(2027, 0, 2, 3, 4, 5, 999))).toBe("20270102T030405Z");
  });

  it("[IC2] escapes TEXT: backslash, semicolon, comma and newlines, and drops other control characters", () => {
    expect(escapeText("a\\b;c,d\ne\r\nf\rg")).toBe("a\\\\b\\;c\\,d\\ne\\nf\\ng");
    expect(escapeText("tab\tkept\u0000\u0007\u007fgone")).toBe("tab\tkeptgone");
    const text = meetingToICalendar({ ...base, title: "1:1; budget, Q1\nbring notes", description: "x,y" });
    expect(unfold(text)).toContain("SUMMARY:1:1\\; budget\\, Q1\\nbring notes");
    expect(unfold(text)).toContain("DESCRIPTION:x\\,y");
  });

  it("[IC3] folds lines over 75 octets with CRLF and a space, counting UTF-8 octets and never splitting a character", () => {
    const title = "Zoë ☕ 😀 ".repeat(20);
    const text = meetingToICalendar({ ...base, title });
    const encoder = new TextEncoder();
    for (const line of text.split("\r\n")) expect(encoder.encode(line).length).toBeLessThanOrEqual(75);
    expect(unfold(text)).toContain(`SUMMARY:${title}`);
    // Every physical line is valid UTF-8 on its own: no character was cut.
    for (const line of text.split("\r\n"))
      expect(new TextDecoder("utf-8", { fatal: true }).decode(encoder.encode(line))).toBe(line);
    expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true);
  });

  it("[IC4] refuses a meeting that does not end after it starts, or a negative sequence, by name", () => {
    expect(() => meetingToICalendar({ ...base, end: base.start })).toThrow(/^meetingToICalendar:/);
    expect(() => meetingToICalendar({ ...base, start: Number.NaN })).toThrow(/^meetingToICalendar:/);
    expect(() => meetingToICalendar({ ...base, sequence: -1 })).toThrow(/^meetingToICalendar:/);
    expect(unfold(meetingToICalendar({ ...base, sequence: 2, status: "CANCELLED" }))).toEqual(
      expect.arrayContaining(["SEQUENCE:2", "STATUS:CANCELLED"]),
    );
  });
});

describe("checking a received VEVENT", () => {
  const slot = { start: Date.UTC(2026, 10, 24, 15), end: Date.UTC(2026, 10, 24, 15, 30) };
  const uid = "AAAAAAAAAAAAAAAAAAAAAA@parley";
  const base = { uid, title: "Planning", ...slot, stamp: slot.start - 86_400_000, sequence: 0 };
  const good = meetingToICalendar({ ...base, status: "CONFIRMED" });
  const insert = (extra: string) => good.replace("END:VEVENT", `${extra}\r\nEND:VEVENT`);

  it("[IC5] accepts exactly one VEVENT naming this UID, start and end, folded or not", () => {
    expect(icalMatches(good, uid, slot)).toBe(true);
    const longTitle = meetingToICalendar({ ...base, title: "P".repeat(200), status: "CONFIRMED" });
    expect(icalMatches(longTitle, uid, slot)).toBe(true);
    expect(icalMatches(good, uid, { ...slot, end: slot.end + 60_000 })).toBe(false);
    expect(icalMatches(good, "other@parley", slot)).toBe(false);
  });

  it("[IC5] refuses recurrence, a second event, and parameters that would change what the times mean", () => {
    expect(icalMatches(insert("RRULE:FREQ=DAILY"), uid, slot)).toBe(false);
    expect(icalMatches(insert("EXDATE:20261125T150000Z"), uid, slot)).toBe(false);
    expect(icalMatches(insert("DTSTART;TZID=America/New_York:20261124T150000"), uid, slot)).toBe(false);
    expect(icalMatches(good.replace("DTSTART:", "DTSTART;VALUE=DATE-TIME:"), uid, slot)).toBe(false);
    const second = good.replace("END:VCALENDAR", "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR");
    expect(icalMatches(second, uid, slot)).toBe(false);
    expect(icalMatches(good.replace("UID:", "UID;X-A=1:"), uid, slot)).toBe(false);
  });
});
