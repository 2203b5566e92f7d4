import {
  busyFromMeetings,
  describeUnavailability,
  explain,
  formatSlot,
  parseCommand,
  propose,
  withWhom,
} from "../../agent";
import type { Slot } from "../../protocol/messages";
import { readContacts, readPreferences } from "../storage/read";
import { eventRowSchema, meetingRowSchema, parseRows } from "../storage/rows";
import type { Session } from "./context";
import { busyParts, commitStep, contextFrom, type Decision } from "./meetings";
import { planManage } from "./manage";
import { freeSlots } from "./search";
import { addChat, refresh } from "./view";

const answer = (text: string): Decision => ({ kind: "answer", text });

const HELP =
  'I arrange meetings with your contacts\' agents. Try "meet Alice tomorrow at 3pm for 30 minutes", ' +
  '"find 30 minutes with Alice next week, afternoons" or "lunch with Alice and Bob next week". ' +
  'I can also "move my meeting with Alice", "cancel lunch with Bob on Friday", or tell you "why not Tuesday at 3pm?".';

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
  if (intent.kind === "explain") return answer(await explainTime(session, intent.slot));
  if (intent.kind !== "schedule") return planManage(session, intent);

  const named = [{ id: intent.contactId, name: intent.contactName }, ...intent.others];
  const invitees = [];
  for (const person of named) {
    const contact = contacts.find((c) => c.address === person.id);
    if (contact === undefined) return answer(`I don't know ${person.name} yet. Send them an invite from Contacts.`);
    invitees.push(contact);
  }
  const parts = await busyParts(session);
  const preferences = await readPreferences(session.db, session.timeZone);
  const context = contextFrom(session, parts, preferences);
  const everyone = invitees.map((c) => c.name).join(", ");
  let slots;
  if (intent.exact !== undefined) {
    if (!context.isFree(intent.exact)) {
      return answer(
        `You are busy at ${formatSlot(intent.exact, session.timeZone)}. Ask me to find a time instead, e.g. "find ${intent.durationMinutes} minutes with ${everyone} this week".`,
      );
    }
    slots = [intent.exact];
  } else {
    // With several people, more candidates give the round a better chance that one suits everyone.
    const limit = invitees.length > 1 ? 6 : 3;
    slots = freeSlots({
      preferences,
      busy: parts.calendar,
      meetings: parts.meetings,
      durationMinutes: intent.durationMinutes,
      window: intent.window,
      now: session.now(),
      limit,
      ...(intent.partOfDay === undefined ? {} : { partOfDay: intent.partOfDay }),
    });
    if (slots.length === 0) {
      return answer(`You have no free ${intent.durationMinutes} minutes in that period within your working hours.`);
    }
  }
  const step = propose(
    {
      participants: invitees.map((c) => ({ address: c.address, name: c.name })),
      title: intent.title,
      durationMinutes: intent.durationMinutes,
      slots,
    },
    context,
  );
  return { kind: "step", step };
}

/**
 * Why a time is not free (or was not offered), for the owner alone: the
 * private reasons (which event, the buffer, working hours, notice, the daily
 * cap). Other agents only ever learn "not available".
 */
async function explainTime(session: Session, slot: Slot): Promise<string> {
  const preferences = await readPreferences(session.db, session.timeZone);
  const events = parseRows(eventRowSchema, await session.db.events.toArray(), "events");
  const meetings = parseRows(meetingRowSchema, await session.db.meetings.toArray(), "meetings");
  const now = session.now();
  const booked = meetings.flatMap((m) =>
    busyFromMeetings([m], now).map((interval) => ({
      ...interval,
      id: m.id,
      title: `${m.title} (with ${withWhom(m)})`,
    })),
  );
  const reasons = explain({
    preferences,
    events: events.map((e) => ({
      id: e.id,
      title: e.title,
      time: { kind: "timed" as const, start: e.start, end: e.end },
      transparency: "busy" as const,
    })),
    meetings: booked,
    now,
    slot,
  });
  const when = formatSlot(slot, session.timeZone);
  if (reasons.length === 0) {
    return `${when} is free for you. If I did not offer it, other times ranked higher (sooner, or in a part of the day you prefer).`;
  }
  return `${when} does not work: ${reasons.map((r) => describeUnavailability(r, session.timeZone)).join(" ")}`;
}
