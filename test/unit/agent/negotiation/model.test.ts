import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  approve,
  busyFromMeetings,
  cancel,
  decline,
  expire,
  FINAL_STATES,
  propose,
  receive,
  requestReschedule,
  reschedule,
  type Meeting,
  type Outgoing,
  type Step,
} from "../../../../src/agent/negotiation";
import { overlaps } from "../../../../src/agent/scheduling/slots";
import { loadCrypto } from "../../../../src/protocol/crypto";
import { verifyChain } from "../../../../src/protocol/messages/chain";
import type { Prng } from "../../../support/prng";
import { createPrng, HOUR, MINUTE } from "../support";
import { contextOf, NOW, side, slot, type Side } from "./harness";

/**
 * A model-based test of the negotiation engine: many concurrent negotiations
 * among 3–6 agents over a network that delays (and so reorders), drops (the
 * sender retries), and duplicates messages, with humans answering at random
 * or not at all, and the clock expiring what waits. After every step: nobody
 * is double-booked. At the end: every negotiation has ended, no hold is left,
 * and the sides of each meeting agree.
 */

beforeAll(loadCrypto);

type InFlight = { at: number; from: Side; out: Outgoing };

type World = {
  prng: Prng;
  agents: Side[];
  now: number;
  flight: InFlight[];
  violations: string[];
};

const TICK = 20 * MINUTE;

function chance(world: World, p: number): boolean {
  return world.prng.float() < p;
}

function pick<T>(world: World, items: readonly T[]): T {
  return items[world.prng.int(items.length)]!;
}

function send(world: World, from: Side, outgoing: readonly Outgoing[]): void {
  for (const out of outgoing) {
    const copies = chance(world, 0.1) ? 2 : 1;
    for (let i = 0; i < copies; i++) world.flight.push({ at: world.now + world.prng.int(3 * HOUR), from, out });
  }
}

/** Keeps a step on its side, sends what it produced and checks nobody is double-booked. */
function apply(world: World, self: Side, step: Step): void {
  self.meetings.set(step.meeting.id, step.meeting);
  self.sent.push(...step.outgoing);
  send(world, self, step.outgoing);
  checkNoDoubleBooking(world, self);
}

function checkNoDoubleBooking(world: World, self: Side): void {
  const claims = [...self.meetings.values()].flatMap((m) =>
    busyFromMeetings([m], world.now).map((interval) => ({ id: m.id, interval })),
  );
  for (const [i, a] of claims.entries()) {
    for (const event of self.events) {
      const booked = self.meetings.get(a.id)?.confirmed;
      if (booked !== undefined && overlaps(booked, event)) world.violations.push(`${self.name} booked over an event`);
    }
    for (const b of claims.slice(i + 1)) {
      if (a.id !== b.id && overlaps(a.interval, b.interval)) {
        world.violations.push(`${self.name} double-booked at ${new Date(a.interval.start).toISOString()}`);
      }
    }
  }
}

function deliverDue(world: World): void {
  const due = world.flight.filter((f) => f.at <= world.now);
  world.flight = world.flight.filter((f) => f.at > world.now);
  for (const item of due) {
    if (chance(world, 0.1)) {
      // Dropped: the sender's outbox has not seen it stored, so it sends the same message again later.
      world.flight.push({ ...item, at: world.now + TICK + world.prng.int(2 * HOUR) });
      continue;
    }
    const to = world.agents.find((a) => a.address === item.out.to)!;
    const id = item.out.message.taskId;
    const result = receive(
      to.meetings.get(id),
      item.from.address,
      item.out.message,
      contextOf(to, world.now, id, item.from.name),
    );
    if (result.ok) apply(world, to, result.value);
    else if (result.error.code === "out-of-order") world.flight.push({ ...item, at: world.now + TICK });
    else if (result.error.code !== "duplicate")
      world.violations.push(`${to.name} refused ${item.out.message.data.type}: ${result.error.code}`);
  }
}

function humans(world: World): void {
  for (const self of world.agents) {
    for (const meeting of [...self.meetings.values()]) {
      const ctx = contextOf(self, world.now, meeting.id);
      let result: ReturnType<typeof approve> | undefined;
      if (meeting.state === "input-required" && chance(world, 0.3)) {
        result = chance(world, 0.8) ? approve(meeting, pick(world, meeting.available), ctx) : decline(meeting, ctx);
      } else if (meeting.state === "completed" && chance(world, 0.002)) {
        result = cancel(meeting, ctx);
      } else if (meeting.state === "completed" && chance(world, 0.005)) {
        result = meeting.role === "organizer" ? reschedule(meeting, ctx) : requestReschedule(meeting, ctx);
      }
      // A refusal (the slot was taken meanwhile, the request expired) is the human's to see; nothing changes.
      if (result?.ok === true) apply(world, self, result.value);
    }
  }
}

function clock(world: World): void {
  for (const self of world.agents) {
    for (const meeting of [...self.meetings.values()]) {
      const step = expire(meeting, contextOf(self, world.now, meeting.id));
      if (step !== undefined) apply(world, self, step);
    }
  }
}

function startNegotiation(world: World): void {
  const organizer = pick(world, world.agents);
  const others = world.agents.filter((a) => a !== organizer);
  const count = 1 + world.prng.int(Math.min(3, others.length));
  const invitees = [...others].sort(() => world.prng.float() - 0.5).slice(0, count);
  const ctx = contextOf(organizer, world.now);
  const slots = ctx.candidates(30, []).slice(0, 1 + world.prng.int(4));
  if (slots.length === 0) return;
  const step = propose(
    {
      participants: invitees.map((s) => ({ address: s.address, name: s.name })),
      title: "Sync",
      durationMinutes: 30,
      slots,
      ttlMinutes: 60 + world.prng.int(47 * 60),
    },
    ctx,
  );
  apply(world, organizer, step);
}

function simulate(seed: number, agentCount: number, negotiations: number): World {
  const prng = createPrng(seed);
  const agents = Array.from({ length: agentCount }, (_, i) => {
    // Private events start and end off the half-hour grid slots live on, so any of their instants found in a
    // message could only have come from the calendar; their titles are unique words.
    const events = Array.from({ length: prng.int(6) }, (_, n) => {
      const start = slot(23 + prng.int(7), 9 + prng.int(8), 10 + 40 * prng.int(2)).start;
      return { title: `Confidential${i}x${n}`, start, end: start + (1 + prng.int(4)) * 30 * MINUTE + 7 * MINUTE };
    });
    const agent = side(`Agent${i}`, i + 1, events);
    // Each keeps its own working hours (London): mornings, afternoons, or the whole day.
    const [from, to] = [
      [9, 13],
      [12, 17],
      [9, 17],
    ][prng.int(3)]!;
    agent.suits = (s) => {
      const start = new Date(s.start);
      const hour = start.getUTCHours() + start.getUTCMinutes() / 60;
      return hour >= from! && hour + (s.end - s.start) / HOUR <= to!;
    };
    agent.autoAccept = prng.float() < 0.5;
    agent.suggest = prng.float() < 0.7;
    return agent;
  });
  const world: World = { prng, agents, now: NOW, flight: [], violations: [] };
  let started = 0;
  // Busy days: negotiations start, cross, expire; then everybody stops starting new ones and it all settles.
  for (let tick = 0; tick < 200 || world.flight.length > 0; tick++) {
    if (started < negotiations && chance(world, 0.3)) {
      startNegotiation(world);
      started++;
    }
    deliverDue(world);
    if (tick < 200) humans(world);
    clock(world);
    world.now += TICK;
    if (tick > 5_000) throw new Error("simulate: the network never drained");
  }
  // Long after: every expiry and grace period has passed.
  for (let i = 0; i < 12 && (world.flight.length > 0 || open(world).length > 0); i++) {
    world.now += 24 * HOUR;
    clock(world);
    while (world.flight.length > 0) {
      world.now += TICK;
      deliverDue(world);
      clock(world);
    }
  }
  return world;
}

function open(world: World): Meeting[] {
  return world.agents
    .flatMap((a) => [...a.meetings.values()])
    .filter((m) => m.state === "working" || m.state === "input-required");
}

const seen = { completed: 0, laterRounds: 0, moved: 0, ended: 0, multiParty: 0 };

function tally(world: World): void {
  for (const meeting of world.agents.flatMap((a) => [...a.meetings.values()])) {
    if (meeting.role !== "organizer") continue;
    if (meeting.state === "completed") seen.completed++;
    if (meeting.round > 1) seen.laterRounds++;
    if (meeting.sequence > 1) seen.moved++;
    if (FINAL_STATES.includes(meeting.state)) seen.ended++;
    if (meeting.parties.length > 1 && meeting.state === "completed") seen.multiParty++;
  }
}

describe("negotiation model", () => {
  it("[NG24][NG14] concurrent negotiations among 3–6 agents over a lossy network: no double booking, all end, no holds leak, nothing private sent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 3, max: 6 }),
        fc.integer({ min: 2, max: 10 }),
        (seed, agentCount, negotiations) => {
          const world = simulate(seed, agentCount, negotiations);
          tally(world);
          // Nothing private leaves: no event title or instant appears in anything any agent sent.
          for (const agent of world.agents) {
            // Timestamps and expiries are clock readings, which may fall on any minute; the slots may not.
            const wire = agent.sent
              .map((o) =>
                JSON.stringify({ ...o.message, sentAt: 0, data: { ...o.message.data, expiresAt: 0, until: 0 } }),
              )
              .join("\n");
            expect(wire).not.toMatch(/Confidential/);
            for (const event of agent.events) {
              expect(wire).not.toContain(String(event.start));
              expect(wire).not.toContain(String(event.end));
            }
          }
          expect(world.violations).toEqual([]);
          expect(open(world).map((m) => `${m.role} ${m.state}`)).toEqual([]);
          for (const agent of world.agents) {
            for (const meeting of agent.meetings.values()) {
              if (FINAL_STATES.includes(meeting.state) || meeting.state === "completed")
                expect(meeting.held).toEqual([]);
              for (const party of meeting.parties) {
                expect(verifyChain(meeting.transcript.filter((e) => e.peer === party.address)).ok).toBe(true);
              }
            }
            const booked = [...agent.meetings.values()].filter((m) => m.state === "completed").map((m) => m.confirmed);
            expect(busyFromMeetings([...agent.meetings.values()], world.now)).toEqual(booked);
          }
          // Nobody's booked time leaves their working hours: only times that suit a side are offered, held or
          // proposed by it.
          for (const agent of world.agents) {
            for (const meeting of agent.meetings.values()) {
              if (meeting.state === "completed") expect(agent.suits!(meeting.confirmed!)).toBe(true);
            }
          }
          // Both ends of each pair agree on what was booked.
          for (const organizer of world.agents) {
            for (const meeting of organizer.meetings.values()) {
              if (meeting.role !== "organizer") continue;
              for (const party of meeting.parties) {
                const theirs = world.agents.find((a) => a.address === party.address)!.meetings.get(meeting.id);
                const attending =
                  meeting.state === "completed" && (party.answer === "held" || party.answer === "pending");
                if (theirs?.state === "completed") {
                  expect(meeting.state).toBe("completed");
                  expect(theirs.confirmed).toEqual(meeting.confirmed);
                }
                if (attending) expect(theirs?.state).toBe("completed");
              }
            }
          }
        },
      ),
      { numRuns: 60 },
    );
    // The runs must have exercised what they claim to: bookings, later rounds, moves, failures, lost messages.
    expect(seen.completed).toBeGreaterThan(40);
    expect(seen.laterRounds).toBeGreaterThan(40);
    expect(seen.moved).toBeGreaterThan(20);
    expect(seen.ended).toBeGreaterThan(40);
    expect(seen.multiParty).toBeGreaterThan(20);
  }, 60_000);
});
