import {
  approve,
  autoAcceptableSlots,
  busyFromMeetings,
  cancel,
  decline,
  describeNegotiationError,
  expire,
  explain,
  isFree,
  requestReschedule,
  reschedule,
  type Interval,
  type Meeting,
  type NegotiationContext,
  type NegotiationError,
  type Preferences,
  type Step,
} from "../../agent";
import { newMessageId } from "../../agent/wire";
import type { Address } from "../../protocol/address";
import type { AgentMessage, Slot } from "../../protocol/messages";
import { err, ok, type Result } from "../../protocol/result";
import { readContact, readMeeting, readPreferences } from "../storage/read";
import { eventRowSchema, meetingRowSchema, parseRows, type ContactRow, type OutboxRow } from "../storage/rows";
import type { Session } from "./context";
import { flushOutbox } from "./outbound";
import { contactPolicyOf } from "./policy";
import { busyBlocks, upcomingFreeSlots, type Busy } from "./search";
import { exclusively, sealForContact, sessionTables, type SealError } from "./sessions";
import { addChat, refresh } from "./view";

/** The tables a negotiation step reads and writes; every step runs in one transaction over them. */
export const stepTables = (session: Session) => {
  const { db } = session;
  return [db.meetings, db.events, db.outbox, db.chat, db.held, db.settings, db.contacts, ...sessionTables(session)];
};

/** Busy time on this device (see `Busy`), except meeting `excluding`; damaged rows fail closed. */
export async function busyParts(session: Session, excluding?: string): Promise<Busy> {
  const [eventRows, meetingRows] = await Promise.all([session.db.events.toArray(), session.db.meetings.toArray()]);
  const events = parseRows(eventRowSchema, eventRows, "events");
  const meetings = parseRows(meetingRowSchema, meetingRows, "meetings").filter((m) => m.id !== excluding);
  // Fail closed: a damaged row whose times can still be read keeps its time busy rather than offering it.
  const damaged = [
    ...eventRows.filter((row) => !eventRowSchema.safeParse(row).success).map(readableInterval),
    ...meetingRows
      .filter((row) => !meetingRowSchema.safeParse(row).success)
      .map((row) =>
        typeof row === "object" && row !== null && "confirmed" in row ? readableInterval(row.confirmed) : undefined,
      ),
  ].filter((interval) => interval !== undefined);
  return {
    calendar: [...events.map((e) => ({ start: e.start, end: e.end })), ...damaged],
    meetings: busyFromMeetings(meetings, session.now()),
  };
}

function readableInterval(value: unknown): Interval | undefined {
  if (typeof value !== "object" || value === null || !("start" in value) || !("end" in value)) return undefined;
  const { start, end } = value;
  return typeof start === "number" && typeof end === "number" && end > start ? { start, end } : undefined;
}

/**
 * The engine's view of this side for one meeting, read inside the step's
 * transaction: free time without this meeting's own holds, the owner's
 * preferences for suggestions, and, for a meeting this side was invited to,
 * the inviting contact's policy (what may be accepted and disclosed). The
 * organizer's contact is read from the meeting unless the caller has it.
 */
export async function negotiationContext(
  session: Session,
  meeting: Pick<Meeting, "role"> & Partial<Pick<Meeting, "id" | "parties">>,
  organizer?: ContactRow,
): Promise<NegotiationContext> {
  const busy = await busyParts(session, meeting.id);
  const preferences = await readPreferences(session.db, session.timeZone);
  const inviter =
    meeting.role === "participant" ? (organizer ?? (await organizerContact(session, meeting))) : undefined;
  return contextFrom(session, busy, preferences, inviter);
}

/** The contact that invited this side to a meeting (a participant's one party), for its policy. */
async function organizerContact(
  session: Session,
  meeting: Partial<Pick<Meeting, "parties">>,
): Promise<ContactRow | undefined> {
  const organizer = meeting.parties?.[0];
  if (organizer === undefined) return undefined;
  const contact = await readContact(session.db, organizer.address);
  return "found" in contact ? contact.found : undefined;
}

/** The engine's view of this side, given the busy time and preferences already read. */
export function contextFrom(
  session: Session,
  parts: Busy,
  preferences: Preferences,
  organizer?: ContactRow,
): NegotiationContext {
  const now = session.now();
  const busy = [...parts.calendar, ...parts.meetings];
  const events = busyBlocks(parts.calendar);
  const policy = organizer === undefined ? undefined : contactPolicyOf(organizer);
  return {
    ...(organizer === undefined ? {} : { peerName: organizer.name }),
    now,
    newId: () => newMessageId(session.randomBytes),
    isFree: (slot: Slot) => isFree(slot, busy),
    // Within working hours, buffers, notice, horizon, meeting-free days and the daily cap (meetings and holds).
    suits: (slot: Slot) =>
      isFree(slot, busy) && explain({ preferences, events, meetings: parts.meetings, now, slot }).length === 0,
    timeZone: session.timeZone,
    ownerName: session.name,
    autoAccept: (durationMinutes, slots) =>
      policy === undefined
        ? []
        : autoAcceptableSlots(policy, durationMinutes, slots, { verified: organizer?.verified === true, preferences }),
    // What this side's own proposals offer; to an inviting contact, only what the policy lets it disclose.
    candidates: (durationMinutes, exclude) =>
      policy?.disclose === "answers-only"
        ? []
        : upcomingFreeSlots(
            preferences,
            { calendar: [...parts.calendar, ...exclude], meetings: parts.meetings },
            durationMinutes,
            now,
            5,
          ),
  };
}

/**
 * Writes a step inside the caller's transaction: the meeting, its outgoing
 * messages encrypted in each recipient's session (encryption is synchronous,
 * so the transaction stays open) and the notice. Returns the outbox rows to
 * send once it commits. Every recipient's session is checked before any is
 * advanced, so a missing one writes nothing at all.
 */
export async function writeStep(session: Session, step: Step): Promise<Result<OutboxRow[], SealError>> {
  const byRecipient = new Map<Address, AgentMessage[]>();
  for (const { to, message } of step.outgoing) byRecipient.set(to, [...(byRecipient.get(to) ?? []), message]);
  const recipients: { contact: ContactRow; messages: AgentMessage[] }[] = [];
  const unsent = new Set<string>();
  for (const [to, messages] of byRecipient) {
    const contact = await readContact(session.db, to);
    if ("missing" in contact) {
      // Removed from the contacts: nobody can be told any more, so the step applies here alone, and the record
      // keeps only what was really sent.
      for (const m of messages) unsent.add(m.messageId);
      continue;
    }
    const name = step.meeting.parties.find((p) => p.address === to)?.name ?? "a participant";
    if (!("found" in contact)) return err({ code: "no-session", name });
    if ((await session.db.sessions.get(to)) === undefined) return err({ code: "no-session", name: contact.found.name });
    recipients.push({ contact: contact.found, messages });
  }
  const transcript = step.meeting.transcript.filter((e) => e.direction === "in" || !unsent.has(e.message.messageId));
  // Rows leave in createdAt order: number them after the newest row, so a clock that steps back cannot reorder them.
  const newest = await session.db.outbox.orderBy("createdAt").last();
  let next = Math.max(session.now(), typeof newest?.createdAt === "number" ? newest.createdAt + 1 : 0);
  const outbox: OutboxRow[] = [];
  for (const { contact, messages } of recipients) {
    const sealed = await sealForContact(session, contact, messages);
    if (!sealed.ok) return sealed;
    for (const row of sealed.value) outbox.push({ ...row, createdAt: next++ });
  }
  await session.db.meetings.put({ ...step.meeting, transcript });
  await session.db.outbox.bulkPut(outbox);
  if (step.notice !== undefined) await addChat(session, "agent", step.notice);
  return ok(outbox);
}

export function describeSealError(error: SealError): string {
  return `There is no secure session with ${error.name} yet: exchange a new invite link with them.`;
}

/** What a decision inside a step transaction came to. */
export type Decision =
  | { readonly kind: "step"; readonly step: Step }
  /** No step: tell the human this instead (an answer in the chat, or why an action did not happen). */
  | { readonly kind: "answer"; readonly text: string }
  /** No step and nothing to say (the clock found nothing due). */
  | { readonly kind: "nothing" };

const answer = (text: string): Decision => ({ kind: "answer", text });

/**
 * Decides and stores a step atomically, then shows it and sends what it
 * produced. `decide` may await only IndexedDB reads of `stepTables`: anything
 * else (the network, a timer) would end the transaction before the write.
 */
export async function commitStep(session: Session, decide: () => Promise<Decision>): Promise<Decision> {
  const decision = await exclusively(session, () =>
    session.db.transaction("rw", stepTables(session), async (): Promise<Decision> => {
      const decided = await decide();
      if (decided.kind !== "step") return decided;
      const written = await writeStep(session, decided.step);
      return written.ok ? decided : answer(describeSealError(written.error));
    }),
  );
  if (decision.kind === "step") {
    await refresh(session);
    if (decision.step.outgoing.length > 0) void flushOutbox(session);
  }
  return decision;
}

export type Action = (meeting: Meeting, context: NegotiationContext) => Result<Step, NegotiationError>;

/** Move a booked meeting: the organizer runs a new round; a participant asks the organizer to. */
export const move: Action = (meeting, context) =>
  meeting.role === "organizer" ? reschedule(meeting, context) : requestReschedule(meeting, context);

/** A human's move on a meeting already read, decided inside the caller's step transaction. */
export async function decideOn(session: Session, meeting: Meeting, action: Action): Promise<Decision> {
  const step = action(meeting, await negotiationContext(session, meeting));
  return step.ok ? { kind: "step", step: step.value } : answer(describeNegotiationError(step.error));
}

/** A human's move on one meeting; its reads, decision and writes are one transaction, so nothing interleaves. */
async function act(session: Session, meetingId: string, action: Action): Promise<void> {
  const decision = await commitStep(session, async () => {
    const meeting = await readMeeting(session.db, meetingId);
    return "found" in meeting
      ? decideOn(session, meeting.found, action)
      : answer("That meeting can no longer be read.");
  });
  if (decision.kind === "answer") session.store.setState({ notice: decision.text });
}

export const approveMeeting = (session: Session, meetingId: string, slot: Slot) =>
  act(session, meetingId, (meeting, context) => approve(meeting, slot, context));
export const declineMeeting = (session: Session, meetingId: string) => act(session, meetingId, decline);
export const cancelMeeting = (session: Session, meetingId: string) => act(session, meetingId, cancel);
export const rescheduleMeeting = (session: Session, meetingId: string) => act(session, meetingId, move);

/** States in which the clock can still change a meeting (see the engine's expire()). */
const CLOCK_STATES: ReadonlySet<string> = new Set(["working", "input-required"]);

/** Runs the clock over every open negotiation: expired rounds are withdrawn or declined, and the others told. */
export async function expireDue(session: Session): Promise<void> {
  const meetings = parseRows(meetingRowSchema, await session.db.meetings.toArray(), "meetings");
  const due = meetings.filter((m) => CLOCK_STATES.has(m.state) && m.expiresAt <= session.now());
  for (const candidate of due) {
    try {
      // Re-read inside the transaction: a message or a human may have moved the meeting on meanwhile.
      await commitStep(session, async () => {
        const meeting = await readMeeting(session.db, candidate.id);
        if (!("found" in meeting)) return { kind: "nothing" };
        const step = expire(meeting.found, await negotiationContext(session, meeting.found));
        return step === undefined ? { kind: "nothing" } : { kind: "step", step };
      });
    } catch (error) {
      // One meeting that cannot be expired must not stop the others.
      console.warn("meetings: expiry failed for one meeting", error);
    }
  }
}
