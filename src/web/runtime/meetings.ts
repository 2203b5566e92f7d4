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
  type NegotiationError,
  type Step,
} from "../../agent";
import { newMessageId } from "../../agent/wire";
import type { Result } from "../../protocol/result";
import type { Slot } from "../../protocol/messages";
import { readContact, readMeeting } from "../storage/read";
import { eventRowSchema, meetingRowSchema, parseRows, type ContactRow, type OutboxRow } from "../storage/rows";
import type { Session } from "./context";
import { flushOutbox } from "./outbound";
import { exclusively, sealForContact, sessionTables, type SealError } from "./sessions";
import { addChat, refresh } from "./view";

/** The tables a negotiation step reads and writes; every step runs in one transaction over them. */
export const stepTables = (session: Session) => {
  const { db } = session;
  return [db.meetings, db.events, db.outbox, db.chat, db.held, db.settings, ...sessionTables(session)];
};

/** Busy time on this device: calendar events plus meetings confirmed or being confirmed, except `excluding`. */
export async function busyIntervals(session: Session, excluding?: string): Promise<Interval[]> {
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
  return [...events.map((e) => ({ start: e.start, end: e.end })), ...busyFromMeetings(meetings), ...damaged];
}

function readableInterval(value: unknown): Interval | undefined {
  if (typeof value !== "object" || value === null || !("start" in value) || !("end" in value)) return undefined;
  const { start, end } = value;
  return typeof start === "number" && typeof end === "number" && end > start ? { start, end } : undefined;
}

export async function negotiationContext(
  session: Session,
  meetingId?: string,
  peerName?: string,
): Promise<NegotiationContext> {
  return contextFrom(session, await busyIntervals(session, meetingId), peerName);
}

/** The engine's view of this side, given the busy time already read. */
export function contextFrom(session: Session, busy: readonly Interval[], peerName?: string): NegotiationContext {
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

/**
 * Writes a step inside the caller's transaction: the meeting, its outgoing
 * messages encrypted in the contact's session (encryption is synchronous, so
 * the transaction stays open) and the notice. Returns the outbox rows to send
 * once it commits; writes nothing when there is no session to encrypt in.
 */
export async function writeStep(
  session: Session,
  contact: ContactRow,
  step: Step,
): Promise<Result<OutboxRow[], SealError>> {
  // Rows leave in createdAt order: number them after the newest row, so a clock that steps back cannot reorder them.
  const newest = await session.db.outbox.orderBy("createdAt").last();
  const first = Math.max(session.now(), typeof newest?.createdAt === "number" ? newest.createdAt + 1 : 0);
  const sealed = await sealForContact(session, contact, step.outgoing);
  if (!sealed.ok) return sealed;
  const outbox = sealed.value.map((row, i) => ({ ...row, createdAt: first + i }));
  await session.db.meetings.put(step.meeting);
  await session.db.outbox.bulkPut(outbox);
  if (step.notice !== undefined) await addChat(session, "agent", step.notice);
  return sealed;
}

export function describeSealError(error: SealError): string {
  return `There is no secure session with ${error.name} yet: exchange a new invite link with them.`;
}

/** What a decision inside a step transaction came to. */
export type Decision =
  | { readonly kind: "step"; readonly contact: ContactRow; readonly step: Step }
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
      const written = await writeStep(session, decided.contact, decided.step);
      return written.ok ? decided : answer(describeSealError(written.error));
    }),
  );
  if (decision.kind === "step") {
    await refresh(session);
    if (decision.step.outgoing.length > 0) void flushOutbox(session);
  }
  return decision;
}

type Action = (meeting: Meeting, context: NegotiationContext) => Result<Step, NegotiationError>;

/** A human's move on one meeting; its reads, decision and writes are one transaction, so nothing interleaves. */
async function act(session: Session, meetingId: string, action: Action): Promise<void> {
  const decision = await commitStep(session, async () => {
    const meeting = await readMeeting(session.db, meetingId);
    if (!("found" in meeting)) return answer("That meeting can no longer be read.");
    const contact = await readContact(session.db, meeting.found.peer);
    if (!("found" in contact)) return answer(`${meeting.found.peerName} is no longer a contact.`);
    const step = action(meeting.found, await negotiationContext(session, meetingId));
    return step.ok
      ? { kind: "step", contact: contact.found, step: step.value }
      : answer(describeNegotiationError(step.error));
  });
  if (decision.kind === "answer") session.store.setState({ notice: decision.text });
}

export const approveMeeting = (session: Session, meetingId: string, slot: Slot) =>
  act(session, meetingId, (meeting, context) => approve(meeting, slot, context));
export const declineMeeting = (session: Session, meetingId: string) => act(session, meetingId, decline);
export const cancelMeeting = (session: Session, meetingId: string) => act(session, meetingId, cancel);

/** States in which the clock can still change a meeting (see the engine's expire()). */
const CLOCK_STATES: ReadonlySet<string> = new Set(["working", "input-required"]);

/** Runs the clock over every open negotiation: expired proposals are withdrawn or declined, and the peer told. */
export async function expireDue(session: Session): Promise<void> {
  const meetings = parseRows(meetingRowSchema, await session.db.meetings.toArray(), "meetings");
  const due = meetings.filter((m) => CLOCK_STATES.has(m.state) && m.expiresAt <= session.now());
  for (const candidate of due) {
    try {
      // Re-read inside the transaction: a message or a human may have moved the meeting on meanwhile.
      await commitStep(session, async () => {
        const meeting = await readMeeting(session.db, candidate.id);
        if (!("found" in meeting)) return { kind: "nothing" };
        const step = expire(meeting.found, await negotiationContext(session, candidate.id));
        if (step === undefined) return { kind: "nothing" };
        const contact = await readContact(session.db, meeting.found.peer);
        return "found" in contact ? { kind: "step", contact: contact.found, step } : { kind: "nothing" };
      });
    } catch (error) {
      // One meeting that cannot be expired must not stop the others.
      console.warn("meetings: expiry failed for one meeting", error);
    }
  }
}
