import { err, ok, type Result } from "../../protocol/result";
import type { Interval } from "../scheduling/slots";
import { addLocalDays, localDay, MINUTE_MS } from "../scheduling/zoned";
import { matchContacts, unknownName } from "./contacts";
import { extractDuration, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES } from "./duration";
import { capitalize } from "./text";
import type { Intent, IntentError, ParseContext } from "./types";
import { extractRange, parseWhen, partOfDayIn, type When } from "./when";

/**
 * The built-in, offline command parser: "30 minutes with Alice next week,
 * afternoons" becomes a schedule intent. Rules, not a model: anything it
 * cannot read with confidence is a typed error with a hint, never a guess.
 */

export const MAX_COMMAND_CHARS = 500;
export const DEFAULT_DURATION_MINUTES = 30;
export const DEFAULT_WINDOW_DAYS = 7;

/** "why not Tuesday 3pm?", "why wasn't 10am tomorrow offered": the owner asks for an explanation. */
const WHY = /^\s*why\b/i;
/** "cancel ...", "call off ...", "move ...", "reschedule ...", "postpone ...": acting on an existing meeting. */
const MANAGE = /^\s*(?:please\s+)?(cancel|call\s+off|move|reschedule|postpone)\b/i;
const HELP = /^(?:help|commands|\?|what\s+can\s+you\s+do(?:\s+for\s+me)?|how\s+does\s+this\s+work)[\s?!.]*$/i;
const VERB = /\b(?:meet|meeting|schedule|find|book|set\s+up|arrange|plan|organi[sz]e|catch\s+up|see|grab|slot|time)\b/i;

// Leading nouns that name the meeting; values are how they read as a title.
const TITLES: readonly (readonly [RegExp, string])[] = [
  [/\bvideo\s+call\b/i, "Video call"],
  [/\bphone\s+call\b/i, "Phone call"],
  [/\bcatch[\s-]?up\b/i, "Catch-up"],
  [/\bstand[\s-]?up\b/i, "Stand-up"],
  [/\bcheck[\s-]in\b/i, "Check-in"],
  [/(?<![\w:])(?:1:1|one[\s-]on[\s-]one)(?![\w:])/i, "1:1"],
  [/\b(lunch|coffee|breakfast|dinner|drinks|call|sync|chat|interview|review|demo|walk|workshop)\b/i, ""],
];

const HINTS = {
  notUnderstood: 'I didn\'t catch that. Try "30 minutes with Alice next week" or "meet Bob tomorrow at 3pm".',
  tooLong: `That is more than ${MAX_COMMAND_CHARS} characters; one short sentence is enough, like "1h with Bob this week".`,
  noContact: 'Who is the meeting with? Name one of your contacts, like "30 minutes with Alice tomorrow".',
  badDuration: `Meetings can last ${MIN_DURATION_MINUTES} minutes to ${MAX_DURATION_MINUTES / 60} hours, like "for 45 minutes" or "for 1.5 hours".`,
  inThePast: "That time has already passed. Try a later time today or another day.",
  whyWhen: 'Which time do you mean? Ask like "why not Tuesday at 3pm?".',
} as const;

function titleIn(text: string, before: number): string | undefined {
  let best: { index: number; title: string } | undefined;
  for (const [pattern, title] of TITLES) {
    const match = pattern.exec(text);
    if (match && match.index < before && (best === undefined || match.index < best.index)) {
      best = { index: match.index, title: title || capitalize(match[0].toLowerCase()) };
    }
  }
  return best?.title;
}

function dayWindow(when: When & { kind: "day" }, now: number): Interval {
  return { start: Math.max(when.start, now), end: when.end };
}

/** An explanation of one time: the time named (for the duration named, else the default). */
function parseWhy(text: string, context: ParseContext): Result<Intent, IntentError> {
  const { now, timeZone } = context;
  const duration = extractDuration(text);
  if (duration.kind === "bad") return err({ code: "bad-duration", hint: HINTS.badDuration });
  const when = parseWhen(duration.text, {
    now,
    timeZone,
    partOfDay: partOfDayIn(text),
    earlyTitle: false,
    within: undefined,
  });
  if (when?.kind !== "exact") return err({ code: "not-understood", hint: HINTS.whyWhen });
  const minutes = duration.kind === "ok" ? duration.minutes : DEFAULT_DURATION_MINUTES;
  return ok({ kind: "explain", slot: { start: when.start, end: when.start + minutes * MINUTE_MS } });
}

/** Two contacts match the same words equally well: the human is asked to use the full name (IT9). */
function ambiguous(match: { readonly name: string; readonly candidates: readonly { name: string }[] }): IntentError {
  const names = match.candidates.map((c) => c.name);
  return {
    code: "ambiguous-contact",
    name: match.name,
    candidates: names,
    hint: `"${match.name}" could be ${names.join(" or ")}; use the full name.`,
  };
}

/** Which meeting to cancel or move: the contacts and the time named (none named: the human is asked). */
function parseManage(text: string, verb: string, context: ParseContext): Result<Intent, IntentError> {
  const { now, timeZone, contacts } = context;
  const kind = /^(?:cancel|call)/i.test(verb) ? "cancel" : "reschedule";
  const people = matchContacts(text, contacts);
  if (people.kind === "ambiguous") return err(ambiguous(people));
  const rest = people.kind === "found" ? people.text : text;
  const when = parseWhen(rest, { now, timeZone, partOfDay: partOfDayIn(text), earlyTitle: false, within: undefined });
  const contactIds = people.kind === "found" ? people.contacts.map((c) => c.id) : [];
  const window =
    when === undefined
      ? undefined
      : when.kind === "exact"
        ? { start: when.start, end: when.start + MINUTE_MS }
        : { start: when.start, end: when.end };
  return ok(window === undefined ? { kind, contactIds } : { kind, contactIds, when: window });
}

export function parseCommand(input: string, context: ParseContext): Result<Intent, IntentError> {
  const { now, timeZone, contacts } = context;
  const text = input.trim();
  if (text.length === 0) return err({ code: "not-understood", hint: HINTS.notUnderstood });
  if (text.length > MAX_COMMAND_CHARS) return err({ code: "not-understood", hint: HINTS.tooLong });
  if (HELP.test(text)) return ok({ kind: "help" });
  if (WHY.test(text)) return parseWhy(text, context);
  const manage = MANAGE.exec(text);
  if (manage !== null) return parseManage(text, manage[1]!, context);

  const contact = matchContacts(text, contacts);
  const duration = extractDuration(contact.kind === "found" ? contact.text : text);
  const range = extractRange(duration.text, { now, timeZone });
  const partOfDay = partOfDayIn(text);
  const withAt = text.search(/\bwith\b/i);
  const title = titleIn(text, withAt >= 0 ? withAt : text.length);
  const when = parseWhen(range?.text ?? duration.text, {
    now,
    timeZone,
    partOfDay,
    earlyTitle: title === "Breakfast",
    within: range?.window,
  });

  const understood =
    VERB.test(text) || withAt >= 0 || duration.kind !== "none" || title !== undefined || range !== undefined;
  if (!understood && when === undefined) return err({ code: "not-understood", hint: HINTS.notUnderstood });

  if (contact.kind === "ambiguous") return err(ambiguous(contact));
  if (contact.kind === "none") {
    const name = unknownName(text);
    if (name === undefined) return err({ code: "no-contact", hint: HINTS.noContact });
    return err({
      code: "unknown-contact",
      name,
      hint: `${name} is not one of your contacts yet. Send them an invite link, then try again.`,
    });
  }

  let durationMinutes = DEFAULT_DURATION_MINUTES;
  if (duration.kind === "bad") return err({ code: "bad-duration", hint: HINTS.badDuration });
  if (duration.kind === "ok") durationMinutes = duration.minutes;
  else if (when?.kind === "exact" && when.end !== undefined) {
    // "3-4pm" says how long as well as when.
    durationMinutes = Math.round((when.end - when.start) / MINUTE_MS);
    if (durationMinutes < MIN_DURATION_MINUTES || durationMinutes > MAX_DURATION_MINUTES) {
      return err({ code: "bad-duration", hint: HINTS.badDuration });
    }
  }

  const [first, ...others] = contact.contacts;
  // matchContacts reports "found" only with at least one contact.
  if (first === undefined) return err({ code: "no-contact", hint: HINTS.noContact });
  const name = first.name.trim();
  const everyone = [name, ...others.map((o) => o.name.trim())];
  const listed = everyone.length === 1 ? name : `${everyone.slice(0, -1).join(", ")} and ${everyone.at(-1)!}`;
  const base = { kind: "schedule", contactId: first.id, contactName: name, others, durationMinutes } as const;
  const intent = { ...base, title: (title ?? `Meeting with ${listed}`).slice(0, 200) };

  if (when?.kind === "exact") {
    if (when.start < now) return err({ code: "in-the-past", hint: HINTS.inThePast });
    const exact = { start: when.start, end: when.start + durationMinutes * MINUTE_MS };
    const day = localDay(exact.start, timeZone);
    return ok({ ...intent, exact, window: { start: Math.max(day.start, now), end: day.end } });
  }
  const window: Interval =
    when?.kind === "day"
      ? dayWindow(when, now)
      : (range?.window ?? { start: now, end: addLocalDays(now, DEFAULT_WINDOW_DAYS, timeZone) });
  if (window.end <= now) return err({ code: "in-the-past", hint: HINTS.inThePast });
  return ok(partOfDay === undefined ? { ...intent, window } : { ...intent, window, partOfDay });
}
