import type { Address } from "../../protocol/address";
import type { ParleyDb } from "./db";
import { DEFAULT_PREFERENCES, parsePreferences, type Preferences } from "../../agent";
import {
  settingsRowSchema,
  endedRowSchema,
  sessionRowSchema,
  signedPrekeyRowSchema,
  type EndedRow,
  type SessionRow,
  type SignedPrekeyRow,
  contactRowSchema,
  inviteRowSchema,
  meetingRowSchema,
  parseRows,
  type ContactRow,
  type InviteRow,
  type MeetingRow,
} from "./rows";

/**
 * Validated reads of single rows. A row that exists but does not match its
 * schema is reported as damaged, not as absent: a damaged meeting must not
 * look like free time, nor a damaged contact like a stranger.
 */
export type Read<T> = { readonly found: T } | { readonly missing: true } | { readonly damaged: string };

async function readRow<T>(
  get: () => Promise<unknown>,
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
  what: string,
): Promise<Read<T>> {
  const row = await get();
  if (row === undefined) return { missing: true };
  const parsed = schema.safeParse(row);
  return parsed.success ? { found: parsed.data } : { damaged: what };
}

export const readMeeting = (db: ParleyDb, id: string): Promise<Read<MeetingRow>> =>
  readRow(() => db.meetings.where("id").equals(id).first(), meetingRowSchema, `meeting ${id}`);

export const readContact = (db: ParleyDb, address: string): Promise<Read<ContactRow>> =>
  readRow(() => db.contacts.where("address").equals(address).first(), contactRowSchema, `contact ${address}`);

export const readInvite = (db: ParleyDb, id: string): Promise<Read<InviteRow>> =>
  readRow(() => db.invites.where("id").equals(id).first(), inviteRowSchema, `invite ${id}`);

export const readSession = (db: ParleyDb, address: Address): Promise<Read<SessionRow>> =>
  readRow(() => db.sessions.get(address), sessionRowSchema, `session with ${address}`);

export const readEnded = (db: ParleyDb, address: Address): Promise<Read<EndedRow>> =>
  readRow(() => db.ended.get(address), endedRowSchema, `removed contact ${address}`);

export const readSignedPrekey = (db: ParleyDb, id: string): Promise<Read<SignedPrekeyRow>> =>
  readRow(() => db.signedPrekeys.get(id), signedPrekeyRowSchema, `signed prekey ${id}`);

/** The stored scheduling preferences, or the defaults for `timeZone` when none (or only damaged ones) are stored. */
export async function readPreferences(db: ParleyDb, timeZone: string): Promise<Preferences> {
  const row = settingsRowSchema.safeParse(await db.settings.get("preferences"));
  if (!row.success) return DEFAULT_PREFERENCES(timeZone);
  const parsed = parsePreferences(row.data.value);
  if (parsed.ok) return parsed.value;
  // Written by another version or damaged: the defaults are safer than a guess, and saving replaces it.
  console.warn("storage: stored preferences are invalid; using the defaults", parsed.error.issues[0]);
  return DEFAULT_PREFERENCES(timeZone);
}

export async function readContacts(db: ParleyDb): Promise<ContactRow[]> {
  return parseRows(contactRowSchema, await db.contacts.orderBy("name").toArray(), "contacts");
}
