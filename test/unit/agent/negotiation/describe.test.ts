import { beforeAll, describe, expect, it } from "vitest";
import { describeMessage, type Meeting, type TranscriptEntry } from "../../../../src/agent";
import { propose } from "../../../../src/agent/negotiation";
import type { AgentMessage, SchedulingData } from "../../../../src/protocol/messages/agent";
import { loadCrypto } from "../../../../src/protocol/crypto";
import { HOUR } from "../support";
import { contextOf, NOW, only, side, TUE_15, WED_10 } from "./harness";

beforeAll(loadCrypto);

const VIEW = { timeZone: "Europe/London", ownerName: "Alice" };

/** Alice's meeting with Bob, as the organizer sees it. */
function meeting(): Meeting {
  const alice = side("Alice", 1);
  const bob = side("Bob", 2);
  const participants = [{ address: bob.address, name: "Bob" }];
  const args = { participants, title: "Lunch", durationMinutes: 30, slots: [TUE_15, WED_10] };
  return propose(args, contextOf(alice, NOW)).meeting;
}

function entry(direction: "in" | "out", data: SchedulingData, text = "Hello.", of = meeting()): TranscriptEntry {
  const first = only(of.transcript);
  const message: AgentMessage = { ...first.message, text, data };
  return { ...first, direction, message };
}

const PROPOSE: SchedulingData = {
  type: "propose",
  round: 1,
  others: [],
  title: "Lunch",
  durationMinutes: 30,
  slots: [TUE_15, WED_10],
  expiresAt: NOW + HOUR,
};

describe("describeMessage", () => {
  const cases: [SchedulingData, string][] = [
    [PROPOSE, `proposed a 30-minute meeting "Lunch": Tue 24 Nov 15:00–15:30, Wed 25 Nov 10:00–10:30.`],
    [{ type: "accept", round: 1, slot: TUE_15 }, "accepted Tue 24 Nov 15:00–15:30."],
    [{ type: "hold", round: 1, slots: [TUE_15], until: NOW }, "can make Tue 24 Nov 15:00–15:30 and is holding them."],
    [{ type: "decline", round: 1, reason: "not-available" }, "declined: not available."],
    [{ type: "decline", round: 1, reason: "declined" }, "declined."],
    [{ type: "decline", round: 1, reason: "expired" }, "declined: the proposal had expired."],
    [
      { type: "confirm", round: 1, slot: WED_10, title: "Lunch", ical: "x" },
      `confirmed "Lunch" for Wed 25 Nov 10:00–10:30.`,
    ],
    [{ type: "cancel" }, `canceled "Lunch".`],
    [{ type: "reschedule", round: 2, slots: [], expiresAt: NOW }, `asked to move "Lunch".`],
    [
      { type: "reschedule", round: 2, slots: [WED_10], expiresAt: NOW },
      `asked to move "Lunch" to one of Wed 25 Nov 10:00–10:30.`,
    ],
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
    const declined = describeMessage(
      entry("in", { type: "decline", round: 1, reason: "not-available" }, spoof),
      m,
      VIEW,
    );
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
    const accept = entry("in", { type: "accept", round: 1, slot: TUE_15 });
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
    const renamed: SchedulingData = { type: "confirm", round: 1, slot: TUE_15, title: "Dinner", ical: "x" };
    expect(describeMessage(entry("in", renamed), m, VIEW)).toBe(
      `Bob's agent confirmed "Dinner" for Tue 24 Nov 15:00–15:30.`,
    );
  });

  it("[NG20] a counter reads as new times from the organizer and as suggestions from a participant", () => {
    const organizers = meeting();
    const fromParticipant: SchedulingData = { type: "counter", round: 1, slots: [WED_10], expiresAt: NOW };
    expect(describeMessage(entry("in", fromParticipant, "x", organizers), organizers, VIEW)).toBe(
      "Bob's agent said none of those times suit, and suggested Wed 25 Nov 10:00–10:30.",
    );
    expect(describeMessage(entry("out", { ...fromParticipant, round: 2 }, "x", organizers), organizers, VIEW)).toBe(
      "Your agent proposed new times (round 2): Wed 25 Nov 10:00–10:30.",
    );
    const none: SchedulingData = { ...fromParticipant, slots: [] };
    expect(describeMessage(entry("in", none, "x", organizers), organizers, VIEW)).toBe(
      "Bob's agent said none of those times suit.",
    );
  });

  it("[NG20] with several participants an outgoing message names whom it went to", () => {
    const alice = side("Alice", 1);
    const participants = [side("Bob", 2), side("Carol", 3)].map((s) => ({ address: s.address, name: s.name }));
    const m = propose(
      { participants, title: "Lunch", durationMinutes: 30, slots: [TUE_15] },
      contextOf(alice, NOW),
    ).meeting;
    expect(m.transcript.map((e) => describeMessage(e, m, VIEW))).toEqual([
      `Your agent (to Bob) proposed a 30-minute meeting "Lunch" (also invited: "Carol"): Tue 24 Nov 15:00–15:30.`,
      `Your agent (to Carol) proposed a 30-minute meeting "Lunch" (also invited: "Bob"): Tue 24 Nov 15:00–15:30.`,
    ]);
  });
});
