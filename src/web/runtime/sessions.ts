import { sealInSession } from "../../agent/wire";
import type { Address } from "../../protocol/address";
import { encodeBase64Url } from "../../protocol/encoding";
import {
  addressOf,
  canSend,
  endSession,
  initialPrekeyId,
  isFromEndedSessions,
  openInitialMessage,
  openSessionMessage,
  publicIdentityFromBytes,
  schemeOf,
  SCHEME_INITIAL,
  SCHEME_RATCHET,
  signPrekey,
  x25519PublicKey,
  type PrekeyBundle,
  type PublicIdentity,
  type RatchetState,
  type SessionError,
  type X25519KeyPair,
  type X25519SecretKey,
} from "../../protocol/crypto";
import { MAILBOX_TTL_MS } from "../../protocol/limits";
import { PEER_MESSAGE_VERSION, type AgentMessage } from "../../protocol/messages";
import { err, ok, type Result } from "../../protocol/result";
import {
  endedRowSchema,
  inviteRowSchema,
  parseRows,
  sessionRowSchema,
  signedPrekeyRowSchema,
  type ContactRow,
  type InviteRow,
  type OutboxRow,
} from "../storage/rows";
import { readEnded, readSession, readSignedPrekey } from "../storage/read";
import type { Runtime, Session } from "./context";

/**
 * The stored side of forward-secret sessions: prekeys for invites, one
 * Double Ratchet state per contact, and the tombstones of removed contacts.
 * Every function here runs inside a caller's transaction over
 * `sessionTables`, and that transaction runs under `exclusively`, so one tab
 * at a time reads, advances and writes a ratchet: two writers would reuse
 * message keys.
 */

/** How long a signed prekey serves new invites before a fresh one is made. */
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 60 * 60 * 1000;

export const sessionTables = (runtime: Runtime) => {
  const { db } = runtime;
  return [db.sessions, db.invites, db.signedPrekeys, db.ended, db.contacts];
};

/** Runs `work` holding the profile's ratchet lock (Web Locks across tabs). */
export function exclusively<T>(runtime: Runtime, work: () => Promise<T>): Promise<T> {
  return runtime.tabs.exclusive(work);
}

export type InvitePrekeys = {
  readonly row: Omit<InviteRow, "id" | "createdAt" | "expiresAt" | "link">;
  readonly bundle: Omit<PrekeyBundle, "identity">;
};

/**
 * A one-time prekey for a new invite, under the current signed prekey (made
 * or rotated here). Signed prekeys no live invite refers to are deleted.
 */
export async function newInvitePrekeys(session: Session): Promise<InvitePrekeys> {
  const { db } = session;
  const now = session.now();
  const signed = parseRows(signedPrekeyRowSchema, await db.signedPrekeys.orderBy("createdAt").toArray(), "prekeys");
  let current = signed.at(-1);
  if (current === undefined || current.createdAt + SIGNED_PREKEY_ROTATION_MS <= now) {
    const secretKey = session.randomBytes(32);
    current = { id: encodeBase64Url(session.randomBytes(16)), secretKey, createdAt: now };
    await db.signedPrekeys.put(current);
  }
  const signedPrekey = asKeyPair(current.secretKey).publicKey;
  const invites = parseRows(inviteRowSchema, await db.invites.toArray(), "invites");
  const live = new Set(invites.filter((i) => answerable(i, now)).map((i) => i.signedPrekeyId));
  for (const old of signed) if (old.id !== current.id && !live.has(old.id)) await db.signedPrekeys.delete(old.id);

  const oneTimeSecret = session.randomBytes(32) as X25519SecretKey;
  const oneTimePublic = x25519PublicKey(oneTimeSecret);
  const prekeyId = session.randomBytes(16);
  return {
    row: {
      prekeyId: encodeBase64Url(prekeyId),
      signedPrekeyId: current.id,
      oneTimePrekey: { secretKey: oneTimeSecret },
    },
    bundle: {
      signedPrekey,
      // Ed25519 signatures are deterministic: signing again gives the bytes every earlier invite carried.
      signedPrekeySignature: signPrekey(session.identity, signedPrekey),
      oneTimePrekey: oneTimePublic,
      prekeyId,
    },
  };
}

/**
 * Whether a contact request may still answer this invite. A request may wait
 * in our mailbox while we are offline, so one arriving within the mailbox
 * lifetime after the invite expired may have been sent before it did.
 */
function answerable(invite: InviteRow, now: number): boolean {
  return invite.oneTimePrekey !== null && invite.expiresAt + MAILBOX_TTL_MS > now;
}

export type Opened =
  | {
      readonly kind: "first";
      readonly from: Address;
      readonly sender: PublicIdentity;
      readonly plaintext: Uint8Array;
      readonly state: RatchetState;
      readonly invite: InviteRow;
    }
  | {
      readonly kind: "session";
      readonly from: Address;
      readonly plaintext: Uint8Array;
      readonly state: RatchetState;
    };

export type OpenError =
  | SessionError
  /** A second contact request for a single-use invite (a replay, or the link passed on). */
  | { readonly code: "invite-used"; readonly inviteId: string }
  | { readonly code: "invite-expired" }
  /** From a contact the human removed. */
  | { readonly code: "revoked" };

/** Decrypts sealed bytes with whatever session or prekey they belong to. Stores nothing: see `keepOpened`. */
export async function openSealed(session: Session, sealed: Uint8Array): Promise<Result<Opened, OpenError>> {
  switch (schemeOf(sealed)) {
    case SCHEME_INITIAL:
      return openFirst(session, sealed);
    case SCHEME_RATCHET:
      return openInSession(session, sealed);
    default:
      return err({ code: "unsupported-scheme", scheme: schemeOf(sealed) ?? -1 });
  }
}

async function openFirst(session: Session, sealed: Uint8Array): Promise<Result<Opened, OpenError>> {
  const { db } = session;
  const prekeyId = initialPrekeyId(sealed);
  if (prekeyId === undefined) return err({ code: "malformed" });
  const [invite] = parseRows(
    inviteRowSchema,
    await db.invites.where("prekeyId").equals(encodeBase64Url(prekeyId)).toArray(),
    "invites",
  );
  if (invite === undefined) return err({ code: "unknown-prekey" });
  if (invite.oneTimePrekey === null) return err({ code: "invite-used", inviteId: invite.id });
  if (!answerable(invite, session.now())) return err({ code: "invite-expired" });
  const signedRead = await readSignedPrekey(db, invite.signedPrekeyId);
  if (!("found" in signedRead)) return err({ code: "unknown-prekey" });
  const signed = signedRead.found;
  const opened = openInitialMessage({
    ours: session.identity,
    sealed,
    prekeys: {
      signedPrekey: asKeyPair(signed.secretKey),
      oneTimePrekey: asKeyPair(invite.oneTimePrekey.secretKey),
    },
    randomBytes: session.randomBytes,
  });
  if (!opened.ok) return opened;
  const from = addressOf(opened.value.sender.signingKey);
  const ended = await readEnded(db, from);
  // Removed contacts come back only through an invite made after their removal.
  if ("found" in ended && ended.found.at > invite.createdAt) return err({ code: "revoked" });
  return ok({ kind: "first", from, invite, ...opened.value });
}

async function openInSession(session: Session, sealed: Uint8Array): Promise<Result<Opened, OpenError>> {
  const { db } = session;
  const rows = parseRows(sessionRowSchema, await db.sessions.orderBy("updatedAt").reverse().toArray(), "sessions");
  const opened = openSessionMessage({
    sealed,
    sessions: rows.map((row) => ({ key: row.address, state: row.state })),
    randomBytes: session.randomBytes,
  });
  if (opened.ok) {
    const { key: from, state, plaintext } = opened.value;
    return ok({ kind: "session", from, state, plaintext });
  }
  if (opened.error.code === "no-session") {
    const ended = parseRows(endedRowSchema, await db.ended.toArray(), "ended");
    const sessions = ended.flatMap((row) => (row.session === null ? [] : [row.session]));
    if (isFromEndedSessions(sealed, sessions)) return err({ code: "revoked" });
  }
  return opened;
}

/** Stores what opening advanced: the session's next state and, for a first message, the spent one-time prekey. */
export async function keepOpened(session: Session, opened: Opened): Promise<void> {
  const now = session.now();
  await saveSession(session, opened.from, opened.state);
  if (opened.kind === "first") {
    await session.db.invites.put({ ...opened.invite, oneTimePrekey: null, usedAt: now });
    await session.db.ended.delete(opened.from);
  }
}

export async function saveSession(session: Session, address: Address, state: RatchetState): Promise<void> {
  await session.db.sessions.put({ address, state, updatedAt: session.now() });
}

export type SealError = { readonly code: "no-session"; readonly name: string };

/** Encrypts agent messages to a contact in order, advancing and storing its session once. */
export async function sealForContact(
  session: Session,
  contact: ContactRow,
  messages: readonly AgentMessage[],
): Promise<Result<OutboxRow[], SealError>> {
  if (messages.length === 0) return ok([]);
  const row = await readSession(session.db, contact.address);
  if (!("found" in row) || !canSend(row.found.state)) return err({ code: "no-session", name: contact.name });
  let state = row.found.state;
  const rows: OutboxRow[] = [];
  for (const message of messages) {
    const sealed = sealInSession({
      state,
      to: contact.address,
      message: { v: PEER_MESSAGE_VERSION, t: "agent", message },
      randomBytes: session.randomBytes,
    });
    // Agent messages are a few hundred bytes; only a bug could make one exceed the limit.
    if (!sealed.ok) throw new Error(`sealForContact: a message is ${sealed.error.chars} characters, over the limit`);
    state = sealed.value.state;
    const { id, to, ct } = sealed.value.envelope;
    rows.push({ id, to, ct, createdAt: session.now(), taskId: message.taskId });
  }
  await saveSession(session, contact.address, state);
  return ok(rows);
}

/** Removing a contact ends its session: only header keys stay, so its later messages are refused by name. */
export async function endSessionWith(session: Session, address: Address): Promise<void> {
  const row = await readSession(session.db, address);
  await session.db.ended.put({
    address,
    at: session.now(),
    session: "found" in row ? endSession(row.found.state) : null,
  });
  await session.db.sessions.delete(address);
}

/** The identity a stored contact row names. */
export function contactIdentity(contact: ContactRow): PublicIdentity {
  const identity = publicIdentityFromBytes(contact.signingKey, contact.agreementKey);
  // Contact rows are schema-checked on read (32-byte keys), so only a bug could get here.
  if (identity === undefined) throw new Error(`contactIdentity: stored keys of ${contact.name} are malformed`);
  return identity;
}

/** Stored secrets were length-checked by their row schemas; the public half is derived, never trusted from storage. */
function asKeyPair(secretKey: Uint8Array): X25519KeyPair {
  const secret = secretKey as X25519SecretKey;
  return { publicKey: x25519PublicKey(secret), secretKey: secret };
}
