import { receive } from "../../agent";
import { sealedBytesOf, type EnvelopeError } from "../../agent/wire";
import type { Address } from "../../protocol/address";
import { equalBytes } from "../../protocol/crypto";
import type { Envelope } from "../../protocol/envelope";
import {
  decodePeerMessage,
  type AgentMessage,
  type ContactRequest,
  type PeerMessageError,
} from "../../protocol/messages";
import { readContact, readMeeting } from "../storage/read";
import { heldRowSchema, meetingRowSchema, parseRows, type ContactRow, type OutboxRow } from "../storage/rows";
import type { Session } from "./context";
import { negotiationContext, stepTables, writeStep } from "./meetings";
import { flushOutbox } from "./outbound";
import { exclusively, keepOpened, openSealed, type OpenError, type Opened } from "./sessions";
import { addChat, refresh } from "./view";

/** What became of one envelope: a typed value, so every refusal can be told apart (and tested). */
export type Inbound =
  | { readonly kind: "applied" }
  /** Processed before (a redelivery), or valid but with nothing to change. */
  | { readonly kind: "unchanged" }
  | { readonly kind: "refused"; readonly error: EnvelopeError | OpenError | PeerMessageError | MisfitError };

/** A message that decrypted but does not fit where it arrived. */
export type MisfitError =
  | { readonly code: "not-a-contact-request" } // a first message must answer the invite it used
  | { readonly code: "unexpected-contact-request" } // inside an established session
  | { readonly code: "not-a-contact" }
  | { readonly code: "damaged-row"; readonly what: string }
  | { readonly code: "not-applied"; readonly reason: string };

/**
 * Handles one envelope from the relay. Everything it causes — the envelope id
 * marked processed, the session's next ratchet state, contact or meeting
 * changes, encrypted replies in the outbox, notes for the human — is decided
 * and written inside one IndexedDB transaction, under the ratchet lock, so the
 * advanced session is stored before (and exactly when) the message is acted
 * on. It resolves only after that commit, and the relay client acks only then;
 * a redelivery finds the id processed.
 */
export async function handleEnvelope(session: Session, envelope: Envelope): Promise<Inbound> {
  const sealed = sealedBytesOf(session.identity, envelope);
  const db = session.db;
  const outbox: OutboxRow[] = [];
  const outcome = await exclusively(session, () =>
    db.transaction("rw", [db.seen, ...stepTables(session)], async (): Promise<Inbound> => {
      if ((await db.seen.get(envelope.id)) !== undefined) return { kind: "unchanged" };
      await db.seen.put({ id: envelope.id, at: session.now() });
      if (!sealed.ok) return refuse(sealed.error);
      const opened = await openSealed(session, sealed.value);
      if (!opened.ok) return refused(session, opened.error);
      const decoded = decodePeerMessage(opened.value.plaintext);
      if (opened.value.kind === "first") {
        // A first message spends the invite only if it is the contact request answering that invite.
        if (!decoded.ok) return refuse(decoded.error);
        if (decoded.value.t !== "contact-request" || decoded.value.inviteId !== opened.value.invite.id) {
          return refuse({ code: "not-a-contact-request" });
        }
        await keepOpened(session, opened.value);
        return acceptContactRequest(session, opened.value, decoded.value);
      }
      // The message key is spent whatever the message says: store the session's next state first.
      await keepOpened(session, opened.value);
      if (!decoded.ok) return refuse(decoded.error);
      if (decoded.value.t !== "agent") return refuse({ code: "unexpected-contact-request" });
      return applyAgentMessage(session, opened.value.from, decoded.value.message, outbox, envelope.id);
    }),
  );
  // A refusal changes nothing the screens show, except the one note about a reused invite.
  if (outcome.kind === "refused" && outcome.error.code === "invite-used") await refresh(session);
  if (outcome.kind !== "applied") return outcome;
  await refresh(session);
  if (outbox.length > 0) void flushOutbox(session);
  return outcome;
}

function refuse(error: Extract<Inbound, { kind: "refused" }>["error"]): Inbound {
  // Undecryptable or malformed input never becomes valid later; strangers' noise is not stored beyond its id.
  console.warn("inbound: refused an envelope:", error.code);
  return { kind: "refused", error };
}

async function refused(session: Session, error: OpenError): Promise<Inbound> {
  if (error.code === "invite-used") {
    // Only someone holding the link can do this, so one note says it without letting them fill the chat.
    const id = `invite-reused:${error.inviteId}`;
    if ((await session.db.chat.get(id)) === undefined) {
      await session.db.chat.put({
        id,
        at: session.now(),
        author: "agent",
        text: "Someone answered an invite link that was already used, so I ignored it. Each link works once: send each person their own.",
      });
    }
  }
  return refuse(error);
}

async function acceptContactRequest(
  session: Session,
  opened: Extract<Opened, { kind: "first" }>,
  request: ContactRequest,
): Promise<Inbound> {
  const { from, sender } = opened;
  const existing = await readContact(session.db, from);
  if ("damaged" in existing) return refuse({ code: "damaged-row", what: existing.damaged });
  if ("found" in existing) {
    const contact = existing.found;
    if (equalBytes(contact.agreementKey, sender.agreementKey)) {
      await addChat(
        session,
        "agent",
        `${contact.name} opened another of your invites; their agent started a new secure session.`,
      );
      return { kind: "applied" };
    }
    await session.db.contacts.put({
      ...contact,
      agreementKey: sender.agreementKey,
      verified: false,
      keyChangedAt: session.now(),
    });
    await addChat(
      session,
      "agent",
      `Warning: ${contact.name}'s security key changed. This happens when they set Parley up again, or when someone is pretending to be them. I will not act on anything from their agent until you compare safety numbers with them (Contacts → Safety number).`,
    );
    return { kind: "applied" };
  }
  await session.db.contacts.put({
    address: from,
    name: request.name,
    signingKey: sender.signingKey,
    agreementKey: sender.agreementKey,
    addedAt: session.now(),
    via: "our-invite",
    verified: false,
  });
  await addChat(session, "agent", `${request.name} accepted your invite and is now a contact.`);
  return { kind: "applied" };
}

/** Messages held per contact while they wait (for an earlier one, or a re-verification); beyond this the contact's agent is misbehaving. */
export const MAX_HELD_PER_CONTACT = 200;
/** Requests from one contact open at once (waiting for the human or for the organizer). */
export const MAX_OPEN_REQUESTS_PER_CONTACT = 50;

/** Keeps a message to apply later; returns how many were waiting before it, or undefined when the contact's are full. */
async function hold(session: Session, from: Address, id: string, message: AgentMessage): Promise<number | undefined> {
  const waiting = await session.db.held.where("from").equals(from).count();
  if (waiting >= MAX_HELD_PER_CONTACT) return undefined;
  await session.db.held.put({ id, from, at: session.now(), message });
  return waiting;
}

async function openRequestsFrom(session: Session, from: Address): Promise<number> {
  const rows = parseRows(meetingRowSchema, await session.db.meetings.toArray(), "meetings");
  return rows.filter(
    (m) =>
      m.role === "participant" &&
      m.parties[0]?.address === from &&
      (m.state === "input-required" || m.state === "working"),
  ).length;
}

/**
 * Applies one agent message, or holds it: for a contact whose key changed and
 * is not verified again, until the human verifies them; for a message that
 * follows one not yet arrived, until that one has been applied.
 */
export async function applyAgentMessage(
  session: Session,
  from: Address,
  message: AgentMessage,
  outbox: OutboxRow[],
  id: string,
): Promise<Inbound> {
  const contact = await readContact(session.db, from);
  if ("damaged" in contact) return refuse({ code: "damaged-row", what: contact.damaged });
  if (!("found" in contact)) return refuse({ code: "not-a-contact" });
  if (contact.found.keyChangedAt !== undefined) {
    const waiting = await hold(session, from, id, message);
    if (waiting === undefined) return refuse({ code: "not-applied", reason: "too-many-held" });
    if (waiting === 0) {
      await addChat(
        session,
        "agent",
        `I am holding a message from ${contact.found.name}'s agent until you verify their new safety number.`,
      );
    }
    return { kind: "applied" };
  }
  const outcome = await applyNow(session, contact.found, message, outbox, id);
  if (outcome.kind === "applied") await applyWaiting(session, contact.found, outbox);
  return outcome;
}

async function applyNow(
  session: Session,
  contact: ContactRow,
  message: AgentMessage,
  outbox: OutboxRow[],
  id: string,
): Promise<Inbound> {
  const from = contact.address;
  const meeting = await readMeeting(session.db, message.taskId);
  if ("damaged" in meeting) return refuse({ code: "damaged-row", what: meeting.damaged });
  const existing = "found" in meeting ? meeting.found : undefined;
  if (existing === undefined && (await openRequestsFrom(session, from)) >= MAX_OPEN_REQUESTS_PER_CONTACT) {
    // Each request is stored and shown; a contact cannot make this side keep more than this many open at once.
    return refuse({ code: "not-applied", reason: "too-many-requests" });
  }
  // A new task is a proposal from this contact, which makes this side a participant with them as organizer.
  const context = await negotiationContext(session, existing ?? { role: "participant" }, contact);
  const step = receive(existing, from, message, context);
  if (!step.ok) {
    if (step.error.code === "duplicate") return { kind: "unchanged" };
    if (step.error.code === "out-of-order") {
      const waiting = await hold(session, from, id, message);
      return waiting === undefined ? refuse({ code: "not-applied", reason: "too-many-held" }) : { kind: "applied" };
    }
    return refuse({ code: "not-applied", reason: step.error.code });
  }
  if (step.value.ignored !== undefined)
    console.warn("inbound: recorded a message that changed nothing:", step.value.ignored.code);
  const written = await writeStep(session, step.value);
  // The message came through this contact's session a moment ago, so it exists; only a bug gets here.
  if (!written.ok) throw new Error(`applyAgentMessage: no session to answer ${written.error.name} in`);
  outbox.push(...written.value);
  return { kind: "applied" };
}

/** After a message applied, the held ones from the same contact that waited for it, until none can go. */
async function applyWaiting(session: Session, contact: ContactRow, outbox: OutboxRow[]): Promise<void> {
  for (let progress = true; progress;) {
    progress = false;
    const held = parseRows(
      heldRowSchema,
      await session.db.held.where("from").equals(contact.address).sortBy("at"),
      "held",
    );
    for (const row of held) {
      await session.db.held.delete(row.id);
      const outcome = await applyNow(session, contact, row.message, outbox, row.id);
      const stillWaiting = (await session.db.held.get(row.id)) !== undefined;
      if (outcome.kind === "applied" && !stillWaiting) progress = true;
    }
  }
}
