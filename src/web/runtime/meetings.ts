import {
  approve,
  busyFromMeetings,
  cancel,
  decline,
  describeNegotiationError,
  expire,
  isFree,
  type Interval,
  type Meeting,
  type NegotiationContext,
  type Step,
} from "../../agent";
import { isMessageId } from "../../protocol/envelope";
import { newMessageId } from "../../agent/wire";
import type { Slot } from "../../protocol/messages";
import { meetingRowSchema, parseRows, type ContactRow } from "../storage/rows";
import type { Session } from "./context";
import { flushOutbox, sealAgentMessages } from "./outbound";
import { addChat, refresh } from "./view";

/** Busy time on this device: calendar events plus meetings confirmed or being confirmed, except `excluding`. */
export async function busyIntervals(session: Session, excluding?: string): Promise<Interval[]> {
  const [events, meetingRows] = await Promise.all([session.db.events.toArray(), session.db.meetings.toArray()]);
  const meetings = parseRows(meetingRowSchema, meetingRows, "meetings").filter((m) => m.id !== excluding);
  return [...events.map((e) => ({ start: e.start, end: e.end })), ...busyFromMeetings(meetings)];
}

export async function negotiationContext(
  session: Session,
  meetingId?: string,
  peerName?: string,
): Promise<NegotiationContext> {
  const busy = await busyIntervals(session, meetingId);
  return {
    ...(peerName === undefined ? {} : { peerName }),
    now: session.now(),
    newId: () => newMessageId(session.randomBytes),
    isFree: (slot: Slot) => isFree(slot, busy),
    timeZone: session.timeZone,
    ownerName: session.name,
    // Every request waits for the human's approval until per-contact policy exists.
    policy: { autoAccept: false },
  };
}

/** Stores a negotiation step (meeting, sealed outgoing messages, notice, processed envelope id) atomically, then sends. */
export async function saveStep(session: Session, contact: ContactRow, step: Step, envelopeId?: string): Promise<void> {
  const db = session.db;
  const outbox = sealAgentMessages(session, contact, step.outgoing);
  await db.transaction("rw", [db.meetings, db.outbox, db.seen, db.chat], async () => {
    await db.meetings.put(step.meeting);
    await db.outbox.bulkPut(outbox);
    if (envelopeId !== undefined) await db.seen.put({ id: envelopeId, at: session.now() });
    if (step.notice !== undefined) await addChat(session, "agent", step.notice);
  });
  await refresh(session);
  void flushOutbox(session, outbox);
}

type Action = (meeting: Meeting, context: NegotiationContext) => ReturnType<typeof approve>;

async function act(session: Session, meetingId: string, action: Action): Promise<void> {
  if (!isMessageId(meetingId)) throw new Error(`meetings.act: "${meetingId}" is not a meeting id`);
  const row = await session.db.meetings.get(meetingId);
  const meeting = row === undefined ? undefined : meetingRowSchema.safeParse(row);
  if (meeting === undefined || !meeting.success) {
    session.store.setState({ notice: "That meeting no longer exists." });
    return;
  }
  const contact = await session.db.contacts.get(meeting.data.peer);
  if (contact === undefined) {
    session.store.setState({ notice: `${meeting.data.peerName} is no longer a contact.` });
    return;
  }
  const step = action(meeting.data, await negotiationContext(session, meetingId));
  if (!step.ok) {
    session.store.setState({ notice: describeNegotiationError(step.error) });
    return;
  }
  await saveStep(session, contact, step.value);
}

export const approveMeeting = (session: Session, meetingId: string, slot: Slot) =>
  act(session, meetingId, (meeting, context) => approve(meeting, slot, context));
export const declineMeeting = (session: Session, meetingId: string) => act(session, meetingId, decline);
export const cancelMeeting = (session: Session, meetingId: string) => act(session, meetingId, cancel);

/** Runs the clock over every open negotiation: expired proposals are withdrawn or declined, and the peer told. */
export async function expireDue(session: Session): Promise<void> {
  const meetings = parseRows(meetingRowSchema, await session.db.meetings.toArray(), "meetings");
  for (const meeting of meetings) {
    if (meeting.expiresAt > session.now()) continue;
    const step = expire(meeting, await negotiationContext(session, meeting.id));
    if (step === undefined) continue;
    const contact = await session.db.contacts.get(meeting.peer);
    if (contact !== undefined) await saveStep(session, contact, step);
  }
}
