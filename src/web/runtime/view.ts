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

/** The chat shows the latest lines; older ones stay stored. */
const CHAT_LINES_SHOWN = 500;

/**
 * Moves what IndexedDB holds into the store the screens read, as one
 * consistent snapshot, and (unless this refresh answers another tab's news)
 * tells the other tabs that something changed.
 */
export async function refresh(runtime: Runtime, options: { announce?: boolean } = {}): Promise<void> {
  const { db } = runtime;
  const [contacts, events, meetings, chat] = await db.transaction(
    "r",
    [db.contacts, db.events, db.meetings, db.chat],
    () =>
      Promise.all([
        db.contacts.orderBy("name").toArray(),
        db.events.orderBy("start").toArray(),
        db.meetings.orderBy("updatedAt").reverse().toArray(),
        db.chat.orderBy("at").reverse().limit(CHAT_LINES_SHOWN).toArray(),
      ]),
  );
  runtime.store.setState({
    contacts: parseRows(contactRowSchema, contacts, "contacts"),
    events: parseRows(eventRowSchema, events, "events"),
    meetings: parseRows(meetingRowSchema, meetings, "meetings"),
    chat: parseRows(chatRowSchema, chat.reverse(), "chat"),
  });
  if (options.announce !== false) runtime.tabs.announce();
}

/** Adds a chat line after every earlier one, even within one millisecond or from another tab. */
export async function addChat(runtime: Runtime, author: "you" | "agent", text: string): Promise<void> {
  const last = await runtime.db.chat.orderBy("at").last();
  const at = Math.max(runtime.now(), typeof last?.at === "number" ? last.at + 1 : 0);
  await runtime.db.chat.put({ id: `${at}-${encodeBase64Url(runtime.randomBytes(6))}`, at, author, text });
}

export async function loadIdentityRow(runtime: Runtime) {
  const row = await runtime.db.identity.get("self");
  if (row === undefined) return undefined;
  const parsed = identityRowSchema.safeParse(row);
  if (!parsed.success) throw new Error("loadIdentityRow: the stored identity is damaged; restore it from a backup");
  return parsed.data;
}
