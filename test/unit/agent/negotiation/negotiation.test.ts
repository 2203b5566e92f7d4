import { beforeAll, describe, expect, it } from "vitest";
import {
  ACCEPT_GRACE_MS,
  approve,
  busyFromMeetings,
  cancel,
  clashes,
  decline,
  describeNegotiationError,
  expire,
  MAX_PROPOSAL_TTL_MS,
  propose,
  MAX_CONVERSATION_MESSAGES,
  receive,
  removeParty,
  requestReschedule,
  reschedule,
  ROUNDS_PER_NEGOTIATION,
  type Meeting,
  type NegotiationError,
  type Step,
} from "../../../../src/agent/negotiation";
import { icalMatches } from "../../../../src/agent/calendar/ical";
import { loadCrypto } from "../../../../src/protocol/crypto";
import { agentMessageSchema, type AgentMessage } from "../../../../src/protocol/messages/agent";
import { transcriptHash, verifyChain } from "../../../../src/protocol/messages/chain";
import { address, HOUR, MINUTE } from "../support";
import {
  contextOf,
  deliverOne,
  meetingOf,
  NOW,
  only,
  save,
  settle,
  side,
  slot,
  TUE_15,
  WED_10,
  type Side,
} from "./harness";

beforeAll(loadCrypto);

function start(alice: Side, invitees: Side[], slots = [TUE_15, WED_10], now = NOW, ttlMinutes?: number): Step {
  const participants = invitees.map((s) => ({ address: s.address, name: s.name }));
  const args = { participants, title: "Planning", durationMinutes: 30, slots };
  return save(alice, propose(ttlMinutes === undefined ? args : { ...args, ttlMinutes }, contextOf(alice, now)));
}

function unwrap(result: { ok: true; value: Step } | { ok: false; error: NegotiationError }): Step {
  if (!result.ok) throw new Error(`unwrap: ${result.error.code}`);
  return result.value;
}

function expectError(result: { ok: boolean; error?: NegotiationError }, code: NegotiationError["code"]): void {
  expect(result.ok).toBe(false);
  expect(result.error?.code).toBe(code);
  expect(describeNegotiationError(result.error!).length).toBeGreaterThan(0);
}

/** Delivers `out` and everything it causes; the first step is the addressee's. */
const run = (sides: Side[], from: Side, step: Step, now = NOW) => settle(sides, from, step, now);

/** Alice invites Bob alone; Bob's human accepts Tuesday; the accept is not delivered yet. */
function bobAccepts() {
  const alice = side("Alice", 1);
  const bob = side("Bob", 2);
  const proposal = start(alice, [bob]);
  run([alice, bob], alice, proposal);
  const id = proposal.meeting.id;
  const accept = save(bob, unwrap(approve(meetingOf(bob, id), TUE_15, contextOf(bob, NOW, id))));
  return { alice, bob, id, accept };
}

/** As `bobAccepts`, and everything settles. */
function twoPartyBooked() {
  const { alice, bob, id, accept } = bobAccepts();
  run([alice, bob], bob, accept);
  return { alice, bob, id };
}

const types = (step: Step) => step.outgoing.map((o) => o.message.data.type);

describe("negotiation: two people", () => {
  it("[NG1] propose opens an organizer meeting in round 1 and sends one proposal per participant", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    const step = start(alice, [bob, carol]);
    expect(step.meeting).toMatchObject({ role: "organizer", state: "working", round: 1, proposed: [TUE_15, WED_10] });
    expect(step.meeting.expiresAt).toBe(NOW + 7 * 24 * HOUR);
    expect(step.outgoing.map((o) => o.to)).toEqual([bob.address, carol.address]);
    const [toBob, toCarol] = step.outgoing.map((o) => o.message.data);
    expect(toBob).toMatchObject({ type: "propose", round: 1, others: ["Carol"], slots: [TUE_15, WED_10] });
    expect(toCarol).toMatchObject({ type: "propose", others: ["Bob"] });
  });

  it("[NG1] propose refuses impossible arguments as bugs", () => {
    const [alice, bob] = [side("Alice", 1), side("Bob", 2)];
    expect(() => start(alice, [bob], [])).toThrow(/propose/);
    expect(() => start(alice, [bob], [slot(24, 15, 0, 45)])).toThrow(/30 minutes/);
    expect(() => start(alice, [])).toThrow(/participants/);
    expect(() => start(alice, [bob, bob])).toThrow(/distinct/);
  });

  it("[NG2] every outgoing message is valid on the wire, of its task, fresh, stamped now, and recorded", () => {
    const { alice, bob, id } = twoPartyBooked();
    const all = [...alice.sent, ...bob.sent];
    expect(new Set(all.map((o) => o.message.messageId)).size).toBe(all.length);
    for (const { message } of all) {
      expect(agentMessageSchema.safeParse(message).success).toBe(true);
      expect(message.taskId).toBe(id);
      expect(message.sentAt).toBe(NOW);
    }
    const transcript = meetingOf(alice, id).transcript;
    expect(transcript.map((e) => `${e.direction}:${e.message.data.type}`)).toEqual([
      "out:propose",
      "in:accept",
      "out:confirm",
    ]);
    expect(meetingOf(alice, id).updatedAt).toBe(NOW);
  });

  it("[NG7] a full exchange ends completed on both sides with the same slot and a matching VEVENT", () => {
    const { alice, bob, id } = twoPartyBooked();
    const [a, b] = [meetingOf(alice, id), meetingOf(bob, id)];
    expect(a).toMatchObject({ state: "completed", confirmed: TUE_15, sequence: 1 });
    expect(b).toMatchObject({ state: "completed", confirmed: TUE_15, held: [], sequence: 1 });
    // Each side writes its own VEVENT for the booked slot: same event, same time.
    expect(icalMatches(a.ical!, `${id}@parley`, TUE_15)).toBe(true);
    expect(icalMatches(b.ical!, `${id}@parley`, TUE_15)).toBe(true);
    expect(a.ical).toContain("SUMMARY:Planning");
  });

  it("[NG4] only free, future slots of the stated length are available; the human is asked", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2, [{ title: "Dentist", ...WED_10 }]);
    const proposal = start(alice, [bob], [slot(23, 8), TUE_15, WED_10]);
    const message = only(proposal.outgoing).message;
    if (message.data.type !== "propose") throw new Error("not a proposal");
    // A slot of another length than the stated duration is not the meeting on offer.
    const odd = { ...message, data: { ...message.data, slots: [...message.data.slots, slot(24, 11, 0, 45)] } };
    const received = deliverOne([alice, bob], alice, { to: bob.address, message: odd }, NOW);
    expect(received.meeting).toMatchObject({ state: "input-required", available: [TUE_15], round: 1 });
    expect(received.outgoing).toEqual([]);
    expect(received.notice).toMatch(/Pick one/);
  });

  it("[NG4] a free time outside the owner's preferences is not offered to the human, nor held, nor suggested", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    // Bob takes meetings only before noon.
    bob.suits = (s) =>
      new Date(s.end).getUTCHours() < 12 ||
      (new Date(s.end).getUTCHours() === 12 && new Date(s.end).getUTCMinutes() === 0);
    bob.autoAccept = true;
    const received = deliverOne([alice, bob], alice, only(start(alice, [bob]).outgoing), NOW);
    expect(received.meeting.available).toEqual([WED_10]);
    expect(only(received.outgoing).message.data).toMatchObject({ type: "hold", slots: [WED_10] });
    // Nothing suits: the counter suggests only times that do.
    const zoe = side("Zoe", 5);
    const counter = deliverOne([zoe, bob], zoe, only(start(zoe, [bob], [TUE_15]).outgoing), NOW);
    const data = only(counter.outgoing).message.data;
    if (data.type !== "counter") throw new Error("not a counter");
    expect(data.slots.length).toBeGreaterThan(0);
    for (const s of data.slots) expect(bob.suits(s)).toBe(true);
  });

  it("[NG3] none free: the participant counters with free times of its own and keeps the task open", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2, [{ title: "Offsite", start: TUE_15.start, end: WED_10.end }]);
    const received = deliverOne([alice, bob], alice, only(start(alice, [bob]).outgoing), NOW);
    expect(received.meeting.state).toBe("working");
    const counter = only(received.outgoing).message.data;
    expect(counter).toMatchObject({ type: "counter", round: 1 });
    if (counter.type !== "counter") throw new Error("not a counter");
    expect(counter.slots.length).toBeGreaterThan(0);
    for (const s of counter.slots) expect(s.end - s.start).toBe(30 * MINUTE);
  });

  it("[NG3] with answers-only disclosure the counter carries no times", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2, [{ title: "Offsite", start: TUE_15.start, end: WED_10.end }]);
    bob.suggest = false;
    const received = deliverOne([alice, bob], alice, only(start(alice, [bob]).outgoing), NOW);
    expect(only(received.outgoing).message.data).toMatchObject({ type: "counter", slots: [] });
  });

  it("[NG5] under an auto-accept policy the participant holds what fits until the round expires", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    bob.autoAccept = true;
    const proposal = start(alice, [bob]);
    const held = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW);
    expect(held.meeting).toMatchObject({
      state: "working",
      held: [TUE_15, WED_10],
      heldUntil: proposal.meeting.expiresAt,
    });
    expect(only(held.outgoing).message.data).toMatchObject({ type: "hold", slots: [TUE_15, WED_10] });
    const confirmed = deliverOne([alice, bob], bob, only(held.outgoing), NOW);
    expect(confirmed.meeting).toMatchObject({ state: "completed", confirmed: TUE_15 });
  });

  it("[NG6] approve needs input-required, no expiry, an available slot still free", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob], [TUE_15, WED_10], NOW, 60);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    expectError(approve(m, slot(24, 16), contextOf(bob, NOW, m.id)), "slot-not-offered");
    expectError(approve(m, TUE_15, contextOf(bob, NOW + 2 * HOUR, m.id)), "expired");
    bob.events.push({ title: "Gym", ...TUE_15 });
    expectError(approve(m, TUE_15, contextOf(bob, NOW, m.id)), "slot-taken");
    const ok = unwrap(approve(m, WED_10, contextOf(bob, NOW, m.id)));
    expect(ok.meeting).toMatchObject({ state: "working", held: [WED_10] });
    expect(only(ok.outgoing).message.data).toMatchObject({ type: "accept", round: 1, slot: WED_10 });
    expectError(approve(ok.meeting, WED_10, contextOf(bob, NOW, m.id)), "wrong-state");
    expectError(approve(proposal.meeting, WED_10, contextOf(alice, NOW, m.id)), "wrong-state");
  });

  it("[NG18] the participant's human declining calls the meeting off", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob]);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    const no = save(bob, unwrap(decline(m, contextOf(bob, NOW, m.id))));
    expect(no.meeting.state).toBe("rejected");
    const [atAlice] = run([alice, bob], bob, no);
    expect(atAlice!.meeting.state).toBe("rejected");
    expect(atAlice!.notice).toMatch(/Bob declined/);
  });

  it("[NG12] a proposal that arrives expired is declined as expired", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob], [TUE_15], NOW, 60);
    const late = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW + 2 * HOUR);
    expect(late.meeting.state).toBe("rejected");
    expect(only(late.outgoing).message.data).toEqual({ type: "decline", round: 1, reason: "expired" });
  });

  it("[NG19] a peer's expiry beyond 30 days from arrival is cut to 30 days; the bounded one rules", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob], [TUE_15], NOW, 90 * 24 * 60);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    expect(m.expiresAt).toBe(NOW + MAX_PROPOSAL_TTL_MS);
    expect(expire(m, contextOf(bob, NOW + MAX_PROPOSAL_TTL_MS, m.id))?.meeting.state).toBe("rejected");
    expectError(approve(m, TUE_15, contextOf(bob, NOW + MAX_PROPOSAL_TTL_MS, m.id)), "expired");
  });

  it("[NG11] either side can cancel a booked meeting; both end canceled and the time is free", () => {
    for (const who of ["alice", "bob"] as const) {
      const { alice, bob, id } = twoPartyBooked();
      const self = who === "alice" ? alice : bob;
      const step = save(self, unwrap(cancel(meetingOf(self, id), contextOf(self, NOW, id))));
      run([alice, bob], self, step);
      expect(meetingOf(alice, id).state).toBe("canceled");
      expect(meetingOf(bob, id).state).toBe("canceled");
      expect(busyFromMeetings([...alice.meetings.values(), ...bob.meetings.values()], NOW)).toEqual([]);
    }
  });

  it("[NG11] a pending proposal can be withdrawn by the organizer; a crossing accept changes nothing", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob]);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    const withdraw = save(alice, unwrap(cancel(proposal.meeting, contextOf(alice, NOW, m.id))));
    const accept = save(bob, unwrap(approve(m, TUE_15, contextOf(bob, NOW, m.id))));
    // Both messages cross: each side receives the other's after its own was sent.
    const atAlice = deliverOne([alice, bob], bob, only(accept.outgoing), NOW);
    expect(atAlice.ignored?.code).toBe("wrong-state");
    expect(atAlice.meeting.state).toBe("canceled");
    const atBob = deliverOne([alice, bob], alice, only(withdraw.outgoing), NOW);
    expect(atBob.meeting).toMatchObject({ state: "canceled", held: [] });
  });
});

describe("negotiation: refusals", () => {
  it("[NG13] unknown task, wrong peer, duplicate, out of order and a broken chain leave the meeting untouched", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob]);
    const toBob = only(proposal.outgoing).message;
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    const ctx = contextOf(bob, NOW, m.id);
    expectError(receive(m, address(9), toBob, ctx), "wrong-peer");
    expectError(receive(m, alice.address, toBob, ctx), "duplicate");
    expectError(receive(undefined, alice.address, { ...toBob, data: { type: "cancel" } }, ctx), "unknown-task");
    const early = { ...toBob, prev: transcriptHash(toBob), data: { type: "cancel" as const } };
    expectError(receive(undefined, alice.address, early, ctx), "out-of-order");
    expectError(receive(undefined, alice.address, { ...toBob, prev: transcriptHash(toBob) }, ctx), "broken-chain");
    const other = { ...toBob, taskId: ctx.newId() };
    expectError(receive(m, alice.address, other, ctx), "unknown-task");
    const later = { ...toBob, messageId: ctx.newId(), prev: transcriptHash({ ...toBob, text: "never sent" }) };
    expectError(receive(m, alice.address, { ...later, data: { type: "cancel" } }, ctx), "out-of-order");
    expectError(receive(m, alice.address, { ...later, prev: null, data: { type: "cancel" } }, ctx), "broken-chain");
  });

  it("[NG13] a move that does not fit is recorded but changes nothing, and says why", () => {
    const { alice, bob, id } = twoPartyBooked();
    const before = meetingOf(alice, id);
    const lastFromBob = before.transcript.at(-1)!;
    const stray: AgentMessage = {
      taskId: id,
      messageId: contextOf(bob, NOW).newId(),
      sentAt: NOW,
      prev: lastFromBob.hash,
      text: "Accepting again",
      data: { type: "accept", round: 1, slot: WED_10 },
    };
    const step = unwrap(receive(before, bob.address, stray, contextOf(alice, NOW, id)));
    expect(step.ignored?.code).toBe("wrong-state");
    expect(step.meeting).toMatchObject({ state: "completed", confirmed: TUE_15 });
    expect(step.meeting.transcript).toHaveLength(before.transcript.length + 1);
    expect(step.outgoing).toEqual([]);
  });

  it("[NG10] a confirm whose VEVENT names another time, or for a slot never held, is not acted on", () => {
    const { alice, bob, id, accept } = bobAccepts();
    const confirm = deliverOne([alice, bob], bob, only(accept.outgoing), NOW);
    const real = only(confirm.outgoing).message;
    if (real.data.type !== "confirm") throw new Error("not a confirm");
    const wrongTime = {
      ...real,
      data: { ...real.data, ical: real.data.ical.replace(/DTSTART:\d{8}T\d{6}Z/, "DTSTART:20261124T100000Z") },
    };
    const bobsMeeting = meetingOf(bob, id);
    const a = unwrap(receive(bobsMeeting, alice.address, wrongTime, contextOf(bob, NOW, id)));
    expect(a.ignored?.code).toBe("bad-ical");
    expect(a.meeting.state).toBe("working");
    const unheld = { ...real, data: { ...real.data, slot: WED_10, ical: real.data.ical } };
    expect(unwrap(receive(bobsMeeting, alice.address, unheld, contextOf(bob, NOW, id))).ignored?.code).toBe("bad-ical");
  });
});

describe("negotiation: several people", () => {
  it("[NG7] with three participants the organizer confirms the first slot everyone holds", () => {
    const [alice, bob, carol, dan] = [side("Alice", 1), side("Bob", 2), side("Carol", 3), side("Dan", 4)];
    for (const s of [bob, carol, dan]) s.autoAccept = true;
    carol.events.push({ title: "School run", ...TUE_15 });
    const proposal = start(alice, [bob, carol, dan]);
    run([alice, bob, carol, dan], alice, proposal);
    const id = proposal.meeting.id;
    for (const s of [alice, bob, carol, dan])
      expect(meetingOf(s, id)).toMatchObject({ state: "completed", confirmed: WED_10 });
    expect(meetingOf(bob, id).others).toEqual(["Carol", "Dan"]);
    expect(alice.sent.filter((o) => o.message.data.type === "confirm").map((o) => o.to)).toEqual([
      bob.address,
      carol.address,
      dan.address,
    ]);
  });

  it("[NG7] the organizer waits for every answer before it decides", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    bob.autoAccept = true;
    const proposal = start(alice, [bob, carol]);
    const steps = run([alice, bob, carol], alice, proposal);
    expect(steps.at(-1)!.meeting).toMatchObject({ role: "organizer", state: "working" });
    expect(meetingOf(carol, proposal.meeting.id).state).toBe("input-required");
    expect(meetingOf(alice, proposal.meeting.id).parties.map((p) => p.answer)).toEqual(["held", "pending"]);
  });

  it("[NG8] no common time: a new round with the participants' suggestions first, then it books", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    bob.autoAccept = true;
    carol.autoAccept = true;
    bob.events.push({ title: "Offsite", ...TUE_15 });
    carol.events.push({ title: "Doctor", ...WED_10 });
    const proposal = start(alice, [bob, carol]);
    run([alice, bob, carol], alice, proposal);
    const id = proposal.meeting.id;
    const organizer = meetingOf(alice, id);
    expect(organizer.round).toBe(2);
    expect(organizer.tried).toEqual([TUE_15, WED_10]);
    expect(organizer.state).toBe("completed");
    for (const s of [bob, carol]) expect(meetingOf(s, id).confirmed).toEqual(organizer.confirmed);
    const round2 = alice.sent.find((o) => o.message.data.type === "counter")!.message.data;
    if (round2.type !== "counter") throw new Error("no round 2");
    expect(round2.slots).not.toContainEqual(TUE_15);
    expect(round2.round).toBe(2);
  });

  it("[NG9] when no time suits everyone after the rounds, everyone is told and nothing stays held", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    bob.autoAccept = true;
    carol.autoAccept = true;
    // Bob is free only mornings, Carol only afternoons: never both.
    for (let day = 23; day <= 30; day++) {
      bob.events.push({ title: "Afternoons off", start: slot(day, 12).start, end: slot(day, 23).start });
      carol.events.push({ title: "Mornings off", start: slot(day, 0).start, end: slot(day, 12).start });
    }
    bob.events.push({ title: "Away", start: slot(30, 23).start, end: slot(30, 23).start + 60 * 24 * HOUR });
    const proposal = start(alice, [bob, carol], [slot(24, 10), slot(24, 14)]);
    run([alice, bob, carol], alice, proposal);
    const id = proposal.meeting.id;
    const organizer = meetingOf(alice, id);
    expect(organizer.state).toBe("failed");
    expect(organizer.round).toBeLessThanOrEqual(ROUNDS_PER_NEGOTIATION);
    for (const s of [bob, carol]) expect(meetingOf(s, id).state).toBe("canceled");
    const all = [alice, bob, carol].flatMap((s) => [...s.meetings.values()]);
    expect(busyFromMeetings(all, NOW)).toEqual([]);
  });

  it("[NG10] a participant whose held time went elsewhere declines the confirm; the meeting goes on without them", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    bob.autoAccept = true;
    carol.autoAccept = true;
    const proposal = start(alice, [bob, carol], [TUE_15]);
    const id = proposal.meeting.id;
    const toBob = deliverOne([alice, bob, carol], alice, proposal.outgoing[0]!, NOW);
    const toCarol = deliverOne([alice, bob, carol], alice, proposal.outgoing[1]!, NOW);
    deliverOne([alice, bob, carol], bob, only(toBob.outgoing), NOW);
    const confirms = deliverOne([alice, bob, carol], carol, only(toCarol.outgoing), NOW);
    // Carol's hold lapsed and her calendar took the time before the confirm arrived.
    carol.events.push({ title: "Urgent", ...TUE_15 });
    const atCarol = deliverOne([alice, bob, carol], alice, confirms.outgoing[1]!, NOW);
    expect(atCarol.meeting.state).toBe("failed");
    expect(only(atCarol.outgoing).message.data).toMatchObject({ type: "decline", reason: "not-available" });
    const atAlice = deliverOne([alice, bob, carol], carol, only(atCarol.outgoing), NOW);
    expect(atAlice.meeting.state).toBe("completed");
    expect(atAlice.notice).toMatch(/Carol cannot attend/);
    deliverOne([alice, bob, carol], alice, confirms.outgoing[0]!, NOW);
    expect(meetingOf(bob, id)).toMatchObject({ state: "completed", confirmed: TUE_15 });
  });

  it("[NG11] a participant withdrawing before the booking calls it off for everyone", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    const proposal = start(alice, [bob, carol]);
    run([alice, bob, carol], alice, proposal);
    const id = proposal.meeting.id;
    const out = save(bob, unwrap(cancel(meetingOf(bob, id), contextOf(bob, NOW, id))));
    run([alice, bob, carol], bob, out);
    expect(meetingOf(alice, id).state).toBe("canceled");
    expect(meetingOf(carol, id).state).toBe("canceled");
  });
});

describe("negotiation: holds and the clock", () => {
  it("[NG15] held slots block other negotiations until the hold expires; booked ones until canceled", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    bob.autoAccept = true;
    const proposal = start(alice, [bob], [TUE_15], NOW, 120);
    const held = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW);
    expect(busyFromMeetings([held.meeting], NOW)).toEqual([TUE_15]);
    expect(busyFromMeetings([held.meeting], held.meeting.heldUntil)).toEqual([]);
    // A second organizer asking for the same time meanwhile gets a counter, not a hold.
    const zoe = side("Zoe", 5);
    const second = deliverOne([zoe, bob], zoe, only(start(zoe, [bob], [TUE_15]).outgoing), NOW);
    expect(only(second.outgoing).message.data.type).toBe("counter");
  });

  it("[NG16] the clock: an organizer missing answers withdraws; a participant not answering declines", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob], [TUE_15], NOW, 60);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    expect(expire(m, contextOf(bob, NOW + 30 * MINUTE, m.id))).toBeUndefined();
    const late = NOW + 2 * HOUR;
    const atAlice = expire(proposal.meeting, contextOf(alice, late, m.id))!;
    expect(atAlice.meeting.state).toBe("failed");
    expect(types(atAlice)).toEqual(["cancel"]);
    const atBob = expire(m, contextOf(bob, late, m.id))!;
    expect(atBob.meeting.state).toBe("rejected");
    expect(only(atBob.outgoing).message.data).toMatchObject({ type: "decline", reason: "expired" });
  });

  it("[NG17] a participant that answered waits a grace period past expiry, then gives up and frees the time", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob], [TUE_15], NOW, 60);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    const waiting = save(bob, unwrap(approve(m, TUE_15, contextOf(bob, NOW, m.id)))).meeting;
    expect(expire(waiting, contextOf(bob, NOW + 2 * HOUR, m.id))).toBeUndefined();
    const gaveUp = expire(waiting, contextOf(bob, waiting.expiresAt + ACCEPT_GRACE_MS, m.id))!;
    expect(gaveUp.meeting).toMatchObject({ state: "failed", held: [] });
    expect(types(gaveUp)).toEqual(["cancel"]);
  });
});

describe("negotiation: moving a booked meeting", () => {
  it("[NG22] the organizer moves it: the old time stays booked until everyone holds a new one", () => {
    const { alice, bob, id } = twoPartyBooked();
    bob.autoAccept = true;
    const move = save(alice, unwrap(reschedule(meetingOf(alice, id), contextOf(alice, NOW, id))));
    expect(move.meeting).toMatchObject({ state: "working", confirmed: TUE_15, round: 2 });
    expect(busyFromMeetings([move.meeting], NOW)).toEqual([TUE_15]);
    expect(types(move)).toEqual(["reschedule"]);
    run([alice, bob], alice, move);
    const [a, b] = [meetingOf(alice, id), meetingOf(bob, id)];
    expect(a.state).toBe("completed");
    expect(a.confirmed).not.toEqual(TUE_15);
    expect(b).toMatchObject({ state: "completed", confirmed: a.confirmed, sequence: 2 });
    expect(a.ical).toContain("SEQUENCE:1");
  });

  it("[NG22] when no new time suits everyone the meeting stays where it was, on every side", () => {
    const { alice, bob, id } = twoPartyBooked();
    const move = save(alice, unwrap(reschedule(meetingOf(alice, id), contextOf(alice, NOW, id))));
    run([alice, bob], alice, move);
    const no = save(bob, unwrap(decline(meetingOf(bob, id), contextOf(bob, NOW, id))));
    expect(no.meeting).toMatchObject({ state: "working", confirmed: TUE_15 });
    run([alice, bob], bob, no);
    // Round after round Bob's human does not answer; the clock ends each, and the last keeps Tuesday.
    let now = NOW;
    for (let i = 0; i < ROUNDS_PER_NEGOTIATION + 1 && meetingOf(alice, id).state === "working"; i++) {
      now = meetingOf(bob, id).expiresAt;
      const lapse = expire(meetingOf(bob, id), contextOf(bob, now, id));
      if (lapse !== undefined) run([alice, bob], bob, save(bob, lapse), now);
    }
    expect(meetingOf(alice, id)).toMatchObject({ state: "completed", confirmed: TUE_15 });
    expect(meetingOf(bob, id)).toMatchObject({ state: "completed", confirmed: TUE_15 });
  });

  it("[NG23] a participant asks to move it; the organizer runs the move with the suggestions first", () => {
    const { alice, bob, id } = twoPartyBooked();
    const ask = save(bob, unwrap(requestReschedule(meetingOf(bob, id), contextOf(bob, NOW, id))));
    const suggested = only(ask.outgoing).message.data;
    if (suggested.type !== "reschedule") throw new Error("not a reschedule");
    expect(ask.meeting.state).toBe("completed");
    const atAlice = deliverOne([alice, bob], bob, only(ask.outgoing), NOW);
    expect(atAlice.meeting.state).toBe("working");
    const round = only(atAlice.outgoing).message.data;
    if (round.type !== "reschedule") throw new Error("not a round");
    expect(round.slots[0]).toEqual(suggested.slots[0]);
    expectError(requestReschedule(atAlice.meeting, contextOf(alice, NOW, id)), "wrong-state");
  });
});

describe("negotiation: the transcript chain", () => {
  function chains(self: Side, meeting: Meeting) {
    return meeting.parties.map((p) => meeting.transcript.filter((e) => e.peer === p.address));
  }

  it("[NG21] every pairwise chain on every side verifies, and both ends of a pair hold the same chain", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    bob.autoAccept = true;
    carol.autoAccept = true;
    carol.events.push({ title: "Busy", ...TUE_15 }, { title: "Busy", ...WED_10 });
    const proposal = start(alice, [bob, carol]);
    run([alice, bob, carol], alice, proposal);
    const id = proposal.meeting.id;
    for (const s of [alice, bob, carol])
      for (const chain of chains(s, meetingOf(s, id))) expect(verifyChain(chain)).toEqual({ ok: true });
    const aliceWithBob = meetingOf(alice, id)
      .transcript.filter((e) => e.peer === bob.address)
      .map((e) => e.hash);
    expect(meetingOf(bob, id).transcript.map((e) => e.hash)).toEqual(aliceWithBob);
    // Each side's messages link to its own previous one, the first to the proposal.
    const linked = meetingOf(bob, id).transcript;
    const opening = linked[0]!;
    expect(opening.message.prev).toBeNull();
    for (const direction of ["in", "out"] as const) {
      let previous = opening.hash;
      for (const entry of linked.slice(1).filter((e) => e.direction === direction)) {
        expect(entry.message.prev).toBe(previous);
        previous = entry.hash;
      }
    }
  });

  it("[NG21] messages that crossed both link to the last one seen; editing any entry is detected", () => {
    const alice = side("Alice", 1);
    const bob = side("Bob", 2);
    const proposal = start(alice, [bob]);
    const m = deliverOne([alice, bob], alice, only(proposal.outgoing), NOW).meeting;
    const withdraw = save(alice, unwrap(cancel(proposal.meeting, contextOf(alice, NOW, m.id))));
    const accept = save(bob, unwrap(approve(m, TUE_15, contextOf(bob, NOW, m.id))));
    deliverOne([alice, bob], bob, only(accept.outgoing), NOW);
    deliverOne([alice, bob], alice, only(withdraw.outgoing), NOW);
    for (const s of [alice, bob]) {
      const chain = meetingOf(s, m.id).transcript;
      expect(verifyChain(chain)).toEqual({ ok: true });
      const edited = chain.map((e, i) => (i === 0 ? { ...e, message: { ...e.message, text: "Something else" } } : e));
      expect(verifyChain(edited)).toEqual({ ok: false, error: { code: "bad-hash", index: 0 } });
      const dropped = chain.filter((_, i) => i !== 0);
      expect(verifyChain(dropped).ok).toBe(false);
    }
  });
});

describe("negotiation: privacy", () => {
  it("[NG14] nothing private about a calendar ever appears in an outgoing message", () => {
    const secret = {
      title: "Oncology appointment — Dr. Patel",
      start: slot(24, 13, 10).start,
      end: slot(24, 14, 50).start,
    };
    const secret2 = { title: "Interview at Acme Corp", start: slot(25, 10, 5).start, end: slot(25, 11, 55).start };
    const [alice, bob, carol] = [
      side("Alice", 1, [secret]),
      side("Bob", 2, [secret2]),
      side("Carol", 3, [secret, secret2]),
    ];
    bob.autoAccept = true;
    const first = start(alice, [bob, carol], [slot(24, 13, 30), TUE_15, WED_10]);
    run([alice, bob, carol], alice, first);
    const id = first.meeting.id;
    if (meetingOf(carol, id).state === "input-required") {
      const pick = meetingOf(carol, id).available[0]!;
      run(
        [alice, bob, carol],
        carol,
        save(carol, unwrap(approve(meetingOf(carol, id), pick, contextOf(carol, NOW, id)))),
      );
    }
    const move = reschedule(meetingOf(alice, id), contextOf(alice, NOW, id));
    if (move.ok) run([alice, bob, carol], alice, save(alice, move.value));
    const sent = [alice, bob, carol].flatMap((s) => s.sent.map((o) => o.message));
    expect(sent.length).toBeGreaterThan(4);
    for (const message of sent) {
      const wire = JSON.stringify(message);
      for (const event of [secret, secret2]) {
        for (const word of event.title.split(/\W+/).filter((w) => w.length > 3)) expect(wire).not.toContain(word);
        expect(wire).not.toContain(String(event.start));
        expect(wire).not.toContain(String(event.end));
      }
    }
  });
});

describe("negotiation: the calendar fills a booked time", () => {
  it("[NG25] clashes lists booked meetings (also ones being moved) that an event overlaps, and nothing else", () => {
    const { alice, bob, id } = twoPartyBooked();
    const booked = meetingOf(alice, id);
    const dentist = { id: "e1", start: TUE_15.start + 10 * MINUTE, end: TUE_15.end + HOUR };
    const later = { id: "e2", start: TUE_15.end, end: TUE_15.end + HOUR };
    expect(clashes([booked], [dentist, later])).toEqual([{ meetingId: id, eventId: "e1" }]);
    const moving = save(alice, unwrap(reschedule(booked, contextOf(alice, NOW, id)))).meeting;
    expect(clashes([moving], [dentist])).toHaveLength(1);
    const gone = unwrap(cancel(meetingOf(bob, id), contextOf(bob, NOW, id))).meeting;
    expect(clashes([gone], [dentist])).toEqual([]);
    const pending = start(side("Zoe", 5), [bob]).meeting;
    expect(clashes([pending], [dentist])).toEqual([]);
  });
});

describe("negotiation: late, repeated and removed", () => {
  it("[NG10] a confirm that arrives after the participant's holds lapsed still books what it agreed to", () => {
    const { alice, bob, id } = twoPartyBooked();
    bob.autoAccept = true;
    const move = save(alice, unwrap(reschedule(meetingOf(alice, id), contextOf(alice, NOW, id))));
    const held = deliverOne([alice, bob], alice, only(move.outgoing), NOW);
    const confirm = deliverOne([alice, bob], bob, only(held.outgoing), NOW);
    const next = meetingOf(alice, id).confirmed!;
    expect(next).not.toEqual(TUE_15);
    // Bob's device was offline past the round's expiry and the grace: his agent went back to Tuesday.
    const lapse = meetingOf(bob, id).expiresAt + ACCEPT_GRACE_MS;
    save(bob, expire(meetingOf(bob, id), contextOf(bob, lapse, id))!);
    expect(meetingOf(bob, id)).toMatchObject({ state: "completed", confirmed: TUE_15, held: [] });
    // Then the confirm arrives: both ends agree on the new time.
    const late = deliverOne([alice, bob], alice, only(confirm.outgoing), lapse);
    expect(late.ignored).toBeUndefined();
    expect(meetingOf(bob, id)).toMatchObject({ state: "completed", confirmed: next });
  });

  it("[NG11] a participant who withdrew cannot answer its way back in", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    bob.autoAccept = true;
    carol.autoAccept = true;
    const proposal = start(alice, [bob, carol]);
    run([alice, bob, carol], alice, proposal);
    const id = proposal.meeting.id;
    run([alice, bob, carol], carol, save(carol, unwrap(cancel(meetingOf(carol, id), contextOf(carol, NOW, id)))));
    const party = meetingOf(alice, id).parties.find((p) => p.address === carol.address)!;
    expect(party.answer).toBe("withdrew");
    const last = meetingOf(carol, id).transcript.at(-1)!;
    const again: AgentMessage = {
      ...last.message,
      messageId: contextOf(carol, NOW).newId(),
      prev: last.hash,
      data: { type: "accept", round: meetingOf(alice, id).round, slot: TUE_15 },
    };
    const step = unwrap(receive(meetingOf(alice, id), carol.address, again, contextOf(alice, NOW, id)));
    expect(step.ignored?.code).toBe("wrong-state");
    expect(step.meeting.parties.find((p) => p.address === carol.address)?.answer).toBe("withdrew");
  });

  it("[NG22] moves stop before the wire's round limit: the organizer is told, a request is ignored", () => {
    const { alice, bob, id } = twoPartyBooked();
    const worn = { ...meetingOf(alice, id), round: 97 };
    expectError(reschedule(worn, contextOf(alice, NOW, id)), "too-many-rounds");
    const ask = save(bob, unwrap(requestReschedule(meetingOf(bob, id), contextOf(bob, NOW, id))));
    const step = unwrap(receive(worn, bob.address, only(ask.outgoing).message, contextOf(alice, NOW, id)));
    expect(step.ignored?.code).toBe("wrong-state");
    expect(step.outgoing).toEqual([]);
  });

  it("[NG26] removing a participant: a pending meeting is called off for the others; a booked one, or one being moved, goes on", () => {
    const [alice, bob, carol] = [side("Alice", 1), side("Bob", 2), side("Carol", 3)];
    const pending = start(alice, [bob, carol]);
    const off = removeParty(pending.meeting, bob.address, contextOf(alice, NOW, pending.meeting.id))!;
    expect(off.meeting.state).toBe("canceled");
    expect(off.outgoing.map((o) => [o.to, o.message.data.type])).toEqual([[carol.address, "cancel"]]);

    bob.autoAccept = true;
    carol.autoAccept = true;
    const booked = start(alice, [bob, carol]);
    run([alice, bob, carol], alice, booked);
    const id = booked.meeting.id;
    const move = save(alice, unwrap(reschedule(meetingOf(alice, id), contextOf(alice, NOW, id))));
    // Bob is removed before he answers the move: Carol's answer alone settles it.
    const gone = save(alice, removeParty(move.meeting, bob.address, contextOf(alice, NOW, id))!);
    expect(gone.meeting.parties.find((p) => p.address === bob.address)?.answer).toBe("withdrew");
    expect(gone.meeting).toMatchObject({ state: "working", confirmed: meetingOf(alice, id).confirmed });
    run([alice, bob, carol], alice, { ...move, outgoing: move.outgoing.filter((o) => o.to === carol.address) });
    expect(meetingOf(alice, id).state).toBe("completed");
    expect(meetingOf(carol, id).confirmed).toEqual(meetingOf(alice, id).confirmed);
    expect(removeParty(meetingOf(alice, id), bob.address, contextOf(alice, NOW, id))).toBeUndefined();
  });

  it("[NG13] a conversation holds at most MAX_CONVERSATION_MESSAGES messages; beyond, messages are refused", () => {
    const { alice, bob, id } = twoPartyBooked();
    const full = meetingOf(alice, id);
    const filler = Array.from({ length: MAX_CONVERSATION_MESSAGES }, () => full.transcript[1]!);
    const crowded = { ...full, transcript: [...full.transcript, ...filler] };
    const last = meetingOf(bob, id).transcript.at(-1)!;
    const more: AgentMessage = {
      ...last.message,
      messageId: contextOf(bob, NOW).newId(),
      prev: last.hash,
      data: { type: "cancel" },
    };
    expectError(receive(crowded, bob.address, more, contextOf(alice, NOW, id)), "conversation-full");
  });
});
