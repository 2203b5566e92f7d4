import { z } from "zod";
import type { Slot } from "../../protocol/messages/schema";
import { err, ok, type Result } from "../../protocol/result";
import { WEEKDAYS } from "../availability/preferences";
import type { MinuteRange, Preferences, Weekday } from "../availability/types";
import { zoneOffsets } from "../scheduling/offsets";
import { instantToLocal, localDay, MINUTE_MS } from "../scheduling/zoned";
import type { ContactPolicy, Disclosure, PolicyError, PolicyFacts } from "./types";

/**
 * Per-contact policy: which of a contact's proposed times the agent may
 * accept without asking its owner. Every rule only narrows: a slot must pass
 * all the enabled ones, and anything the rules cannot decide is left to the
 * owner. The caller passes slots the owner is already free for (NG4); the
 * policy never makes a busy time acceptable.
 */

export const DISCLOSURES = ["slots", "answers-only"] as const satisfies readonly Disclosure[];

/** Meeting lengths a policy may allow on its own, in minutes: the intent parser's range (IT7). */
export const CONTACT_POLICY_LIMITS = { minMinutes: 5, maxMinutes: 480 } as const;

/** Tuesday to Thursday: the days a policy covers until the owner picks others. */
const MIDWEEK: readonly Weekday[] = Object.freeze([2, 3, 4] as const);

/**
 * Never accepts on its own, so a contact without a stored policy (or with a
 * damaged one) is always asked about; the other values are what switching
 * auto-accept on starts from: short meetings, midweek, in working hours,
 * with a verified contact.
 */
export const DEFAULT_CONTACT_POLICY: ContactPolicy = Object.freeze({
  autoAccept: false,
  maxMinutes: 30,
  weekdays: MIDWEEK,
  withinWorkingHours: true,
  verifiedOnly: true,
  disclose: "slots",
});

const { minMinutes, maxMinutes } = CONTACT_POLICY_LIMITS;
const MINUTES = `must be a whole number of minutes ${minMinutes}..${maxMinutes}`;
const FLAG = "must be true or false";
const WEEKDAY = "must be a weekday 0 (Sunday)..6 (Saturday)";

const weekdayOf = (value: unknown): Weekday | undefined => WEEKDAYS.find((d) => d === value);

/** Checked item by item in one pass, so a bad day and a repeated one are both reported. */
const weekdaysSchema = z
  .array(z.unknown(), { error: "must be a list of weekdays" })
  .superRefine((days, context) => {
    days.forEach((day, i) => {
      if (weekdayOf(day) === undefined) context.addIssue({ code: "custom", path: [i], message: WEEKDAY });
      else if (days.indexOf(day) < i)
        context.addIssue({ code: "custom", path: [i], message: `repeats ${String(day)}` });
    });
  })
  .transform((days) => days.flatMap((day) => weekdayOf(day) ?? []));

/** Strict, so a typo (or `__proto__`) is refused instead of silently leaving a rule at its default. */
const policySchema = z.strictObject({
  autoAccept: z.boolean({ error: FLAG }).optional(),
  maxMinutes: z
    .number({ error: MINUTES })
    .int({ error: MINUTES })
    .min(minMinutes, { error: MINUTES })
    .max(maxMinutes, { error: MINUTES })
    .optional(),
  weekdays: weekdaysSchema.optional(),
  withinWorkingHours: z.boolean({ error: FLAG }).optional(),
  verifiedOnly: z.boolean({ error: FLAG }).optional(),
  disclose: z.enum(DISCLOSURES, { error: `must be one of ${DISCLOSURES.join(", ")}` }).optional(),
});

type Issue = z.ZodError["issues"][number];

/** One line naming the field, as `parsePreferences` words its issues. */
function describeIssue(issue: Issue): string {
  if (issue.code === "unrecognized_keys") return `unknown fields: ${issue.keys.join(", ")}`;
  if (issue.path.length === 0) return "policy must be an object";
  const where = issue.path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");
  return `${where.slice(1)} ${issue.message}`;
}

/**
 * Validates a policy from storage or a form. Fields left out take their
 * default (so a stored policy stays readable when a rule is added later, and
 * a missing `autoAccept` means no); unknown fields, wrong types, lengths
 * outside 5..480 and repeated weekdays are refused, every problem listed.
 * Weekdays come back sorted.
 */
export function parseContactPolicy(value: unknown): Result<ContactPolicy, PolicyError> {
  const parsed = policySchema.safeParse(value);
  if (!parsed.success) return err({ code: "invalid", issues: parsed.error.issues.map(describeIssue) });
  const given = parsed.data;
  const defaults = DEFAULT_CONTACT_POLICY;
  return ok({
    autoAccept: given.autoAccept ?? defaults.autoAccept,
    maxMinutes: given.maxMinutes ?? defaults.maxMinutes,
    weekdays: given.weekdays === undefined ? defaults.weekdays : [...given.weekdays].sort((a, b) => a - b),
    withinWorkingHours: given.withinWorkingHours ?? defaults.withinWorkingHours,
    verifiedOnly: given.verifiedOnly ?? defaults.verifiedOnly,
    disclose: given.disclose ?? defaults.disclose,
  });
}

/** Sorted, non-overlapping ranges with touching ones joined: 09:00–12:00 and 12:00–17:00 hold a meeting at noon. */
function joined(ranges: readonly MinuteRange[]): MinuteRange[] {
  const out: MinuteRange[] = [];
  for (const range of ranges) {
    const last = out.at(-1);
    if (last !== undefined && last.endMinute >= range.startMinute) {
      out[out.length - 1] = { startMinute: last.startMinute, endMinute: Math.max(last.endMinute, range.endMinute) };
    } else out.push(range);
  }
  return out;
}

/**
 * Whether every instant of the slot has a wall-clock time, in the owner's
 * zone, inside the working hours of the local day the slot starts on (AV3's
 * working time), without running into the next day. The slot is split where
 * the zone's offset changes, so a slot across a DST change is judged by the
 * wall clock on each side of it, not by its start and its length.
 */
export function slotWithinWorkingHours(preferences: Preferences, slot: Slot): boolean {
  const { timeZone } = preferences;
  if (!(slot.end > slot.start)) return false;
  const local = instantToLocal(slot.start, timeZone);
  const weekday = WEEKDAYS[local.weekday];
  if (weekday === undefined) return false;
  const ranges = joined(preferences.workingHours[weekday]);
  // Local midnight as a floating wall-clock time: an instant plus its offset, minus this, is its time of day
  // (past 24:00 on the next day, so a slot running into it is outside every range).
  const midnight = Date.UTC(local.year, local.month - 1, local.day);
  const inRanges = (from: number, to: number, offset: number): boolean => {
    const start = from + offset - midnight;
    const end = to + offset - midnight;
    return ranges.some((r) => start >= r.startMinute * MINUTE_MS && end <= r.endMinute * MINUTE_MS);
  };
  const zone = zoneOffsets(timeZone);
  let from = slot.start;
  let offset = zone.offsetAt(from);
  let inside = true;
  zone.changesBetween(slot.start, slot.end, (at, next) => {
    inside &&= inRanges(from, at, offset);
    from = at;
    offset = next;
  });
  return inside && inRanges(from, slot.end, offset);
}

/** Whether every local day the slot touches, in `timeZone`, is one of `weekdays`. */
function onDays(weekdays: readonly Weekday[], slot: Slot, timeZone: string): boolean {
  let at = slot.start;
  while (at < slot.end) {
    const { weekday } = instantToLocal(at, timeZone);
    if (!weekdays.some((d) => d === weekday)) return false;
    const next = localDay(at, timeZone).end;
    // A day always ends after it starts; guard anyway rather than loop forever on a zone we misread.
    if (next <= at) return false;
    at = next;
  }
  return true;
}

/**
 * The proposed slots the agent may accept without asking, in the given
 * order; [] when autoAccept is off or the contact is not verified while
 * verifiedOnly. A slot must last no longer than `maxMinutes` (and so must the
 * stated duration: a peer cannot shorten a long meeting by its slots), lie
 * on allowed weekdays in the owner's zone and, when asked, within working hours.
 */
export function autoAcceptableSlots(
  policy: ContactPolicy,
  durationMinutes: number,
  slots: readonly Slot[],
  facts: PolicyFacts,
): Slot[] {
  if (!policy.autoAccept || (policy.verifiedOnly && !facts.verified)) return [];
  if (!(durationMinutes > 0 && durationMinutes <= policy.maxMinutes)) return [];
  const longest = policy.maxMinutes * MINUTE_MS;
  const { preferences } = facts;
  return slots
    .filter(
      (slot) =>
        slot.end > slot.start &&
        slot.end - slot.start <= longest &&
        onDays(policy.weekdays, slot, preferences.timeZone) &&
        (!policy.withinWorkingHours || slotWithinWorkingHours(preferences, slot)),
    )
    .map(({ start, end }) => ({ start, end }));
}

const DAY_NAMES: Readonly<Record<Weekday, string>> = {
  0: "Sun",
  1: "Mon",
  2: "Tue",
  3: "Wed",
  4: "Thu",
  5: "Fri",
  6: "Sat",
};
/** Monday first, as the app shows weeks. */
const WEEK: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 0];

/** One plain sentence for the owner saying what the agent does on its own for this contact. */
export function describePolicy(policy: ContactPolicy): string {
  if (!policy.autoAccept || policy.weekdays.length === 0) return "Asks you about every request.";
  const days =
    policy.weekdays.length === WEEK.length
      ? "on any day"
      : `on ${WEEK.filter((d) => policy.weekdays.includes(d))
          .map((d) => DAY_NAMES[d])
          .join(", ")}`;
  const hours = policy.withinWorkingHours ? " within your working hours" : "";
  const trust = policy.verifiedOnly ? ", only while the contact is verified" : "";
  const disclose =
    policy.disclose === "slots"
      ? "may suggest other free times"
      : "otherwise only says yes or no to the times proposed";
  return `Accepts on its own meetings up to ${policy.maxMinutes} minutes ${days}${hours}${trust}; ${disclose}.`;
}
