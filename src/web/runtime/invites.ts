import { newMessageId, sealFirstMessage } from "../../agent/wire";
import { addressOf } from "../../protocol/crypto";
import {
  createInvite,
  INVITE_VERSION,
  PEER_MESSAGE_VERSION,
  type Invite,
  type InviteError,
} from "../../protocol/messages";
import type { Session } from "./context";
import { readContact } from "../storage/read";
import { flushOutbox, toOutboxRow } from "./outbound";
import { exclusively, newInvitePrekeys, saveSession, sessionTables } from "./sessions";
import { addChat, refresh } from "./view";

/** Invites: single-use links that carry this agent's prekey bundle, and what opening one does. */

export const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export async function createInviteLink(session: Session, relayUrl: string, appOrigin: string): Promise<string> {
  const { db } = session;
  return db.transaction("rw", [db.invites, db.signedPrekeys], async () => {
    const inviteId = newMessageId(session.randomBytes);
    const createdAt = session.now();
    const expiresAt = createdAt + INVITE_LIFETIME_MS;
    const prekeys = await newInvitePrekeys(session);
    const token = createInvite({
      identity: session.identity,
      name: session.name,
      prekeys: prekeys.bundle,
      relay: relayUrl,
      inviteId,
      expiresAt,
    });
    const link = `${appOrigin}/invite#${token}`;
    await db.invites.put({ id: inviteId, createdAt, expiresAt, link, ...prekeys.row });
    return link;
  });
}

export function describeInviteError(error: InviteError): string {
  switch (error.code) {
    case "malformed":
      return "This invite link is damaged. Ask for a new one.";
    case "bad-signature":
      return "This invite link was altered after it was made. Ask for a new one.";
    case "expired":
      return "This invite link has expired. Ask for a new one.";
    case "unsupported-version":
      return error.version < INVITE_VERSION
        ? "This invite link was made by an older version of Parley, which cannot start a secure session. Ask for a new one."
        : "This invite link was made by a newer version of Parley. Reload the app to update it, then open the link again.";
  }
}

/**
 * Adds the inviter as a contact, starts a session from the invite's bundle
 * and sends the contact request naming the invite as its first message, in
 * one transaction with the outbox. Returns what to tell the human.
 */
export async function acceptInvite(session: Session, invite: Invite, relayUrl: string): Promise<string> {
  if (invite.address === addressOf(session.identity.signing.publicKey)) {
    return "This is your own invite link: send it to someone else.";
  }
  if (originOf(invite.relay) !== originOf(relayUrl)) {
    // Agents on different relays cannot reach each other yet; adding the contact would fail silently later.
    return `${invite.name} uses another relay (${invite.relay}); this app is connected to ${relayUrl}. Open the invite in the app served by their relay.`;
  }
  const db = session.db;
  const added = await exclusively(session, () =>
    db.transaction("rw", [...sessionTables(session), db.outbox, db.chat], async () => {
      const known = await readContact(db, invite.address);
      // Opening the same link twice (two tabs, a reload) must not send a second request.
      if ("found" in known) return `${known.found.name} is already one of your contacts.`;
      const sealed = sealFirstMessage({
        ours: session.identity,
        bundle: invite.bundle,
        message: { v: PEER_MESSAGE_VERSION, t: "contact-request", inviteId: invite.inviteId, name: session.name },
        randomBytes: session.randomBytes,
      });
      if (!sealed.ok) throw new Error("acceptInvite: a contact request cannot exceed the size limit");
      await saveSession(session, invite.address, sealed.value.state);
      // Opening their invite is the human asking for them back, if they had been removed.
      await db.ended.delete(invite.address);
      await db.contacts.put({
        address: invite.address,
        name: invite.name,
        signingKey: invite.bundle.identity.signingKey,
        agreementKey: invite.bundle.identity.agreementKey,
        addedAt: session.now(),
        via: "their-invite",
        verified: false,
      });
      await db.outbox.put(toOutboxRow(sealed.value.envelope, session.now()));
      await addChat(session, "agent", `${invite.name} is now a contact. I let their agent know.`);
      return undefined;
    }),
  );
  if (added !== undefined) return added;
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
