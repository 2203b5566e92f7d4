import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../src/protocol/messages";
import { DEFAULT_CONTACT_POLICY } from "../../src/agent";
import type { Parley } from "../../src/web/runtime/parley";
import { openClashes } from "../../src/web/state/selectors";
import type { Envelope } from "../../src/protocol/envelope";
import type { ConnectRelay } from "../../src/web/runtime/relay";
import { connectRelay } from "../../src/web/transport/relay-client";
import {
  connectedPair,
  DAY,
  NOW,
  onboarded,
  person,
  start,
  tokenOf,
  until,
  useRuntimeHarness,
} from "./runtime-support";

/**
 * Meetings of several people in the app: three runtimes over a real relay,
 * each with its own IndexedDB, driven through the same actions the screens use.
 */
useRuntimeHarness();

/** Alice knows Bob and Carol (two invites); Bob and Carol do not know each other. */
async function trio() {
  const { alice, bob } = await connectedPair();
  const carol = await onboarded("Carol");
  const link = await alice.parley.createInviteLink();
  await carol.parley.openInvite(tokenOf(link));
  await until(alice.parley, (s) => s.contacts.some((c) => c.name === "Carol"));
  return { alice, bob, carol };
}

const addressOf = (parley: Parley, name: string) => {
  const contact = parley.store.getState().contacts.find((c) => c.name === name);
  if (contact === undefined) throw new Error(`test: no contact ${name}`);
  return contact.address;
};

describe("meetings of several people in the app", () => {
  it("[AP17] three people agree on one meeting: each human approves, everyone books the same time", async () => {
    await start();
    const { alice, bob, carol } = await trio();
    await alice.parley.say("meet Bob and Carol tomorrow at 3pm for 30 minutes");
    const [atBob, atCarol] = await Promise.all([
      until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required")),
      until(carol.parley, (s) => s.meetings.some((m) => m.state === "input-required")),
    ]);
    const bobsRequest = atBob.meetings[0]!;
    expect(bobsRequest.others).toEqual(["Carol"]);
    await bob.parley.approve(bobsRequest.id, bobsRequest.available[0]!);
    // Alice waits for every answer before she books anything.
    await until(alice.parley, (s) => s.meetings[0]?.parties.some((p) => p.answer === "held") === true);
    expect(alice.parley.store.getState().meetings[0]!.state).toBe("working");
    const carolsRequest = atCarol.meetings[0]!;
    await carol.parley.approve(carolsRequest.id, carolsRequest.available[0]!);
    const booked = await Promise.all(
      [alice, bob, carol].map((p) => until(p.parley, (s) => s.meetings[0]?.state === "completed")),
    );
    const slots = booked.map((s) => s.meetings[0]!.confirmed);
    expect(new Set(slots.map((s) => JSON.stringify(s))).size).toBe(1);
    for (const state of booked) {
      const meeting = state.meetings[0]!;
      expect(meeting.ical).toContain("BEGIN:VEVENT");
      for (const party of meeting.parties) {
        expect(verifyChain(meeting.transcript.filter((e) => e.peer === party.address)).ok).toBe(true);
      }
    }
  });

  it("[AP18] under a contact's auto-accept policy the agent holds the time without asking; otherwise it asks", async () => {
    await start();
    const { alice, bob, carol } = await trio();
    // Carol lets Alice's agent book short meetings any weekday, verified or not; Bob keeps the default (ask).
    await carol.parley.setContactPolicy(addressOf(carol.parley, "Alice"), {
      ...DEFAULT_CONTACT_POLICY,
      autoAccept: true,
      verifiedOnly: false,
      weekdays: [1, 2, 3, 4, 5],
    });
    await alice.parley.say("meet Bob and Carol tomorrow at 3pm for 30 minutes");
    const held = await until(carol.parley, (s) => s.meetings[0]?.state === "working");
    expect(held.meetings[0]!.held).toHaveLength(1);
    expect(held.chat.at(-1)?.text).toMatch(/under your rule for this contact I am holding/);
    const asked = await until(bob.parley, (s) => s.meetings[0]?.state === "input-required");
    await bob.parley.approve(asked.meetings[0]!.id, asked.meetings[0]!.available[0]!);
    await until(carol.parley, (s) => s.meetings[0]?.state === "completed");
    await until(alice.parley, (s) => s.meetings[0]?.state === "completed");
  });

  it("[AP19] moving a booked meeting keeps its time until everyone holds a new one; then all move", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const request = (await until(bob.parley, (s) => s.meetings[0]?.state === "input-required")).meetings[0]!;
    await bob.parley.approve(request.id, request.available[0]!);
    const first = (await until(alice.parley, (s) => s.meetings[0]?.state === "completed")).meetings[0]!.confirmed!;
    await until(bob.parley, (s) => s.meetings[0]?.state === "completed");

    await alice.parley.reschedule(request.id);
    const moving = await until(bob.parley, (s) => s.meetings[0]?.state === "input-required");
    expect(moving.meetings[0]!.confirmed).toEqual(first);
    const next = moving.meetings[0]!.available[0]!;
    expect(next).not.toEqual(first);
    await bob.parley.approve(request.id, next);
    const moved = await until(
      alice.parley,
      (s) => s.meetings[0]?.state === "completed" && s.meetings[0].sequence === 2,
    );
    expect(moved.meetings[0]!.confirmed).toEqual(next);
    await until(bob.parley, (s) => s.meetings[0]?.confirmed?.start === next.start);
  });

  it("[AP12] removing one invitee of a pending meeting calls it off for the others, who are told", async () => {
    await start();
    const { alice, carol } = await trio();
    await alice.parley.say("meet Bob and Carol tomorrow at 3pm for 30 minutes");
    await until(carol.parley, (s) => s.meetings[0]?.state === "input-required");
    await alice.parley.removeContact(addressOf(alice.parley, "Bob"));
    const told = await until(carol.parley, (s) => s.meetings[0]?.state === "canceled");
    expect(told.meetings[0]!.transcript.at(-1)?.message.data.type).toBe("cancel");
    expect(alice.parley.store.getState().meetings[0]!.state).toBe("canceled");
  });

  it("[AP20] a message that overtook the one it follows waits for it, then both apply in order", async () => {
    await start();
    // Bob's transport hands his app the first envelope only after the second: the network reordered them.
    let reorder = false;
    let stashed: Envelope | undefined;
    const reordering: ConnectRelay = (options) =>
      connectRelay({
        ...options,
        onEnvelope: async (envelope) => {
          if (reorder && stashed === undefined) {
            stashed = envelope;
            reorder = false;
            return;
          }
          await options.onEnvelope(envelope);
          if (stashed !== undefined) {
            const first = stashed;
            stashed = undefined;
            await options.onEnvelope(first);
          }
        },
      });
    const alice = await onboarded("Alice");
    const bob = person(undefined, undefined, reordering);
    await bob.parley.start();
    await bob.parley.createIdentity("Bob");
    await bob.parley.openInvite(tokenOf(await alice.parley.createInviteLink()));
    await until(alice.parley, (s) => s.contacts.length === 1);
    await until(bob.parley, (s) => s.connection === "online");
    reorder = true;
    // A proposal, then at once its withdrawal: Bob's app gets the withdrawal first.
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const id = (await until(alice.parley, (s) => s.meetings.length === 1)).meetings[0]!.id;
    await alice.parley.cancel(id);
    const done = await until(bob.parley, (s) => s.meetings[0]?.state === "canceled");
    expect(done.meetings[0]!.transcript.map((e) => e.message.data.type)).toEqual(["propose", "cancel"]);
    expect(await bob.db.held.count()).toBe(0);
  });

  it("[AP22] asked why a time is not free, the assistant tells its owner the private reason and sends nothing", async () => {
    await start();
    const { alice } = await connectedPair();
    const tomorrow3pm = NOW + DAY + 6 * 3_600_000;
    await alice.parley.addEvent({ title: "Dentist", start: tomorrow3pm, end: tomorrow3pm + 3_600_000 });
    const outboxBefore = await alice.db.outbox.count();
    await alice.parley.say("why not tomorrow at 3pm?");
    const answered = await until(alice.parley, (s) => s.chat.at(-1)?.author === "agent");
    expect(answered.chat.at(-1)?.text).toMatch(/does not work: You're busy: "Dentist"/);
    await alice.parley.say("why not tomorrow at 11am?");
    const free = await until(
      alice.parley,
      (s) => s.chat.at(-1)?.author === "agent" && s.chat.at(-1)?.text !== answered.chat.at(-1)?.text,
    );
    expect(free.chat.at(-1)?.text).toMatch(/is free for you/);
    expect(await alice.db.outbox.count()).toBe(outboxBefore);
    expect(alice.parley.store.getState().meetings).toEqual([]);
  });

  it("[AP23] an event added over a booked meeting raises a question and moves nothing; keeping both settles it", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const request = (await until(bob.parley, (s) => s.meetings[0]?.state === "input-required")).meetings[0]!;
    await bob.parley.approve(request.id, request.available[0]!);
    const booked = (await until(bob.parley, (s) => s.meetings[0]?.state === "completed")).meetings[0]!;
    await bob.parley.flush();
    const sentBefore = await bob.db.outbox.count();

    await bob.parley.addEvent({
      title: "Dentist",
      start: booked.confirmed!.start - 600_000,
      end: booked.confirmed!.end,
    });
    const asked = bob.parley.store.getState();
    expect(asked.chat.at(-1)?.text).toMatch(
      /"Dentist" overlaps "Meeting with Bob" with Alice.*I have not changed the meeting/,
    );
    expect(openClashes(asked.meetings, asked.events)).toEqual([{ meetingId: booked.id, eventId: asked.events[0]!.id }]);
    expect(asked.meetings[0]).toMatchObject({ state: "completed", confirmed: booked.confirmed });
    expect(await bob.db.outbox.count()).toBe(sentBefore);

    await bob.parley.keepBoth(asked.events[0]!.id, booked.id);
    const kept = bob.parley.store.getState();
    expect(openClashes(kept.meetings, kept.events)).toEqual([]);
    expect(kept.meetings[0]!.confirmed).toEqual(booked.confirmed);
  });

  it("[AP24] from the chat: cancel or move a meeting by its people; with several candidates the assistant asks", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    const lastAnswer = () => alice.parley.store.getState().chat.at(-1)?.text;
    await alice.parley.say("cancel my meeting with Bob");
    expect(lastAnswer()).toBe("I found no upcoming meeting like that to cancel.");

    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    await alice.parley.say("meet Bob tomorrow at 4pm for 30 minutes");
    await until(bob.parley, (s) => s.meetings.filter((m) => m.state === "input-required").length === 2);
    await alice.parley.say("cancel my meeting with Bob");
    expect(lastAnswer()).toMatch(
      /^Which one should I cancel\? .*15:00.*16:00|^Which one should I cancel\? .*16:00.*15:00/,
    );

    await alice.parley.say("cancel my meeting with Bob tomorrow at 4pm");
    const one = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "canceled"));
    expect(one.meetings.filter((m) => m.state === "canceled")).toHaveLength(1);

    const request = one.meetings.find((m) => m.state === "input-required")!;
    await bob.parley.approve(request.id, request.available[0]!);
    await until(alice.parley, (s) => s.meetings.some((m) => m.state === "completed"));
    await alice.parley.say("move my meeting with Bob");
    const moving = await until(bob.parley, (s) => s.meetings.some((m) => m.id === request.id && m.round === 2));
    expect(moving.meetings.find((m) => m.id === request.id)?.confirmed).toBeDefined();
  });

  it("[AP12] after removing the organizer, a booked meeting stays and can still be cancelled, here alone", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const request = (await until(bob.parley, (s) => s.meetings[0]?.state === "input-required")).meetings[0]!;
    await bob.parley.approve(request.id, request.available[0]!);
    await until(bob.parley, (s) => s.meetings[0]?.state === "completed");
    await bob.parley.flush();
    await bob.parley.removeContact(addressOf(bob.parley, "Alice"));
    expect(bob.parley.store.getState().meetings[0]!.state).toBe("completed");
    const recorded = bob.parley.store.getState().meetings[0]!.transcript.length;
    await bob.parley.cancel(request.id);
    const after = bob.parley.store.getState().meetings[0]!;
    expect(after.state).toBe("canceled");
    // Nothing could be sent, so nothing is recorded as sent.
    expect(after.transcript).toHaveLength(recorded);
    expect(await bob.db.outbox.count()).toBe(0);
  });
});
