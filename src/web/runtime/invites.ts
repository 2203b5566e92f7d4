import { newMessageId, wrapPeerMessage } from "../../agent/wire";
import { addressOf } from "../../protocol/crypto";
import { createInvite, PEER_MESSAGE_VERSION, type Invite, type InviteError } from "../../protocol/messages";
import type { Session } from "./context";
import { readContact } from "../storage/read";
import { flushOutbox, toOutboxRow } from "./outbound";
import { addChat, refresh } from "./view";

/** Invites: links that carry this agent's signed public identity, and what opening one does. */

export const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export async function createInviteLink(session: Session, relayUrl: string, appOrigin: string): Promise<string> {
  const inviteId = newMessageId(session.randomBytes);
  const expiresAt = session.now() + INVITE_LIFETIME_MS;
  const token = createInvite({ identity: session.identity, name: session.name, relay: relayUrl, inviteId, expiresAt });
  const link = `${appOrigin}/invite#${token}`;
  await session.db.invites.put({ id: inviteId, createdAt: session.now(), expiresAt, link });
  return link;
}

export function describeInviteError(error: InviteError): string {
  switch (error.code) {
    case "malformed":
      return "This invite link is damaged. Ask for a new one.";
    case "bad-signature":
      return "This invite link was altered after it was made. Ask for a new one.";
    case "expired":
      return "This invite link has expired. Ask for a new one.";
  }
}

/**
 * Adds the inviter as a contact and sends it a sealed contact request naming
 * the invite, in one transaction with the outbox. Returns what to tell the human.
 */
export async function acceptInvite(session: Session, invite: Invite, relayUrl: string): Promise<string> {
  if (invite.address === addressOf(session.identity.signing.publicKey)) {
    return "This is your own invite link: send it to someone else.";
  }
  if (originOf(invite.relay) !== originOf(relayUrl)) {
    // Agents on different relays cannot reach each other yet; adding the contact would fail silently later.
    return `${invite.name} uses another relay (${invite.relay}); this app is connected to ${relayUrl}. Open the invite in the app served by their relay.`;
  }
  const known = await readContact(session.db, invite.address);
  // Opening the same link twice (two tabs, a reload) must not send a second request.
  if ("found" in known) return `${known.found.name} is already one of your contacts.`;
  const wrapped = wrapPeerMessage({
    sender: session.identity,
    recipient: invite.identity,
    message: { v: PEER_MESSAGE_VERSION, t: "contact-request", inviteId: invite.inviteId, name: session.name },
    randomBytes: session.randomBytes,
  });
  if (!wrapped.ok) throw new Error("acceptInvite: a contact request cannot exceed the size limit");
  const row = toOutboxRow(wrapped.value, session.now());
  const db = session.db;
  await db.transaction("rw", [db.contacts, db.outbox, db.chat], async () => {
    await db.contacts.put({
      address: invite.address,
      name: invite.name,
      signingKey: invite.identity.signingKey,
      agreementKey: invite.identity.agreementKey,
      addedAt: session.now(),
      via: "their-invite",
    });
    await db.outbox.put(row);
    await addChat(session, "agent", `${invite.name} is now a contact. I let their agent know.`);
  });
  await refresh(session);
  void flushOutbox(session);
  return `${invite.name} added to your contacts.`;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
