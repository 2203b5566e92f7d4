import {
  identityRowSchema,
  chatRowSchema,
  contactRowSchema,
  eventRowSchema,
  meetingRowSchema,
  outboxRowSchema,
  parseRows,
} from "../storage/rows";
import { readPreferences } from "../storage/read";
import type { Runtime } from "./context";
import { contactPolicyView } from "./policy";
import { encodeBase64Url } from "../../protocol/encoding";

/** The chat shows the latest lines; older ones stay stored. */
const CHAT_LINES_SHOWN = 500;

type Refreshing = { running: Promise<void>; again: boolean; announce: boolean };
const refreshing = new WeakMap<Runtime["db"], Refreshing>();

/**
 * Moves what IndexedDB holds into the store the screens read, as one
 * consistent snapshot, and (unless this refresh answers another tab's news)
 * tells the other tabs that something changed. Calls during a refresh are
 * folded into one more pass after it, so a burst of changes costs two reads,
 * and every caller's change is in the store when its call resolves.
 */
export function refresh(runtime: Runtime, options: { announce?: boolean } = {}): Promise<void> {
  const announce = options.announce !== false;
  const current = refreshing.get(runtime.db);
  if (current !== undefined) {
    current.again = true;
    current.announce ||= announce;
    return current.running;
  }
  const state: Refreshing = { running: Promise.resolve(), again: true, announce };
  state.running = (async () => {
    try {
      while (state.again) {
        state.again = false;
        await snapshot(runtime);
      }
      if (state.announce) runtime.tabs.announceChange();
    } finally {
      refreshing.delete(runtime.db);
    }
  })();
  refreshing.set(runtime.db, state);
  return state.running;
}

async function snapshot(runtime: Runtime): Promise<void> {
  const { db } = runtime;
  const [contacts, events, meetings, chat, outbox] = await db.transaction(
    "r",
    [db.contacts, db.events, db.meetings, db.chat, db.outbox],
    () =>
      Promise.all([
        db.contacts.orderBy("name").toArray(),
        db.events.orderBy("start").toArray(),
        db.meetings.orderBy("updatedAt").reverse().toArray(),
        db.chat.orderBy("at").reverse().limit(CHAT_LINES_SHOWN).toArray(),
        db.outbox.toArray(),
      ]),
  );
  const preferences = await readPreferences(db, runtime.timeZone);
  const contactRows = parseRows(contactRowSchema, contacts, "contacts");
  runtime.store.setState({
    refreshedAt: runtime.now(),
    preferences,
    contacts: contactRows,
    contactPolicies: new Map(contactRows.map((row) => [row.address, contactPolicyView(row)])),
    events: parseRows(eventRowSchema, events, "events"),
    meetings: parseRows(meetingRowSchema, meetings, "meetings"),
    chat: parseRows(chatRowSchema, chat.reverse(), "chat"),
    unsent: new Set(parseRows(outboxRowSchema, outbox, "outbox").flatMap((row) => row.taskId ?? [])),
  });
}

/** Adds a chat line after every earlier one, even within one millisecond or from another tab. */
export async function addChat(runtime: Runtime, author: "you" | "agent", text: string): Promise<void> {
  const { db } = runtime;
  // Its own transaction (or the caller's, which Dexie joins), so no other line can slip in between read and write.
  await db.transaction("rw", db.chat, async () => {
    const last = await db.chat.orderBy("at").last();
    const at = Math.max(runtime.now(), typeof last?.at === "number" ? last.at + 1 : 0);
    await db.chat.put({ id: `${at}-${encodeBase64Url(runtime.randomBytes(6))}`, at, author, text });
  });
}

export async function loadIdentityRow(runtime: Runtime) {
  const row = await runtime.db.identity.get("self");
  if (row === undefined) return undefined;
  const parsed = identityRowSchema.safeParse(row);
  if (!parsed.success) throw new Error("loadIdentityRow: the stored identity is damaged; restore it from a backup");
  return parsed.data;
}
