import type { Address } from "../../protocol/address";
import { heldRowSchema, meetingRowSchema, parseRows, type OutboxRow } from "../storage/rows";
import { readContact } from "../storage/read";
import type { Session } from "./context";
import { applyAgentMessage } from "./inbound";
import { stepTables } from "./meetings";
import { flushOutbox } from "./outbound";
import { endSessionWith, exclusively } from "./sessions";
import { addChat, refresh } from "./view";

/** What the human does to a contact itself: verify its safety number, or remove it. */

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
        await applyAgentMessage(session, address, row.message, outbox, row.id);
        await db.held.delete(row.id);
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
 * Removes a contact: deletes its session (keeping only what recognises its
 * later messages, to refuse them), its unsent messages and held ones, and
 * withdraws negotiations still open with it. Confirmed meetings stay.
 */
export async function removeContact(session: Session, address: Address): Promise<string> {
  const db = session.db;
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
        if (meeting.peer !== address || !OPEN_STATES.has(meeting.state)) continue;
        await db.meetings.put({ ...meeting, state: "canceled", updatedAt: session.now() });
        withdrawn += 1;
      }
      const text = `${name} was removed: their agent can no longer reach yours.${withdrawn > 0 ? ` ${withdrawn} open request${withdrawn === 1 ? " was" : "s were"} withdrawn.` : ""}`;
      await addChat(session, "agent", text);
      return text;
    }),
  );
  await refresh(session);
  return said;
}
