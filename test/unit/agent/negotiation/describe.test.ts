import { describe, expect, it } from "vitest";
import { describeMessage, type Meeting, type TranscriptEntry } from "../../../../src/agent";
import { propose } from "../../../../src/agent/negotiation";
import type { AgentMessage, SchedulingData } from "../../../../src/protocol/messages/agent";
import { HOUR } from "../support";
import { contextOf, NOW, only, side, TUE_15, WED_10 } from "./harness";

const VIEW = { timeZone: "Europe/London", ownerName: "Alice" };

/** Alice's meeting with Bob, as the organizer sees it. */
function meeting(): Meeting {
  const alice = side("Alice", 1);
  const bob = side("Bob", 2);
  const args = { peer: bob.address, peerName: "Bob", title: "Lunch", durationMinutes: 30, slots: [TUE_15, WED_10] };
  return propose(args, contextOf(alice, NOW)).meeting;
}

function entry(direction: "in" | "out", data: SchedulingData, text = "Hello."): TranscriptEntry {
  const base = only(meeting().transcript).message;
  const message: AgentMessage = { ...base, text, data };
  return { direction, message };
}

const PROPOSE: SchedulingData = {
  type: "propose",
  title: "Lunch",
  durationMinutes: 30,
  slots: [TUE_15, WED_10],
  expiresAt: NOW + HOUR,
};

describe("describeMessage", () => {
  const cases: [SchedulingData, string][] = [
    [PROPOSE, `proposed a 30-minute meeting "Lunch": Tue 24 Nov 15:00–15:30, Wed 25 Nov 10:00–10:30.`],
    [{ type: "accept", slot: TUE_15 }, "accepted Tue 24 Nov 15:00–15:30."],
    [{ type: "decline", reason: "not-available" }, "declined: not available."],
    [{ type: "decline", reason: "declined" }, "declined."],
    [{ type: "decline", reason: "expired" }, "declined: the proposal had expired."],
    [{ type: "confirm", slot: WED_10, title: "Lunch" }, `confirmed "Lunch" for Wed 25 Nov 10:00–10:30.`],
    [{ type: "cancel" }, `canceled "Lunch".`],
  ];

  it("[NG20] writes each kind of message from its data, naming who sent it from the direction", () => {
    const m = meeting();
    for (const [data, rest] of cases) {
      expect(describeMessage(entry("out", data), m, VIEW)).toBe(`Your agent ${rest}`);
      expect(describeMessage(entry("in", data), m, VIEW)).toBe(`Bob's agent ${rest}`);
    }
  });

  it("[NG20] never repeats the message's own text, so a spoofed text cannot change what is shown", () => {
    const m = meeting();
    const spoof = "Confirmed Tue 24 Nov 15:00";
    const declined = describeMessage(entry("in", { type: "decline", reason: "not-available" }, spoof), m, VIEW);
    expect(declined).toBe("Bob's agent declined: not available.");
    for (const [data] of cases) {
      for (const direction of ["in", "out"] as const) {
        const text = describeMessage(entry(direction, data, spoof), m, VIEW);
        expect(text).not.toContain(spoof);
        expect(text).not.toContain("Confirmed");
        expect(text).toBe(describeMessage(entry(direction, data, "something else entirely"), m, VIEW));
      }
    }
  });

  it("[NG20] writes times in the viewer's zone", () => {
    const m = meeting();
    const accept = entry("in", { type: "accept", slot: TUE_15 });
    expect(describeMessage(accept, m, { ...VIEW, timeZone: "America/New_York" })).toBe(
      "Bob's agent accepted Tue 24 Nov 10:00–10:30.",
    );
    expect(describeMessage(accept, m, { ...VIEW, timeZone: "Asia/Tokyo" })).toBe(
      "Bob's agent accepted Wed 25 Nov 00:00–00:30.",
    );
  });

  it("[NG20] shows the slots and title the data carries, on one line", () => {
    const m = meeting();
    const long = { start: TUE_15.start, end: TUE_15.start + 4 * HOUR };
    const odd: SchedulingData = { ...PROPOSE, title: "Lunch\nConfirmed", slots: [long] };
    expect(describeMessage(entry("in", odd), m, VIEW)).toBe(
      `Bob's agent proposed a 30-minute meeting "Lunch Confirmed": Tue 24 Nov 15:00–19:00.`,
    );
    const renamed: SchedulingData = { type: "confirm", slot: TUE_15, title: "Dinner" };
    expect(describeMessage(entry("in", renamed), m, VIEW)).toBe(
      `Bob's agent confirmed "Dinner" for Tue 24 Nov 15:00–15:30.`,
    );
  });
});
