import { describe, expect, it } from "vitest";
import type { MessageId } from "../../../src/protocol/envelope";
import type { Address } from "../../../src/protocol/address";
import { offeredTimes, waitingApprovals } from "../../../src/web/state/selectors";
import type { EventRow, MeetingRow } from "../../../src/web/storage/rows";

const HOUR = 3_600_000;
const T = Date.UTC(2026, 10, 23, 9);
const slot = (h: number) => ({ start: T + h * HOUR, end: T + h * HOUR + HOUR / 2 });

function meeting(id: string, fields: Partial<MeetingRow>): MeetingRow {
  return {
    id: id as MessageId,
    role: "participant",
    parties: [{ address: "A".repeat(43) as Address, name: "Alice", answer: "pending", slots: [] }],
    others: [],
    title: "Sync",
    durationMinutes: 30,
    state: "input-required",
    round: 1,
    firstRound: 1,
    proposed: [slot(0), slot(1), slot(2)],
    available: [slot(0), slot(1), slot(2)],
    held: [],
    heldUntil: 0,
    tried: [],
    sequence: 0,
    expiresAt: T + 100 * HOUR,
    createdAt: T - HOUR,
    updatedAt: T - HOUR,
    transcript: [],
    ...fields,
  };
}

describe("approvals", () => {
  it("[WEB6] shows which offered times are still free now: later events and confirmed meetings take them", () => {
    const request = meeting("request", {});
    const events: EventRow[] = [{ id: "e", title: "Dentist", start: T, end: T + HOUR / 2 }];
    const confirmed = meeting("other", { state: "completed", confirmed: slot(2) });
    expect(offeredTimes(request, events, [request, confirmed], T)).toEqual([
      { slot: slot(0), free: false },
      { slot: slot(1), free: true },
      { slot: slot(2), free: false },
    ]);
  });

  it("[WEB6] a time another request holds is taken until that hold expires", () => {
    const request = meeting("request", {});
    const holding = meeting("other", { state: "working", held: [slot(1)], heldUntil: T + HOUR });
    expect(offeredTimes(request, [], [request, holding], T).map((t) => t.free)).toEqual([true, false, true]);
    expect(offeredTimes(request, [], [request, holding], T + HOUR).map((t) => t.free)).toEqual([true, true, true]);
  });

  it("[WEB6] lists only participants' requests that wait for the human", () => {
    const waiting = meeting("a", {});
    const own = meeting("b", { role: "organizer", state: "working" });
    const done = meeting("c", { state: "completed", confirmed: slot(0) });
    expect(waitingApprovals([waiting, own, done]).map((m) => m.id)).toEqual(["a"]);
  });
});
