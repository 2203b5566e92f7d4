import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { describe, expect, it } from "vitest";
import { ParleyDb } from "../../src/web/storage/db";
import { meetingRowSchema } from "../../src/web/storage/rows";

/**
 * An installed copy opens a newer version of the database: rows written by
 * the older schema are upgraded in place, and read back valid.
 */

const SLOT = { start: Date.UTC(2026, 10, 24, 15), end: Date.UTC(2026, 10, 24, 15, 30) };
const old = (id: string, state: string, confirmed?: typeof SLOT) => ({
  id,
  role: "organizer",
  peer: "A".repeat(43),
  peerName: "Bob",
  title: "Planning",
  durationMinutes: 30,
  state,
  proposed: [SLOT],
  available: [],
  ...(confirmed === undefined ? {} : { confirmed }),
  expiresAt: SLOT.start,
  createdAt: SLOT.start - 86_400_000,
  updatedAt: SLOT.start - 86_400_000,
  transcript: [{ direction: "out", message: { taskId: id, data: { type: "propose" } } }],
});

describe("database upgrades", () => {
  it("[AP21] version 4 keeps booked meetings' times, ends open version-3 negotiations, and says so once", async () => {
    const name = "upgrade-test";
    // Version 3 of the schema, as an installed copy left it.
    const v3 = new Dexie(name);
    v3.version(3).stores({
      identity: "id",
      contacts: "address, name",
      invites: "id, expiresAt, prekeyId",
      events: "id, start",
      meetings: "id, updatedAt",
      chat: "id, at",
      outbox: "id, createdAt, to",
      seen: "id, at",
      sessions: "address, updatedAt",
      signedPrekeys: "id, createdAt",
      ended: "address",
      held: "id, from, at",
      settings: "id",
    });
    await v3
      .table("meetings")
      .bulkPut([
        old("AAAAAAAAAAAAAAAAAAAAAA", "completed", SLOT),
        old("AQAAAAAAAAAAAAAAAAAAAA", "working"),
        old("AgAAAAAAAAAAAAAAAAAAAA", "canceled"),
      ]);
    v3.close();

    const db = new ParleyDb(name);
    const rows = await db.meetings.toArray();
    for (const row of rows) expect(meetingRowSchema.safeParse(row).success).toBe(true);
    const byId = new Map<string, (typeof rows)[number]>(rows.map((r) => [r.id, r]));
    expect(byId.get("AAAAAAAAAAAAAAAAAAAAAA")).toMatchObject({
      state: "completed",
      confirmed: SLOT,
      sequence: 1,
      parties: [{ name: "Bob", answer: "pending" }],
    });
    expect(byId.get("AQAAAAAAAAAAAAAAAAAAAA")?.state).toBe("failed");
    expect(byId.get("AgAAAAAAAAAAAAAAAAAAAA")?.state).toBe("canceled");
    const notes = await db.chat.toArray();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.text).toMatch(/1 request that was still open could not carry over/);
    db.close();
  });
});
