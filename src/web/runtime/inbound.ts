import { unwrapEnvelope } from "../../agent/wire";
import { receive } from "../../agent";
import type { Envelope } from "../../protocol/envelope";
import { samePublicIdentity, publicIdentityFromBytes } from "../../protocol/crypto";
import type { AgentMessage, ContactRequest } from "../../protocol/messages";
import type { Address } from "../../protocol/address";
import type { PublicIdentity } from "../../protocol/crypto";
import type { ContactRow } from "../storage/rows";
import type { Session } from "./context";
import { negotiationContext, saveStep } from "./meetings";
import { addChat, refresh } from "./view";

/**
 * Handles one envelope from the relay. It resolves only once every effect is
 * in IndexedDB (the relay client acks after that), and it is idempotent by
 * envelope id, so a redelivery after a crash is harmless.
 */
export async function handleEnvelope(session: Session, envelope: Envelope): Promise<void> {
  if ((await session.db.seen.get(envelope.id)) !== undefined) return;
  const received = unwrapEnvelope(session.identity, envelope);
  if (!received.ok) {
    // Undecryptable or malformed input never becomes valid later: note it and let it be acked away.
    await markSeen(session, envelope.id);
    console.warn("inbound: dropped an envelope", received.error.code);
    return;
  }
  const { message, from, sender } = received.value;
  switch (message.t) {
    case "contact-request":
      await handleContactRequest(session, envelope.id, from, sender, message);
      return;
    case "agent":
      await handleAgentMessage(session, envelope.id, from, sender, message.message);
      return;
  }
}

async function markSeen(session: Session, id: string): Promise<void> {
  await session.db.seen.put({ id, at: session.now() });
}

async function handleContactRequest(
  session: Session,
  envelopeId: string,
  from: Address,
  sender: PublicIdentity,
  request: ContactRequest,
): Promise<void> {
  const db = session.db;
  await db.transaction("rw", [db.invites, db.contacts, db.seen, db.chat], async () => {
    const invite = await db.invites.get(request.inviteId);
    const now = session.now();
    let note: string;
    if (invite === undefined)
      note = `Ignored a contact request from "${request.name}": it does not answer an invite of yours.`;
    else if (invite.expiresAt <= now)
      note = `Ignored a contact request from "${request.name}": the invite had expired.`;
    else if (await db.contacts.get(from))
      note = `${request.name} opened your invite again; they were already a contact.`;
    else {
      note = `${request.name} accepted your invite and is now a contact.`;
      await db.contacts.put({
        address: from,
        name: request.name,
        signingKey: sender.signingKey,
        agreementKey: sender.agreementKey,
        addedAt: now,
        via: "our-invite",
      });
    }
    await markSeen(session, envelopeId);
    await addChat(session, "agent", note);
  });
  await refresh(session);
}

async function handleAgentMessage(
  session: Session,
  envelopeId: string,
  from: Address,
  sender: PublicIdentity,
  message: AgentMessage,
): Promise<void> {
  const contact = await session.db.contacts.get(from);
  if (contact === undefined || !sameKeys(contact, sender)) {
    await markSeen(session, envelopeId);
    await addChat(session, "agent", "Ignored a message from someone who is not one of your contacts.");
    await refresh(session);
    return;
  }
  const meeting = await session.db.meetings.get(message.taskId);
  const context = await negotiationContext(session, message.taskId, contact.name);
  const step = receive(meeting, from, message, context);
  if (!step.ok) {
    await markSeen(session, envelopeId);
    if (step.error.code !== "duplicate") console.warn("inbound: agent message not applied", step.error.code);
    return;
  }
  await saveStep(session, contact, step.value, envelopeId);
}

function sameKeys(contact: ContactRow, sender: PublicIdentity): boolean {
  const stored = publicIdentityFromBytes(contact.signingKey, contact.agreementKey);
  return stored !== undefined && samePublicIdentity(stored, sender);
}
