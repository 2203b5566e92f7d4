import {
  computeAvailability,
  formatSlot,
  parseCommand,
  propose,
  searchSlots,
  toSlots,
  WEEKDAYS,
  type PartOfDay,
  type Preferences,
} from "../../agent";
import { readPreferences } from "../storage/read";
import { readContacts } from "../storage/read";
import type { Session } from "./context";
import { busyIntervals, commitStep, contextFrom, type Decision } from "./meetings";
import { addChat, refresh } from "./view";

const answer = (text: string): Decision => ({ kind: "answer", text });

const HELP =
  'I arrange meetings with your contacts\' agents. Try "meet Alice tomorrow at 3pm for 30 minutes" or ' +
  '"find 30 minutes with Alice next week, afternoons".';

/** One line typed into the assistant chat: understood, planned against the local calendar, and proposed. */
export async function handleCommand(session: Session, text: string): Promise<void> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return;
  await addChat(session, "you", trimmed);
  // Planning and proposing are one transaction, so the free time it plans on cannot change under it.
  const decision = await commitStep(session, () => plan(session, trimmed));
  if (decision.kind === "answer") {
    await addChat(session, "agent", decision.text);
    await refresh(session);
  }
}

/** Either the proposal to make, or the answer to give instead. */
async function plan(session: Session, text: string): Promise<Decision> {
  const contacts = await readContacts(session.db);
  const parsed = parseCommand(text, {
    now: session.now(),
    timeZone: session.timeZone,
    contacts: contacts.map((c) => ({ id: c.address, name: c.name })),
  });
  if (!parsed.ok) return answer(parsed.error.hint);
  const intent = parsed.value;
  if (intent.kind === "help") return answer(HELP);

  const contact = contacts.find((c) => c.address === intent.contactId);
  if (contact === undefined)
    return answer(`I don't know ${intent.contactName} yet. Send them an invite from Contacts.`);
  const busy = await busyIntervals(session);
  const context = contextFrom(session, busy);
  let slots;
  if (intent.exact !== undefined) {
    if (!context.isFree(intent.exact)) {
      return answer(
        `You are busy at ${formatSlot(intent.exact, session.timeZone)}. Ask me to find a time instead, e.g. "find ${intent.durationMinutes} minutes with ${contact.name} this week".`,
      );
    }
    slots = [intent.exact];
  } else {
    const preferences = await readPreferences(session.db, session.timeZone);
    const availability = computeAvailability({
      preferences: intent.partOfDay === undefined ? preferences : forPartOfDay(preferences, intent.partOfDay),
      // Local events are plain busy blocks; damaged rows' readable times are in `busy` too (fail closed).
      events: busy.map((interval, i) => ({
        id: `busy-${i}`,
        title: "",
        time: { kind: "timed", start: interval.start, end: interval.end },
        transparency: "busy",
      })),
      meetings: [],
      window: intent.window,
      now: session.now(),
    });
    slots = toSlots(
      searchSlots({
        availabilities: [availability],
        durationMinutes: intent.durationMinutes,
        window: intent.window,
        now: session.now(),
        limit: 3,
      }),
    );
    if (slots.length === 0) {
      return answer(`You have no free ${intent.durationMinutes} minutes in that period within your working hours.`);
    }
  }
  const step = propose(
    {
      peer: contact.address,
      peerName: contact.name,
      title: intent.title,
      durationMinutes: intent.durationMinutes,
      slots,
    },
    context,
  );
  return { kind: "step", contact, step };
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
