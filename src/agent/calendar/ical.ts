/**
 * iCalendar (RFC 5545) for a confirmed meeting: what a confirmation will
 * carry so each side can put the meeting into any calendar. Pure text
 * building; times are UTC, so no VTIMEZONE is needed.
 */

export type VEventInput = {
  /** Stable across updates of the same meeting (the negotiation's task id plus a domain). */
  readonly uid: string;
  readonly title: string;
  readonly start: number;
  readonly end: number;
  /** When this version was written. */
  readonly stamp: number;
  /** Bumped by every change to the meeting (reschedule, cancel), so calendars replace the older copy. */
  readonly sequence: number;
  readonly status: "CONFIRMED" | "CANCELLED";
  readonly description?: string;
};

const CRLF = "\r\n";
const MAX_LINE_OCTETS = 75;

/** A VCALENDAR holding one VEVENT, lines folded at 75 octets and ended by CRLF. */
export function meetingToICalendar(input: VEventInput): string {
  if (!(Number.isSafeInteger(input.start) && Number.isSafeInteger(input.end) && input.end > input.start)) {
    throw new RangeError("meetingToICalendar: the meeting must end after it starts (whole milliseconds)");
  }
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 0) {
    throw new RangeError("meetingToICalendar: sequence must be a non-negative integer");
  }
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Parley//Parley scheduling agent//EN",
    "CALSCALE:GREGORIAN",
    "BEGIN:VEVENT",
    `UID:${escapeText(input.uid)}`,
    `DTSTAMP:${utcDateTime(input.stamp)}`,
    `DTSTART:${utcDateTime(input.start)}`,
    `DTEND:${utcDateTime(input.end)}`,
    `SEQUENCE:${input.sequence}`,
    `STATUS:${input.status}`,
    `SUMMARY:${escapeText(input.title)}`,
    ...(input.description === undefined ? [] : [`DESCRIPTION:${escapeText(input.description)}`]),
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("");
}

/** `YYYYMMDDTHHMMSSZ`, the UTC form of DATE-TIME (seconds truncated). */
export function utcDateTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError("utcDateTime: not a time");
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`
  );
}

/** TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines; other control characters dropped. */
export function escapeText(text: string): string {
  let out = "";
  const normalised = text.replace(/\r\n?/g, "\n");
  for (const ch of normalised) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === "\n") out += "\\n";
    else if (ch === "\\" || ch === ";" || ch === ",") out += `\\${ch}`;
    // Other controls (tab excepted) are not allowed in TEXT values.
    else if ((c < 0x20 && ch !== "\t") || c === 0x7f) continue;
    else out += ch;
  }
  return out;
}

/**
 * Content lines longer than 75 octets are folded with CRLF and a space
 * (§3.1), counting UTF-8 octets and never splitting a character.
 */
function fold(line: string): string {
  let out = "";
  let octets = 0;
  for (const ch of line) {
    const size = utf8Length(ch);
    // Continuation lines start with a space, which counts toward their 75.
    if (octets + size > MAX_LINE_OCTETS) {
      out += `${CRLF} `;
      octets = 1;
    }
    out += ch;
    octets += size;
  }
  return out + CRLF;
}

function utf8Length(ch: string): number {
  const c = ch.codePointAt(0) ?? 0;
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/**
 * Whether a received iCalendar object is exactly one VEVENT for this
 * meeting: its UID, start and end (after unfolding), with no recurrence and
 * no parameters on those properties (a `DTSTART;TZID=…` line would name
 * another time than the one checked). A peer's confirmation is acted on from
 * its data part; this only refuses one whose attachment disagrees with it.
 */
export function icalMatches(ical: string, uid: string, slot: { start: number; end: number }): boolean {
  const lines = ical.replace(/\r\n[ \t]/g, "").split("\r\n");
  const named = (name: string): string[] =>
    lines.filter((line) => line.toUpperCase().startsWith(name) && /^[:;]/.test(line.slice(name.length)));
  const only = (name: string): string | undefined => {
    const found = named(name);
    return found.length === 1 && found[0]![name.length] === ":" ? found[0]!.slice(name.length + 1) : undefined;
  };
  const events = lines.filter((line) => line.toUpperCase() === "BEGIN:VEVENT").length;
  const recurring = ["RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"].some((n) => named(n).length > 0);
  return (
    events === 1 &&
    !recurring &&
    only("UID") === escapeText(uid) &&
    only("DTSTART") === utcDateTime(slot.start) &&
    only("DTEND") === utcDateTime(slot.end)
  );
}
