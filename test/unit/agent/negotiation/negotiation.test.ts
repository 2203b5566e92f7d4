import { describe, expect, it } from "vitest";
import {
  ACCEPT_GRACE_MS,
  acceptedSlot,
  approve,
  busyFromMeetings,
  cancel,
  decline,
  describeNegotiationError,
  expire,
  MAX_PROPOSAL_TTL_MS,
  propose,
  receive,
  type Meeting,
  type NegotiationError,
  type Step,
} from "../../../../src/agent/negotiation";
import { agentMessageSchema, type AgentMessage } from "../../../../src/protocol/messages/agent";
import { address, HOUR, MINUTE } from "../support";
import { contextOf, deliver, NOW, only, save, side, slot, TUE_15, WED_10, type Side } from "./harness";

function start(alice: Side, bob: Side, slots = [TUE_15, WED_10], now = NOW, ttlMinutes?: number): Step {
  const args = { peer: bob.address, peerName: bob.name, title: "Meeting with Bob", durationMinutes: 30, slots };
  return save(alice, propose(ttlMinutes === undefined ? args : { ...args, ttlMinutes }, contextOf(alice, now)));
}

/** Alice proposed Tuesday 15:00 and Wednesday 10:00; Bob received it and accepted Tuesday, at NOW. */
function bobAcceptedTuesday() {
  const alice = side("Alice", 1);
  const bob = side("Bob", 2);
  const proposal = start(alice, bob);
  const received = only(deliver(alice, bob, proposal, NOW));
  const accept = save(bob, unwrap(approve(received.meeting, TUE_15, contextOf(bob, NOW, received.meeting.id))));
  return { alice, bob, proposal, received, accept };
}

function expectError(result: { ok: boolean; error?: NegotiationError }, code: NegotiationError["code"]): void {
  expect(result.ok).toBe(false);
  expect(result.error?.code).toBe(code);
  expect(describeNegotiationError(result.error!).length).toBeGreaterThan(0);
}

function unwrap(result: { ok: true; value: Step } | { ok: false; error: NegotiationError }): Step {
  if (!result.ok) throw new Error(`unwrap: ${result.error.code}`);
  return result.value;
}

describe("negotiation", () => {
  it("[NG1] propose opens an organizer meeting and sends one proposal", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const step = start(alice, bob);
    const message = only(step.outgoing);
    expect(step.meeting).toMatchObject({
      role: "organizer",
      state: "working",
      peer: bob.address,
      proposed: [TUE_15, WED_10],
    });
    expect(step.meeting.expiresAt).toBe(NOW + 7 * 24 * HOUR);
    expect(message.taskId).toBe(step.meeting.id);
    expect(message.messageId).not.toBe(step.meeting.id);
    expect(message.sentAt).toBe(NOW);
    expect(message.data).toEqual({
      type: "propose",
      title: "Meeting with Bob",
      durationMinutes: 30,
      slots: [TUE_15, WED_10],
      expiresAt: NOW + 7 * 24 * HOUR,
    });
    expect(message.text).toBe(
      `Alice's agent proposes a 30-minute meeting "Meeting with Bob": Tue 24 Nov 15:00, Wed 25 Nov 10:00 (Europe/London).`,
    );
    expect(step.meeting.transcript).toEqual([{ direction: "out", message }]);
    expect(step.notice).toContain("Bob");
  });

  it("[NG1] propose refuses impossible arguments as bugs", () => {
    const alice = side("Alice", 1);
    const ctx = contextOf(alice, NOW);
    const args = { peer: address(2), peerName: "Bob", title: "x", durationMinutes: 30, slots: [TUE_15] };
    expect(() => propose({ ...args, slots: [] }, ctx)).toThrow(/^propose:/);
    expect(() => propose({ ...args, durationMinutes: 45 }, ctx)).toThrow(/^propose:/);
    expect(() => propose({ ...args, title: "   " }, ctx)).toThrow(/^negotiation: refusing to send an invalid propose/);
  });

  it("[NG2] a full exchange ends completed on both sides with the same slot", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, bob);

    const received = only(deliver(alice, bob, proposal, NOW + MINUTE));
    expect(received.meeting).toMatchObject({
      role: "participant",
      state: "input-required",
      peer: alice.address,
      peerName: "Alice",
    });
    expect(received.meeting.available).toEqual([TUE_15, WED_10]);
    expect(received.outgoing).toEqual([]);
    expect(received.notice).toMatch(/Alice proposes "Meeting with Bob"/);

    const approved = save(
      bob,
      unwrap(approve(received.meeting, WED_10, contextOf(bob, NOW + 2 * MINUTE, received.meeting.id))),
    );
    expect(approved.meeting.state).toBe("working");
    expect(only(approved.outgoing).data).toEqual({ type: "accept", slot: WED_10 });
    expect(only(approved.outgoing).text).toBe("Bob accepted Wed 25 Nov 10:00–10:30 (Europe/London).");

    const confirmed = only(deliver(bob, alice, approved, NOW + 3 * MINUTE));
    expect(confirmed.meeting).toMatchObject({ state: "completed", confirmed: WED_10 });
    expect(only(confirmed.outgoing).data).toEqual({ type: "confirm", slot: WED_10, title: "Meeting with Bob" });
    expect(only(confirmed.outgoing).text).toBe(
      `Confirmed: "Meeting with Bob", Wed 25 Nov 10:00–10:30 (Europe/London).`,
    );

    const done = only(deliver(alice, bob, confirmed, NOW + 4 * MINUTE));
    expect(done.meeting).toMatchObject({ state: "completed", confirmed: WED_10 });
    expect(done.outgoing).toEqual([]);

    const aliceMeeting = alice.meetings.get(proposal.meeting.id)!;
    const bobMeeting = bob.meetings.get(proposal.meeting.id)!;
    expect(aliceMeeting.transcript.map((e) => `${e.direction}:${e.message.data.type}`)).toEqual([
      "out:propose",
      "in:accept",
      "out:confirm",
    ]);
    expect(bobMeeting.transcript.map((e) => `${e.direction}:${e.message.data.type}`)).toEqual([
      "in:propose",
      "out:accept",
      "in:confirm",
    ]);
    expect(bobMeeting.updatedAt).toBe(NOW + 4 * MINUTE);
  });

  it("[NG2] every outgoing message is valid on the wire, of its task, with a fresh id and the current time", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, bob);
    const received = only(deliver(alice, bob, proposal, NOW));
    const approved = save(
      bob,
      unwrap(approve(received.meeting, TUE_15, contextOf(bob, NOW + MINUTE, received.meeting.id))),
    );
    only(deliver(alice, bob, only(deliver(bob, alice, approved, NOW + 2 * MINUTE)), NOW + 3 * MINUTE));
    const all = [...alice.sent, ...bob.sent];
    expect(all).toHaveLength(3);
    for (const message of all) {
      expect(agentMessageSchema.safeParse(message).success).toBe(true);
      expect(message.taskId).toBe(proposal.meeting.id);
      expect(message.text.length).toBeGreaterThan(0);
    }
    expect(new Set(all.map((m) => m.messageId)).size).toBe(all.length);
    expect(bob.sent[0]!.sentAt).toBe(NOW + MINUTE);
  });

  it("[NG3] participant declines when no proposed slot is free", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2, [
      { title: "Dentist", start: TUE_15.start - HOUR, end: TUE_15.end },
      { title: "Offsite", start: WED_10.start, end: WED_10.start + 8 * HOUR },
    ]);
    const step = only(deliver(alice, bob, start(alice, bob), NOW));
    expect(step.meeting.state).toBe("rejected");
    expect(step.meeting.available).toEqual([]);
    expect(only(step.outgoing).data).toEqual({ type: "decline", reason: "not-available" });
    expect(only(step.outgoing).text).toBe("Bob is not available at any of the proposed times.");

    const back = only(deliver(bob, alice, step, NOW + MINUTE));
    expect(back.meeting.state).toBe("rejected");
    expect(back.notice).toContain("not available");
  });

  it("[NG4] only free, future slots of the stated length are available", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2, [{ title: "Gym", start: WED_10.start, end: WED_10.end }]);
    const past = slot(23, 8);
    const proposal = start(alice, bob, [past, TUE_15, WED_10, slot(26, 11)]);
    const step = only(deliver(alice, bob, proposal, NOW));
    expect(step.meeting.state).toBe("input-required");
    expect(step.meeting.available).toEqual([TUE_15, slot(26, 11)]);

    // A peer that slips in a slot of another length does not get it accepted.
    const forged: AgentMessage = {
      ...proposal.outgoing[0]!,
      taskId: alice.newId(),
      messageId: alice.newId(),
      data: {
        type: "propose",
        title: "Long",
        durationMinutes: 30,
        slots: [slot(26, 9, 0, 240)],
        expiresAt: NOW + HOUR,
      },
    };
    const result = unwrap(receive(undefined, alice.address, forged, contextOf(bob, NOW)));
    expect(result.meeting.state).toBe("rejected");
  });

  it("[NG5] with auto-accept the participant accepts the earliest free slot at once", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2, [{ title: "Standup", start: TUE_15.start, end: TUE_15.end }]);
    bob.autoAccept = true;
    const proposal = start(alice, bob, [slot(26, 9), TUE_15, WED_10]);
    const accepted = only(deliver(alice, bob, proposal, NOW));
    expect(accepted.meeting.state).toBe("working");
    expect(only(accepted.outgoing).data).toEqual({ type: "accept", slot: WED_10 });
    expect(acceptedSlot(accepted.meeting)).toEqual(WED_10);

    const confirmed = only(deliver(bob, alice, accepted, NOW + MINUTE));
    expect(confirmed.meeting).toMatchObject({ state: "completed", confirmed: WED_10 });
    expect(only(deliver(alice, bob, confirmed, NOW + 2 * MINUTE)).meeting).toMatchObject({
      state: "completed",
      confirmed: WED_10,
    });
  });

  describe("refusals leave the meeting as it was", () => {
    function setUp(): { alice: Side; bob: Side; proposal: Step; accept: Step } {
      const { alice, bob, proposal, accept } = bobAcceptedTuesday();
      return { alice, bob, proposal, accept };
    }

    it("[NG13] a message from anyone but the meeting's peer is refused", () => {
      const { alice, proposal, accept } = setUp();
      const result = receive(proposal.meeting, address(66), only(accept.outgoing), contextOf(alice, NOW));
      expectError(result, "wrong-peer");
      expect(alice.meetings.get(proposal.meeting.id)).toBe(proposal.meeting);
    });

    it("[NG13] a message delivered twice is reported as a duplicate the second time", () => {
      const { alice, bob, proposal, accept } = setUp();
      only(deliver(bob, alice, accept, NOW + MINUTE));
      const again = receive(
        alice.meetings.get(proposal.meeting.id),
        bob.address,
        only(accept.outgoing),
        contextOf(alice, NOW + 2 * MINUTE),
      );
      expect(again).toEqual({ ok: false, error: { code: "duplicate", messageId: only(accept.outgoing).messageId } });
    });

    it("[NG13] a duplicate proposal is caught by the participant too", () => {
      const { alice, bob, proposal } = setUp();
      const again = receive(
        bob.meetings.get(proposal.meeting.id),
        alice.address,
        only(proposal.outgoing),
        contextOf(bob, NOW),
      );
      expectError(again, "duplicate");
    });

    it("[NG13] anything but a proposal for an unknown task, or for another task, is unknown-task", () => {
      const { alice, bob, proposal, accept } = setUp();
      expectError(receive(undefined, bob.address, only(accept.outgoing), contextOf(alice, NOW)), "unknown-task");
      const other = { ...only(accept.outgoing), taskId: alice.newId() };
      expectError(receive(proposal.meeting, bob.address, other, contextOf(alice, NOW)), "unknown-task");
    });

    it("[NG13] an accept after completion, or a second proposal on a task, is wrong-state", () => {
      const { alice, bob, proposal, accept } = setUp();
      only(deliver(bob, alice, accept, NOW + MINUTE));
      const late: AgentMessage = { ...only(accept.outgoing), messageId: bob.newId() };
      expectError(
        receive(alice.meetings.get(proposal.meeting.id), bob.address, late, contextOf(alice, NOW + 2 * MINUTE)),
        "wrong-state",
      );
      const repropose: AgentMessage = { ...only(proposal.outgoing), messageId: alice.newId() };
      expectError(
        receive(bob.meetings.get(proposal.meeting.id), alice.address, repropose, contextOf(bob, NOW)),
        "wrong-state",
      );
    });

    it("[NG7] an accept for a slot that was never proposed is refused", () => {
      const { alice, bob, proposal, accept } = setUp();
      const forged: AgentMessage = { ...only(accept.outgoing), data: { type: "accept", slot: slot(24, 16) } };
      expectError(receive(proposal.meeting, bob.address, forged, contextOf(alice, NOW)), "slot-not-offered");
    });

    it("[NG9] a confirm for another slot than the one accepted is refused", () => {
      const { alice, bob, proposal } = setUp();
      const forged: AgentMessage = {
        taskId: proposal.meeting.id,
        messageId: alice.newId(),
        sentAt: NOW,
        text: "Confirmed.",
        data: { type: "confirm", slot: WED_10, title: "Meeting with Bob" },
      };
      expectError(
        receive(bob.meetings.get(proposal.meeting.id), alice.address, forged, contextOf(bob, NOW)),
        "slot-not-offered",
      );
    });
  });

  it("[NG12] a proposal that arrives expired is declined as expired", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, bob, [TUE_15], NOW, 60);
    const step = only(deliver(alice, bob, proposal, NOW + 61 * MINUTE));
    expect(step.meeting.state).toBe("rejected");
    expect(only(step.outgoing).data).toEqual({ type: "decline", reason: "expired" });
    expect(only(deliver(bob, alice, step, NOW + 62 * MINUTE)).meeting.state).toBe("rejected");
  });

  it("[NG6] approving after the proposal expired is refused as expired", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const received = only(deliver(alice, bob, start(alice, bob, [TUE_15], NOW, 60), NOW));
    const result = approve(received.meeting, TUE_15, contextOf(bob, NOW + 2 * HOUR, received.meeting.id));
    expect(result).toEqual({ ok: false, error: { code: "expired", expiresAt: NOW + HOUR } });
  });

  it("[NG6] approving a slot the calendar has since filled is slot-taken; another slot still works", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const received = only(deliver(alice, bob, start(alice, bob), NOW));
    bob.events.push({ title: "Board meeting", start: TUE_15.start, end: TUE_15.end });
    expectError(approve(received.meeting, TUE_15, contextOf(bob, NOW, received.meeting.id)), "slot-taken");
    expectError(approve(received.meeting, slot(24, 16), contextOf(bob, NOW, received.meeting.id)), "slot-not-offered");
    expect(unwrap(approve(received.meeting, WED_10, contextOf(bob, NOW, received.meeting.id))).meeting.state).toBe(
      "working",
    );
  });

  it("[NG6] only a participant awaiting approval can approve", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, bob);
    expectError(approve(proposal.meeting, TUE_15, contextOf(alice, NOW)), "wrong-state");
  });

  it("[NG8] if the slot is taken by the time the accept arrives, the organizer declines and nothing is booked", () => {
    const { alice, bob, accept } = bobAcceptedTuesday();
    expect(busyFromMeetings([...bob.meetings.values()])).toEqual([TUE_15]);

    alice.events.push({ title: "Therapy session", start: TUE_15.start + 10 * MINUTE, end: TUE_15.start + 50 * MINUTE });
    const refused = only(deliver(bob, alice, accept, NOW + MINUTE));
    expect(refused.meeting.state).toBe("failed");
    expect(refused.meeting.confirmed).toBeUndefined();
    expect(only(refused.outgoing).data).toEqual({ type: "decline", reason: "not-available" });
    expect(refused.notice).toContain("no longer free");

    const bobSide = only(deliver(alice, bob, refused, NOW + 2 * MINUTE));
    expect(bobSide.meeting.state).toBe("rejected");
    expect(busyFromMeetings([...bob.meetings.values()])).toEqual([]);
  });

  it("[NG8] an accept that arrives after the proposal expired is declined as expired", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const received = only(deliver(alice, bob, start(alice, bob, [TUE_15], NOW, 60), NOW));
    const accept = save(
      bob,
      unwrap(approve(received.meeting, TUE_15, contextOf(bob, NOW + 30 * MINUTE, received.meeting.id))),
    );
    const late = only(deliver(bob, alice, accept, NOW + 90 * MINUTE));
    expect(late.meeting.state).toBe("failed");
    expect(only(late.outgoing).data).toEqual({ type: "decline", reason: "expired" });
  });

  it("[NG10] the participant's human can decline the whole proposal", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const received = only(deliver(alice, bob, start(alice, bob), NOW));
    const declined = save(bob, unwrap(decline(received.meeting, contextOf(bob, NOW, received.meeting.id))));
    expect(declined.meeting.state).toBe("rejected");
    expect(only(declined.outgoing).data).toEqual({ type: "decline", reason: "declined" });
    expect(only(declined.outgoing).text).toBe(`Bob declined "Meeting with Bob".`);
    expect(only(deliver(bob, alice, declined, NOW + MINUTE)).meeting.state).toBe("rejected");
    expectError(decline(declined.meeting, contextOf(bob, NOW)), "wrong-state");
  });

  it("[NG11] either side can cancel a confirmed meeting; both end canceled and free", () => {
    for (const canceller of ["organizer", "participant"] as const) {
      const { alice, bob, proposal, accept } = bobAcceptedTuesday();
      only(deliver(alice, bob, only(deliver(bob, alice, accept, NOW)), NOW));
      expect(busyFromMeetings([...alice.meetings.values()])).toEqual([TUE_15]);
      expect(busyFromMeetings([...bob.meetings.values()])).toEqual([TUE_15]);

      const [from, to] = canceller === "organizer" ? [alice, bob] : [bob, alice];
      const cancelled = save(
        from,
        unwrap(cancel(from.meetings.get(proposal.meeting.id)!, contextOf(from, NOW + HOUR))),
      );
      expect(cancelled.meeting.state).toBe("canceled");
      expect(only(cancelled.outgoing).data).toEqual({ type: "cancel" });
      expect(only(cancelled.outgoing).text).toBe(
        `${from.name} canceled "Meeting with Bob", Tue 24 Nov 15:00–15:30 (Europe/London).`,
      );
      const other = only(deliver(from, to, cancelled, NOW + HOUR));
      expect(other.meeting.state).toBe("canceled");
      expect(busyFromMeetings([...alice.meetings.values(), ...bob.meetings.values()])).toEqual([]);
      expectError(cancel(other.meeting, contextOf(to, NOW + HOUR)), "wrong-state");
    }
  });

  it("[NG11] the organizer can withdraw a proposal before any answer", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, bob);
    only(deliver(alice, bob, proposal, NOW));
    const withdrawn = save(alice, unwrap(cancel(proposal.meeting, contextOf(alice, NOW))));
    expect(only(deliver(alice, bob, withdrawn, NOW)).meeting.state).toBe("canceled");
  });

  it("[NG16] the clock withdraws or declines unanswered proposals, but an accepted participant waits", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, bob, [TUE_15], NOW, 60);
    const received = only(deliver(alice, bob, proposal, NOW));
    expect(expire(proposal.meeting, contextOf(alice, NOW + 59 * MINUTE))).toBeUndefined();

    const withdrawn = expire(proposal.meeting, contextOf(alice, NOW + HOUR))!;
    expect(withdrawn.meeting.state).toBe("failed");
    expect(only(withdrawn.outgoing).data).toEqual({ type: "cancel" });

    const lapsed = expire(received.meeting, contextOf(bob, NOW + HOUR))!;
    expect(lapsed.meeting.state).toBe("rejected");
    expect(only(lapsed.outgoing).data).toEqual({ type: "decline", reason: "expired" });

    const accepted = unwrap(approve(received.meeting, TUE_15, contextOf(bob, NOW)));
    expect(expire(accepted.meeting, contextOf(bob, NOW + 2 * HOUR))).toBeUndefined();
    expect(expire(accepted.meeting, contextOf(bob, NOW + HOUR + ACCEPT_GRACE_MS - 1))).toBeUndefined();
  });

  describe("a participant that accepted does not wait forever", () => {
    /** Alice proposes TUE_15 for an hour; Bob accepts it at once. Nothing is delivered to Alice yet. */
    function accepted(): { alice: Side; bob: Side; proposal: Step; accept: Step } {
      const alice = side("Alice", 1);
      const bob = side("Bob", 2);
      const proposal = start(alice, bob, [TUE_15], NOW, 60);
      const received = only(deliver(alice, bob, proposal, NOW));
      const accept = save(bob, unwrap(approve(received.meeting, TUE_15, contextOf(bob, NOW, received.meeting.id))));
      return { alice, bob, proposal, accept };
    }
    const GIVE_UP = NOW + HOUR + ACCEPT_GRACE_MS;

    it("[NG17] the grace is a day past expiry; then the participant fails, frees the time and tells the organizer", () => {
      expect(ACCEPT_GRACE_MS).toBe(24 * HOUR);
      const { bob, accept } = accepted();
      expect(busyFromMeetings([...bob.meetings.values()])).toEqual([TUE_15]);
      expect(expire(accept.meeting, contextOf(bob, GIVE_UP - 1))).toBeUndefined();

      const gaveUp = save(bob, expire(accept.meeting, contextOf(bob, GIVE_UP))!);
      expect(gaveUp.meeting.state).toBe("failed");
      expect(gaveUp.meeting.confirmed).toBeUndefined();
      const out = only(gaveUp.outgoing);
      expect(out.data).toEqual({ type: "cancel" });
      expect(agentMessageSchema.safeParse(out).success).toBe(true);
      expect(out.text).toBe(`Bob's agent called off "Meeting with Bob": no confirmation came for the acceptance.`);
      expect(gaveUp.notice).toBe(
        `Alice's agent never confirmed "Meeting with Bob" for Tue 24 Nov 15:00–15:30, so it was called off and that time is free again.`,
      );
      expect(gaveUp.meeting.transcript.at(-1)).toEqual({ direction: "out", message: out });
      expect(busyFromMeetings([...bob.meetings.values()])).toEqual([]);
      // Once failed, the clock has nothing more to do.
      expect(expire(gaveUp.meeting, contextOf(bob, GIVE_UP + HOUR))).toBeUndefined();
    });

    it("[NG17] when the accept was lost, the organizer still waiting ends canceled on the participant's cancel", () => {
      const { alice, bob, proposal, accept } = accepted();
      const gaveUp = save(bob, expire(accept.meeting, contextOf(bob, GIVE_UP))!);
      const organizer = only(deliver(bob, alice, gaveUp, GIVE_UP + MINUTE));
      expect(organizer.meeting.state).toBe("canceled");
      expect(organizer.outgoing).toEqual([]);
      expect(alice.meetings.get(proposal.meeting.id)!.state).toBe("canceled");
      expect(busyFromMeetings([...alice.meetings.values(), ...bob.meetings.values()])).toEqual([]);
    });

    it("[NG17] when the confirm was lost, the organizer's booking is canceled and a late confirm is refused", () => {
      const { alice, bob, proposal, accept } = accepted();
      const confirm = only(deliver(bob, alice, accept, NOW + MINUTE));
      expect(confirm.meeting.state).toBe("completed");
      // The confirm never reaches Bob.
      const gaveUp = save(bob, expire(bob.meetings.get(proposal.meeting.id)!, contextOf(bob, GIVE_UP))!);
      expect(only(deliver(bob, alice, gaveUp, GIVE_UP)).meeting.state).toBe("canceled");
      expect(busyFromMeetings([...alice.meetings.values(), ...bob.meetings.values()])).toEqual([]);

      const late = receive(gaveUp.meeting, alice.address, only(confirm.outgoing), contextOf(bob, GIVE_UP + MINUTE));
      expectError(late, "wrong-state");
    });
  });

  describe("a pending proposal or acceptance can be withdrawn", () => {
    it("[NG18] organizer in working: both sides end canceled, and a crossing accept is refused", () => {
      const { alice, bob, proposal, accept } = bobAcceptedTuesday();
      const withdrawn = save(alice, unwrap(cancel(proposal.meeting, contextOf(alice, NOW + MINUTE))));
      expect(withdrawn.meeting.state).toBe("canceled");
      expect(only(withdrawn.outgoing).data).toEqual({ type: "cancel" });
      expect(only(withdrawn.outgoing).text).toBe(`Alice canceled "Meeting with Bob".`);

      // Bob's accept was already on its way: Alice refuses it, Bob's hold goes when the cancel lands.
      expectError(
        receive(withdrawn.meeting, bob.address, only(accept.outgoing), contextOf(alice, NOW + 2 * MINUTE)),
        "wrong-state",
      );
      expect(only(deliver(alice, bob, withdrawn, NOW + 2 * MINUTE)).meeting.state).toBe("canceled");
      expect(busyFromMeetings([...bob.meetings.values()])).toEqual([]);
    });

    it("[NG18] participant in input-required: the organizer in working ends canceled", () => {
      const alice = side("Alice", 1);
      const bob = side("Bob", 2);
      const proposal = start(alice, bob);
      const received = only(deliver(alice, bob, proposal, NOW));
      expect(received.meeting.state).toBe("input-required");
      const withdrawn = save(bob, unwrap(cancel(received.meeting, contextOf(bob, NOW + MINUTE))));
      expect(withdrawn.meeting.state).toBe("canceled");
      expect(only(withdrawn.outgoing).data).toEqual({ type: "cancel" });
      const organizer = only(deliver(bob, alice, withdrawn, NOW + 2 * MINUTE));
      expect(organizer.meeting.state).toBe("canceled");
      expect(organizer.notice).toBe(`Bob canceled "Meeting with Bob".`);
      // The clock leaves both alone afterwards.
      expect(expire(organizer.meeting, contextOf(alice, NOW + 30 * 24 * HOUR))).toBeUndefined();
      expect(expire(withdrawn.meeting, contextOf(bob, NOW + 30 * 24 * HOUR))).toBeUndefined();
    });

    it("[NG18] participant in working: the hold is released and the organizer in working ends canceled", () => {
      const { alice, bob, proposal, accept } = bobAcceptedTuesday();
      expect(busyFromMeetings([...bob.meetings.values()])).toEqual([TUE_15]);

      // The accept is lost; Bob's human withdraws the acceptance.
      const withdrawn = save(bob, unwrap(cancel(accept.meeting, contextOf(bob, NOW + MINUTE))));
      expect(withdrawn.meeting.state).toBe("canceled");
      expect(only(withdrawn.outgoing).text).toBe(`Bob canceled "Meeting with Bob".`);
      expect(busyFromMeetings([...bob.meetings.values()])).toEqual([]);
      expect(alice.meetings.get(proposal.meeting.id)!.state).toBe("working");
      expect(only(deliver(bob, alice, withdrawn, NOW + 2 * MINUTE)).meeting.state).toBe("canceled");
    });

    it("[NG18] participant in working whose accept crosses with the organizer's confirm: both end canceled", () => {
      const { alice, bob, accept } = bobAcceptedTuesday();
      const confirm = only(deliver(bob, alice, accept, NOW + MINUTE));
      const withdrawn = save(bob, unwrap(cancel(accept.meeting, contextOf(bob, NOW + MINUTE))));

      expectError(
        receive(withdrawn.meeting, alice.address, only(confirm.outgoing), contextOf(bob, NOW + 2 * MINUTE)),
        "wrong-state",
      );
      const organizer = only(deliver(bob, alice, withdrawn, NOW + 2 * MINUTE));
      expect(organizer.meeting.state).toBe("canceled");
      expect(organizer.notice).toBe(`Bob canceled "Meeting with Bob" for Tue 24 Nov 15:00–15:30.`);
      expect(busyFromMeetings([...alice.meetings.values(), ...bob.meetings.values()])).toEqual([]);
    });
  });

  describe("a peer's expiry is bounded", () => {
    function proposalExpiring(alice: Side, expiresAt: number): AgentMessage {
      const message = only(start(alice, side("Bob", 2)).outgoing);
      if (message.data.type !== "propose") throw new Error("not a proposal");
      return { ...message, data: { ...message.data, expiresAt } };
    }

    it("[NG19] an expiry beyond 30 days from arrival is cut to 30 days; an earlier one is kept", () => {
      expect(MAX_PROPOSAL_TTL_MS).toBe(30 * 24 * HOUR);
      const alice = side("Alice", 1);
      const bob = side("Bob", 2);
      const far = unwrap(
        receive(undefined, alice.address, proposalExpiring(alice, 7_258_118_400_000), contextOf(bob, NOW)),
      );
      expect(far.meeting.state).toBe("input-required");
      expect(far.meeting.expiresAt).toBe(NOW + MAX_PROPOSAL_TTL_MS);

      const edge = unwrap(
        receive(undefined, alice.address, proposalExpiring(alice, NOW + MAX_PROPOSAL_TTL_MS + 1), contextOf(bob, NOW)),
      );
      expect(edge.meeting.expiresAt).toBe(NOW + MAX_PROPOSAL_TTL_MS);
      const near = unwrap(
        receive(undefined, alice.address, proposalExpiring(alice, NOW + 3 * HOUR), contextOf(bob, NOW)),
      );
      expect(near.meeting.expiresAt).toBe(NOW + 3 * HOUR);
      // The organizer's own record is not touched by this: only the receiving side bounds it.
      const own = start(alice, bob, [TUE_15], NOW, 365 * 24 * 60);
      expect(own.meeting.expiresAt).toBe(NOW + 365 * 24 * HOUR);
    });

    it("[NG19] the bounded expiry is the one approve and the clock go by", () => {
      const alice = side("Alice", 1);
      const bob = side("Bob", 2);
      const far = unwrap(
        receive(undefined, alice.address, proposalExpiring(alice, 7_258_118_400_000), contextOf(bob, NOW)),
      );
      const after = NOW + MAX_PROPOSAL_TTL_MS;
      expect(approve(far.meeting, TUE_15, contextOf(bob, after))).toEqual({
        ok: false,
        error: { code: "expired", expiresAt: after },
      });
      expect(expire(far.meeting, contextOf(bob, after - 1))).toBeUndefined();
      const lapsed = expire(far.meeting, contextOf(bob, after))!;
      expect(lapsed.meeting.state).toBe("rejected");
      expect(only(lapsed.outgoing).data).toEqual({ type: "decline", reason: "expired" });
    });
  });

  it("[NG15] an accepted slot is held, so a second proposal for the same time cannot be accepted", () => {
    const alice = side("Alice", 1);
    const carol = side("Carol", 3);
    const bob = side("Bob", 2);
    const fromAlice = only(deliver(alice, bob, start(alice, bob, [TUE_15]), NOW));
    const fromCarol = only(deliver(carol, bob, start(carol, bob, [TUE_15, WED_10]), NOW));
    save(bob, unwrap(approve(fromAlice.meeting, TUE_15, contextOf(bob, NOW, fromAlice.meeting.id))));
    expectError(approve(fromCarol.meeting, TUE_15, contextOf(bob, NOW, fromCarol.meeting.id)), "slot-taken");
    // And a new proposal for that time finds it busy from the start.
    const fromDave = only(deliver(side("Dave", 4), bob, start(side("Dave", 4), bob, [TUE_15]), NOW));
    expect(fromDave.meeting.state).toBe("rejected");
  });

  it("[NG15] busyFromMeetings counts confirmed meetings and this side's pending acceptance only", () => {
    const base = {
      peer: address(9),
      peerName: "P",
      title: "t",
      durationMinutes: 30,
      proposed: [TUE_15, WED_10],
      available: [],
      expiresAt: NOW + HOUR,
      createdAt: NOW,
      updatedAt: NOW,
      transcript: [],
    };
    const id = side("x", 9).newId;
    const meetings: Meeting[] = [
      { ...base, id: id(), role: "organizer", state: "working" },
      { ...base, id: id(), role: "organizer", state: "completed", confirmed: WED_10 },
      { ...base, id: id(), role: "participant", state: "canceled", confirmed: TUE_15 },
      { ...base, id: id(), role: "participant", state: "input-required" },
    ];
    expect(busyFromMeetings(meetings)).toEqual([WED_10]);
  });

  it("[NG14] nothing private about a calendar ever appears in an outgoing message", () => {
    const secret = {
      title: "Oncology appointment — Dr. Patel",
      start: slot(24, 13, 10).start,
      end: slot(24, 14, 50).start,
    };
    const secret2 = { title: "Interview at Acme Corp", start: slot(25, 10, 5).start, end: slot(25, 11, 55).start };
    const runs: Side[] = [];
    // Every path that sends something: none free, approve + confirm, taken at confirm, decline, cancel, expiry,
    // giving up on a confirm.
    {
      const alice = side("Alice", 1, [secret]);
      const bob = side("Bob", 2, [secret2]);
      const received = only(deliver(alice, bob, start(alice, bob, [slot(24, 13, 30), TUE_15, WED_10]), NOW));
      const accept = save(bob, unwrap(approve(received.meeting, TUE_15, contextOf(bob, NOW, received.meeting.id))));
      const confirm = only(deliver(bob, alice, accept, NOW));
      only(deliver(alice, bob, confirm, NOW));
      save(bob, unwrap(cancel(bob.meetings.get(received.meeting.id)!, contextOf(bob, NOW))));
      runs.push(alice, bob);
    }
    {
      const alice = side("Alice", 1, [secret]);
      const bob = side("Bob", 2, [secret, secret2]);
      only(deliver(alice, bob, start(alice, bob, [slot(24, 13, 30), slot(25, 10, 30)]), NOW));
      runs.push(alice, bob);
    }
    {
      const alice = side("Alice", 1);
      const bob = side("Bob", 2, [secret2]);
      const received = only(deliver(alice, bob, start(alice, bob, [slot(24, 13, 30)]), NOW));
      const accept = save(
        bob,
        unwrap(approve(received.meeting, slot(24, 13, 30), contextOf(bob, NOW, received.meeting.id))),
      );
      alice.events.push(secret);
      only(deliver(alice, bob, only(deliver(bob, alice, accept, NOW)), NOW));
      const again = only(deliver(alice, bob, start(alice, bob, [slot(26, 10)], NOW, 60), NOW));
      save(bob, unwrap(decline(again.meeting, contextOf(bob, NOW, again.meeting.id))));
      const third = start(alice, bob, [slot(26, 11)], NOW, 60);
      const lapsing = only(deliver(alice, bob, third, NOW));
      save(bob, expire(lapsing.meeting, contextOf(bob, NOW + 2 * HOUR))!);
      save(alice, expire(third.meeting, contextOf(alice, NOW + 2 * HOUR))!);
      const fourth = only(deliver(alice, bob, start(alice, bob, [slot(26, 14)], NOW, 60), NOW));
      const waiting = save(bob, unwrap(approve(fourth.meeting, slot(26, 14), contextOf(bob, NOW, fourth.meeting.id))));
      save(bob, expire(waiting.meeting, contextOf(bob, NOW + HOUR + ACCEPT_GRACE_MS))!);
      runs.push(alice, bob);
    }
    const sent = runs.flatMap((s) => s.sent);
    expect(new Set(sent.map((m) => m.data.type))).toEqual(
      new Set(["propose", "accept", "confirm", "decline", "cancel"]),
    );
    for (const message of sent) {
      const wire = JSON.stringify(message);
      for (const event of [secret, secret2]) {
        expect(wire).not.toContain(event.title);
        for (const word of event.title.split(/\W+/).filter((w) => w.length > 3)) expect(wire).not.toContain(word);
        expect(wire).not.toContain(String(event.start));
        expect(wire).not.toContain(String(event.end));
      }
    }
  });
});
