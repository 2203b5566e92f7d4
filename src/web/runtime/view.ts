import {
  identityRowSchema,
  chatRowSchema,
  contactRowSchema,
  eventRowSchema,
  meetingRowSchema,
  parseRows,
} from "../storage/rows";
import type { Runtime } from "./context";
import { encodeBase64Url } from "../../protocol/encoding";

/** Moves what IndexedDB holds into the store the screens read. */
export async function refresh(runtime: Runtime): Promise<void> {
  const { db } = runtime;
  const [contacts, events, meetings, chat] = await Promise.all([
    db.contacts.orderBy("name").toArray(),
    db.events.orderBy("start").toArray(),
    db.meetings.orderBy("updatedAt").reverse().toArray(),
    db.chat.orderBy("at").toArray(),
  ]);
  runtime.store.setState({
    contacts: parseRows(contactRowSchema, contacts, "contacts"),
    events: parseRows(eventRowSchema, events, "events"),
    meetings: parseRows(meetingRowSchema, meetings, "meetings"),
    chat: parseRows(chatRowSchema, chat, "chat"),
  });
}

export async function addChat(runtime: Runtime, author: "you" | "agent", text: string): Promise<void> {
  const at = runtime.now();
  await runtime.db.chat.put({ id: `${at}-${encodeBase64Url(runtime.randomBytes(6))}`, at, author, text });
}

export async function loadIdentityRow(runtime: Runtime) {
  const row = await runtime.db.identity.get("self");
  if (row === undefined) return undefined;
  const parsed = identityRowSchema.safeParse(row);
  if (!parsed.success) throw new Error("loadIdentityRow: the stored identity is damaged; restore it from a backup");
  return parsed.data;
}
