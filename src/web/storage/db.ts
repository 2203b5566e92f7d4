import { Dexie, type EntityTable } from "dexie";
import type { ChatRow, ContactRow, EventRow, IdentityRow, InviteRow, MeetingRow, OutboxRow, SeenRow } from "./rows";

/**
 * The browser database: one schema module, numbered versions. A new version
 * adds a `this.version(n)` block with its upgrade; old blocks stay so every
 * installed copy can migrate forward.
 */
export class ParleyDb extends Dexie {
  identity!: EntityTable<IdentityRow, "id">;
  contacts!: EntityTable<ContactRow, "address">;
  invites!: EntityTable<InviteRow, "id">;
  events!: EntityTable<EventRow, "id">;
  meetings!: EntityTable<MeetingRow, "id">;
  chat!: EntityTable<ChatRow, "id">;
  outbox!: EntityTable<OutboxRow, "id">;
  seen!: EntityTable<SeenRow, "id">;

  constructor(name = "parley") {
    super(name);
    this.version(1).stores({
      identity: "id",
      contacts: "address, name",
      invites: "id, expiresAt",
      events: "id, start",
      meetings: "id, updatedAt",
      chat: "id, at",
      outbox: "id, createdAt",
      seen: "id, at",
    });
  }
}
