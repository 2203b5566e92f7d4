import { describePolicy, parseContactPolicy, removeParty } from "../../agent";
import type { Address } from "../../protocol/address";
import { heldRowSchema, meetingRowSchema, parseRows, type MeetingRow, type OutboxRow } from "../storage/rows";
import { readContact } from "../storage/read";
import type { Session } from "./context";
import { applyAgentMessage } from "./inbound";
import { negotiationContext, stepTables, writeStep } from "./meetings";
import { flushOutbox } from "./outbound";
import { endSessionWith, exclusively } from "./sessions";
import { addChat, refresh } from "./view";

/** What the human does to a contact itself: verify its safety number, set what the agent may do for it, or remove it. */

/** States of a negotiation that has not been settled, which removing the contact withdraws. */
const OPEN_STATES: ReadonlySet<string> = new Set(["submitted", "working", "input-required"]);

/**
 * Marks a contact verified (the human compared safety numbers) and, if its key
 * had changed, acts at last on the messages held meanwhile, oldest first.
 */
export async function verifyContact(session: Session, address: Address): Promise<string> {
  const db = session.db;
  const outbox: OutboxRow[] = [];
  const said = await exclusively(session, () =>
    db.transaction("rw", [db.seen, ...stepTables(session)], async () => {
      const contact = await readContact(db, address);
      if (!("found" in contact)) return "That contact can no longer be read.";
      const { keyChangedAt: _changed, ...rest } = contact.found;
      await db.contacts.put({ ...rest, verified: true });
      const held = parseRows(heldRowSchema, await db.held.where("from").equals(address).sortBy("at"), "held");
      for (const row of held) {
        // Deleted first: a message that still cannot be applied (one before it is missing) is held again.
        await db.held.delete(row.id);
        await applyAgentMessage(session, address, row.message, outbox, row.id);
      }
      const text =
        held.length === 0
          ? `You verified ${rest.name}'s safety number.`
          : `You verified ${rest.name}'s safety number; I handled the ${held.length} held message${held.length === 1 ? "" : "s"}.`;
      await addChat(session, "agent", text);
      return text;
    }),
  );
  await refresh(session);
  if (outbox.length > 0) void flushOutbox(session);
  return said;
}

export async function unverifyContact(session: Session, address: Address): Promise<void> {
  const db = session.db;
  await db.transaction("rw", db.contacts, async () => {
    const contact = await readContact(db, address);
    if ("found" in contact) await db.contacts.put({ ...contact.found, verified: false });
  });
  await refresh(session);
}

/**
 * Stores what the agent may do on its own for a contact, once the engine's
 * parser accepts it; returns what to tell the human (why not, when refused).
 */
export async function setContactPolicy(session: Session, address: Address, value: unknown): Promise<string> {
  const parsed = parseContactPolicy(value);
  if (!parsed.ok) return `That policy was not saved: ${parsed.error.issues.slice(0, 3).join("; ")}.`;
  const policy = parsed.value;
  const db = session.db;
  const said = await db.transaction("rw", db.contacts, async () => {
    const contact = await readContact(db, address);
    if (!("found" in contact)) return "That contact can no longer be read.";
    await db.contacts.put({ ...contact.found, policy });
    return `Saved what your agent may do for ${contact.found.name}: ${describePolicy(policy)}`;
  });
  await refresh(session);
  return said;
}

/**
 * Removes a contact: deletes its session (keeping only what recognises its
 * later messages, to refuse them), its unsent messages and held ones, and
 * withdraws negotiations still open with it. Confirmed meetings stay.
 */
export async function removeContact(session: Session, address: Address): Promise<string> {
  const db = session.db;
  const outbox: OutboxRow[] = [];
  const said = await exclusively(session, () =>
    db.transaction("rw", stepTables(session), async () => {
      const contact = await readContact(db, address);
      if ("missing" in contact) return "That contact was already removed.";
      const name = "found" in contact ? contact.found.name : "The contact";
      await endSessionWith(session, address);
      await db.contacts.delete(address);
      await db.outbox.where("to").equals(address).delete();
      await db.held.where("from").equals(address).delete();
      const meetings = parseRows(meetingRowSchema, await db.meetings.toArray(), "meetings");
      let withdrawn = 0;
      for (const meeting of meetings) {
        if (!meeting.parties.some((p) => p.address === address)) continue;
        const left = await leaveMeeting(session, meeting, address, outbox);
        if (left === "withdrawn") withdrawn += 1;
      }
      const text = `${name} was removed: their agent can no longer reach yours.${withdrawn > 0 ? ` ${withdrawn} open request${withdrawn === 1 ? " was" : "s were"} withdrawn.` : ""}`;
      await addChat(session, "agent", text);
      return text;
    }),
  );
  await refresh(session);
  if (outbox.length > 0) void flushOutbox(session);
  return said;
}

/**
 * A removed contact leaves a meeting (NG26). Ours: the engine decides what
 * that means for the others (a pending negotiation is called off and they are
 * told; a booked one goes on without them, also in the middle of a move).
 * Theirs: a request from them ends; a booked meeting stays booked, and a move
 * they had started is dropped, keeping the booked time.
 */
async function leaveMeeting(
  session: Session,
  meeting: MeetingRow,
  address: Address,
  outbox: OutboxRow[],
): Promise<"withdrawn" | "kept"> {
  const now = session.now();
  if (meeting.role === "participant") {
    if (!OPEN_STATES.has(meeting.state)) return "kept";
    const booked = meeting.confirmed !== undefined;
    const state = booked ? ("completed" as const) : ("canceled" as const);
    await session.db.meetings.put({ ...meeting, state, held: [], heldUntil: 0, available: [], updatedAt: now });
    return booked ? "kept" : "withdrawn";
  }
  const step = removeParty(meeting, address, await negotiationContext(session, meeting));
  if (step === undefined) return "kept";
  const written = await writeStep(session, step);
  if (written.ok) outbox.push(...written.value);
  // Without a session to reach the others, it still changes here; they will see their round expire.
  else await session.db.meetings.put({ ...step.meeting, updatedAt: now });
  return meeting.confirmed === undefined && OPEN_STATES.has(meeting.state) ? "withdrawn" : "kept";
}
