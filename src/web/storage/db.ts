import { Dexie, type EntityTable } from "dexie";
import type {
  ChatRow,
  ContactRow,
  EndedRow,
  EventRow,
  HeldRow,
  IdentityRow,
  InviteRow,
  MeetingRow,
  OutboxRow,
  SeenRow,
  SessionRow,
  SettingsRow,
  SignedPrekeyRow,
} from "./rows";
import { upgradeMeetingToV4 } from "./migrate";

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
  sessions!: EntityTable<SessionRow, "address">;
  signedPrekeys!: EntityTable<SignedPrekeyRow, "id">;
  ended!: EntityTable<EndedRow, "address">;
  held!: EntityTable<HeldRow, "id">;
  settings!: EntityTable<SettingsRow, "id">;

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
    // Forward-secret sessions. Invites of version 1 carry no prekeys, so nobody can answer them any more; contacts
    // made before have no session and need a new invite (sending to them says so).
    this.version(2)
      .stores({
        invites: "id, expiresAt, prekeyId",
        outbox: "id, createdAt, to",
        sessions: "address, updatedAt",
        signedPrekeys: "id, createdAt",
        ended: "address",
        held: "id, from, at",
      })
      .upgrade(async (tx) => {
        await tx
          .table("invites")
          .filter((row: Record<string, unknown>) => typeof row["prekeyId"] !== "string")
          .delete();
        await tx
          .table("contacts")
          .toCollection()
          .modify((row: Record<string, unknown>) => {
            if (typeof row["verified"] !== "boolean") row["verified"] = false;
          });
      });
    // Scheduling preferences; absent until the human saves some (the defaults apply meanwhile).
    this.version(3).stores({ settings: "id" });
    // Meetings of several people with rounds, holds and a hash-chained transcript (src/web/storage/migrate.ts).
    this.version(4)
      .stores({})
      .upgrade(async (tx) => {
        let ended = 0;
        await tx
          .table("meetings")
          .toCollection()
          .modify((row: Record<string, unknown>) => {
            if (upgradeMeetingToV4(row)) ended += 1;
          });
        if (ended > 0) {
          await tx.table("chat").put({
            id: "upgrade-v4",
            at: Date.now(),
            author: "agent",
            text: `Parley now arranges meetings of several people. ${ended} request${ended === 1 ? " that was" : "s that were"} still open could not carry over; ask me again to arrange ${ended === 1 ? "it" : "them"}. Booked meetings keep their times.`,
          });
        }
      });
  }
}
