import { clashes, formatSlot, withWhom } from "../../agent";
import { newMessageId } from "../../agent/wire";
import { EVENT_TITLE_MAX, eventRowSchema, meetingRowSchema, parseRows } from "../storage/rows";
import type { Session } from "./context";
import { addChat, refresh } from "./view";

/** The local calendar: busy times the human enters by hand. */

export async function addEvent(
  session: Session,
  input: { title: string; start: number; end: number },
): Promise<string | undefined> {
  if (!Number.isFinite(input.start) || !Number.isFinite(input.end) || input.end <= input.start) {
    return "An event must end after it starts.";
  }
  const title = input.title.trim().slice(0, EVENT_TITLE_MAX) || "Busy";
  const event = { id: newMessageId(session.randomBytes), title, start: input.start, end: input.end };
  const { db } = session;
  await db.transaction("rw", [db.events, db.meetings, db.chat], async () => {
    await db.events.put(event);
    // A booked meeting the new event overlaps is not moved: the human is asked (Approvals lists the clash).
    const meetings = parseRows(meetingRowSchema, await db.meetings.toArray(), "meetings");
    for (const clash of clashes(meetings, [event])) {
      const meeting = meetings.find((m) => m.id === clash.meetingId);
      if (meeting?.confirmed === undefined) continue;
      await addChat(
        session,
        "agent",
        `"${title}" overlaps "${meeting.title}" with ${withWhom(meeting)}, booked for ${formatSlot(meeting.confirmed, session.timeZone)}. I have not changed the meeting: in Approvals you can move it, cancel it, or keep both.`,
      );
    }
  });
  await refresh(session);
  return undefined;
}

/** The human keeps a booked meeting although an event overlaps it: the clash is no longer raised. */
export async function keepBoth(session: Session, eventId: string, meetingId: string): Promise<void> {
  const { db } = session;
  await db.transaction("rw", db.events, async () => {
    const row = eventRowSchema.safeParse(await db.events.get(eventId));
    if (!row.success) return;
    const keptWith = [...new Set([...(row.data.keptWith ?? []), meetingId])];
    await db.events.put({ ...row.data, keptWith });
  });
  await refresh(session);
}

export async function removeEvent(session: Session, id: string): Promise<void> {
  await session.db.events.delete(id);
  await refresh(session);
}
