import { receive } from "../../agent";
import { unwrapEnvelope } from "../../agent/wire";
import type { Address } from "../../protocol/address";
import { samePublicIdentity, publicIdentityFromBytes, type PublicIdentity } from "../../protocol/crypto";
import type { Envelope } from "../../protocol/envelope";
import type { AgentMessage, ContactRequest } from "../../protocol/messages";
import { MAILBOX_TTL_MS } from "../../protocol/limits";
import { readContact, readInvite, readMeeting } from "../storage/read";
import type { ContactRow, OutboxRow } from "../storage/rows";
import type { Session } from "./context";
import { negotiationContext, writeStep } from "./meetings";
import { flushOutbox } from "./outbound";
import { addChat, refresh } from "./view";

/**
 * Handles one envelope from the relay. Everything it causes — the envelope id
 * marked processed, contact or meeting changes, sealed replies in the outbox,
 * notes for the human — is decided and written inside one IndexedDB
 * transaction, which IndexedDB serialises against every other writer (a human
 * action, the expiry timer, another tab). It resolves only after that commit,
 * and the relay client acks only then; a redelivery finds the id processed.
 */
export async function handleEnvelope(session: Session, envelope: Envelope): Promise<void> {
  const received = unwrapEnvelope(session.identity, envelope);
  const db = session.db;
  const outbox: OutboxRow[] = [];
  const changed = await db.transaction(
    "rw",
    [db.seen, db.contacts, db.invites, db.meetings, db.events, db.outbox, db.chat],
    async () => {
      if ((await db.seen.get(envelope.id)) !== undefined) return false;
      await db.seen.put({ id: envelope.id, at: session.now() });
      if (!received.ok) {
        // Undecryptable or malformed input never becomes valid later; strangers' noise is not stored beyond its id.
        console.warn("inbound: dropped an envelope", received.error.code);
        return false;
      }
      const { message, from, sender } = received.value;
      switch (message.t) {
        case "contact-request":
          return acceptContactRequest(session, from, sender, message);
        case "agent":
          return applyAgentMessage(session, from, sender, message.message, outbox);
      }
    },
  );
  if (!changed) return;
  await refresh(session);
  if (outbox.length > 0) void flushOutbox(session);
}

async function acceptContactRequest(
  session: Session,
  from: Address,
  sender: PublicIdentity,
  request: ContactRequest,
): Promise<boolean> {
  const invite = await readInvite(session.db, request.inviteId);
  const now = session.now();
  // A request may wait in our mailbox while we are offline: one that arrives within the mailbox lifetime after the
  // invite expired may have been sent before, and the invitee already counts us as a contact.
  if (!("found" in invite) || invite.found.expiresAt + MAILBOX_TTL_MS <= now) {
    // Anyone who has our public keys can send these; a note per attempt would let strangers fill our storage.
    console.warn(
      "inbound: ignored a contact request for",
      "found" in invite ? "an expired invite" : "an unknown invite",
    );
    return false;
  }
  const existing = await readContact(session.db, from);
  if ("found" in existing) {
    await addChat(session, "agent", `${existing.found.name} opened your invite again; they were already a contact.`);
    return true;
  }
  await session.db.contacts.put({
    address: from,
    name: request.name,
    signingKey: sender.signingKey,
    agreementKey: sender.agreementKey,
    addedAt: now,
    via: "our-invite",
  });
  await addChat(session, "agent", `${request.name} accepted your invite and is now a contact.`);
  return true;
}

async function applyAgentMessage(
  session: Session,
  from: Address,
  sender: PublicIdentity,
  message: AgentMessage,
  outbox: OutboxRow[],
): Promise<boolean> {
  const contact = await readContact(session.db, from);
  if (!("found" in contact) || !sameKeys(contact.found, sender)) {
    console.warn("inbound: ignored an agent message from someone who is not a contact");
    return false;
  }
  const meeting = await readMeeting(session.db, message.taskId);
  if ("damaged" in meeting) {
    console.warn("inbound: not applied to a damaged", meeting.damaged);
    return false;
  }
  const context = await negotiationContext(session, message.taskId, contact.found.name);
  const step = receive("found" in meeting ? meeting.found : undefined, from, message, context);
  if (!step.ok) {
    if (step.error.code !== "duplicate") console.warn("inbound: agent message not applied", step.error.code);
    return false;
  }
  outbox.push(...(await writeStep(session, contact.found, step.value)));
  return true;
}

function sameKeys(contact: ContactRow, sender: PublicIdentity): boolean {
  const stored = publicIdentityFromBytes(contact.signingKey, contact.agreementKey);
  return stored !== undefined && samePublicIdentity(stored, sender);
}
