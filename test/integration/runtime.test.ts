import { describe, expect, it } from "vitest";
import { generateIdentity } from "../../src/protocol/crypto";
import type { MessageId } from "../../src/protocol/envelope";
import { MAILBOX_TTL_MS } from "../../src/protocol/limits";
import { INVITE_LIFETIME_MS } from "../../src/web/runtime/invites";
import type { ConnectRelay } from "../../src/web/runtime/relay";
import { connectRelay } from "../../src/web/transport/relay-client";
import {
  connectedPair,
  DAY,
  deliverRaw,
  firstMessage,
  NOW,
  onboarded,
  person,
  start,
  stopRelay,
  strangersAgentMessage,
  until,
  useRuntimeHarness,
} from "./runtime-support";

/**
 * The web runtime rule by rule, over a real relay: what the e2e test shows
 * through the UI, including what a browser test cannot easily stage.
 */
useRuntimeHarness();

describe("the web runtime over a real relay", () => {
  it("[AP1] a contact request naming an invite we issued adds the sender; one naming no invite of ours is ignored", async () => {
    await start();
    const alice = await onboarded("Alice");
    const stranger = await onboarded("Mallory");
    // Mallory holds one of Alice's links, but Alice no longer has that invite (as if it were never hers).
    const link = await alice.parley.createInviteLink();
    await alice.db.invites.clear();
    await stranger.parley.openInvite(link.slice(link.indexOf("#") + 1));
    await stranger.parley.flush();
    expect(await stranger.db.outbox.count()).toBe(0);

    const bob = await onboarded("Bob");
    const fresh = await alice.parley.createInviteLink();
    await bob.parley.openInvite(fresh.slice(fresh.indexOf("#") + 1));
    // Alice's relay socket hands her envelopes in arrival order: once Bob's request is in, Mallory's was handled.
    const state = await until(alice.parley, (s) => s.contacts.length > 0);
    expect(state.contacts.map((c) => c.name)).toEqual(["Bob"]);
    // Strangers' noise leaves no trace beyond its envelope id.
    expect(state.chat.map((c) => c.text)).toEqual(["Bob accepted your invite and is now a contact."]);
    expect(bob.parley.store.getState().contacts.map((c) => c.name)).toEqual(["Alice"]);
  });

  it("[AP1] a request that waited in the mailbox past the invite's expiry is accepted within the mailbox lifetime", async () => {
    await start();
    let aliceNow = NOW;
    const alice = person(undefined, () => aliceNow);
    await alice.parley.start();
    await alice.parley.createIdentity("Alice");
    const early = await alice.parley.createInviteLink();
    const late = await alice.parley.createInviteLink();
    alice.parley.stop();

    // Bob and Carol answer while Alice is offline; their requests wait in her mailbox.
    const bob = await onboarded("Bob");
    await bob.parley.openInvite(early.slice(early.indexOf("#") + 1));
    await bob.parley.flush();
    // Alice comes back a day after the invite expired: Bob's request is still accepted.
    aliceNow = NOW + INVITE_LIFETIME_MS + DAY;
    const back = person(alice.db, () => aliceNow).parley;
    await back.start();
    await until(back, (s) => s.contacts.some((c) => c.name === "Bob"));
    back.stop();

    const carol = await onboarded("Carol");
    await carol.parley.openInvite(late.slice(late.indexOf("#") + 1));
    await carol.parley.flush();
    // Past the invite's expiry plus the mailbox lifetime, a request is refused; Dave's (on a fresh invite) is not.
    aliceNow = NOW + INVITE_LIFETIME_MS + MAILBOX_TTL_MS + DAY;
    const later = person(alice.db, () => aliceNow).parley;
    await later.start();
    const fresh = await later.createInviteLink();
    const dave = await onboarded("Dave");
    await dave.parley.openInvite(fresh.slice(fresh.indexOf("#") + 1));
    const state = await until(later, (s) => s.contacts.some((c) => c.name === "Dave"));
    expect(state.contacts.map((c) => c.name)).toEqual(["Bob", "Dave"]);
  });

  it("[AP2] [AP3] two runtimes agree on a meeting; an agent message from a non-contact is not acted on", async () => {
    await start();
    const { alice, bob } = await connectedPair();

    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const waiting = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    const request = waiting.meetings[0]!;
    const expected = { start: NOW + DAY + 6 * 3_600_000, end: NOW + DAY + 6.5 * 3_600_000 };
    expect(request.available).toEqual([expected]);

    await bob.parley.approve(request.id, expected);
    const done = await until(alice.parley, (s) => s.meetings.some((m) => m.state === "completed"));
    await until(bob.parley, (s) => s.meetings.some((m) => m.state === "completed"));
    expect(done.meetings[0]!.confirmed).toEqual(expected);
    // Stored before acked: the relay holds nothing for either side once the exchange settles.
    expect(await alice.db.outbox.count()).toBe(0);
    expect(await bob.db.outbox.count()).toBe(0);
    expect(await bob.db.seen.count()).toBeGreaterThanOrEqual(2);

    // A stranger who learnt Bob's address proposes a meeting of its own, which the engine alone would take up as
    // a new request: without a session with Bob, whatever Mallory encrypts is refused.
    const bobAddress = alice.parley.store.getState().contacts[0]!.address;
    const forgedTask = "FFFFFFFFFFFFFFFFFFFFFA" as MessageId;
    await deliverRaw(
      strangersAgentMessage(bobAddress, {
        taskId: forgedTask,
        messageId: "AAAAAAAAAAAAAAAAAAAAAA" as MessageId,
        sentAt: NOW,
        prev: null,
        text: "Alice's agent proposes a meeting.",
        data: {
          type: "propose",
          round: 1,
          others: [],
          title: "Wire the money",
          durationMinutes: 30,
          slots: [{ start: NOW + 2 * DAY, end: NOW + 2 * DAY + 1_800_000 }],
          expiresAt: NOW + 7 * DAY,
        },
      }),
    );
    // Then a real message from Alice: Bob handles envelopes in arrival order, so the forgery was handled first.
    await alice.parley.say("meet Bob on Friday at 10am for 30 minutes");
    const after = await until(bob.parley, (s) => s.meetings.length >= 2);
    expect(after.meetings.map((m) => m.id)).not.toContain(forgedTask);
    expect(after.meetings).toHaveLength(2);
    expect(after.meetings.find((m) => m.id === request.id)?.state).toBe("completed");
  });

  it("[AP4] an envelope delivered twice under one id is acted on once", async () => {
    await start();
    const alice = await onboarded("Alice");
    const link = await alice.parley.createInviteLink();
    const request = firstMessage(generateIdentity(), link, "Dave");
    await deliverRaw(request);
    await until(alice.parley, (s) => s.contacts.some((c) => c.name === "Dave"));
    // Alice reloads (the relay client's in-memory dedup is gone), then the same id and bytes arrive again, as a
    // sender's retry would bring them. A second request from Dave would add "opened your invite again".
    alice.parley.stop();
    const reloaded = person(alice.db).parley;
    await reloaded.start();
    await until(reloaded, (s) => s.connection === "online");
    await deliverRaw(request);
    // Envelopes reach the app one at a time in arrival order (RL8): once a later one is handled, so was the copy.
    await deliverRaw(firstMessage(generateIdentity(), await reloaded.createInviteLink(), "Erin"));
    const state = await until(reloaded, (s) => s.contacts.some((c) => c.name === "Erin"));
    expect(state.chat.filter((c) => c.text.startsWith("Dave"))).toHaveLength(1);
  });

  it("[AP5] a message written while the relay is down is sent after a reload, with the same id", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await stopRelay();
    await until(alice.parley, (s) => s.connection !== "online");
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const pending = await alice.db.outbox.toArray();
    expect(pending).toHaveLength(1);
    // The screens can say the proposal is still waiting to be sent.
    expect([...alice.parley.store.getState().unsent]).toEqual([pending[0]!.taskId]);
    alice.parley.stop();
    bob.parley.stop();

    // The relay comes back (here on a new port) and both reload.
    await start();
    const bobAgain = person(bob.db).parley;
    await bobAgain.start();
    const aliceAgain = person(alice.db).parley;
    await aliceAgain.start();
    await until(bobAgain, (s) => s.meetings.some((m) => m.state === "input-required"));
    await aliceAgain.flush();
    expect(await alice.db.outbox.count()).toBe(0);
    await until(aliceAgain, (s) => s.unsent.size === 0);
    expect(await bob.db.seen.get(pending[0]!.id)).toBeDefined();
  });

  it("[AP8] start, stop, start on one runtime (a remounted component) ends connected, with one connection", async () => {
    await start();
    let open = 0;
    const counting: ConnectRelay = (options) => {
      const connection = connectRelay(options);
      open += 1;
      return {
        send: (envelope) => connection.send(envelope),
        close: () => {
          open -= 1;
          connection.close();
        },
      };
    };
    const alice = person(undefined, undefined, counting);
    await alice.parley.start();
    await alice.parley.createIdentity("Alice");
    alice.parley.stop();
    const starting = alice.parley.start();
    alice.parley.stop();
    await starting;
    await alice.parley.start();
    const state = await until(alice.parley, (s) => s.connection === "online");
    expect(state.phase).toBe("ready");
    expect(state.self?.name).toBe("Alice");
    expect(open).toBe(1);
  });

  it("[AP6] a request left unanswered past its expiry is declined when the app next runs, and the organizer learns", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const waiting = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    bob.parley.stop();

    // Bob opens the app again after the proposal expired.
    const later = waiting.meetings[0]!.expiresAt + 1;
    const reopened = person(bob.db, () => later).parley;
    await reopened.start();
    await until(reopened, (s) => s.meetings[0]?.state === "rejected");
    const organizer = await until(alice.parley, (s) => s.meetings[0]?.state === "rejected");
    expect(organizer.meetings[0]!.transcript.map((e) => e.message.data.type)).toEqual(["propose", "decline"]);
  });

  it("[AP7] two answers to one request at once are applied one after the other: one accept leaves", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await alice.parley.say("find 30 minutes with Bob next week");
    const waiting = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    const request = waiting.meetings[0]!;
    expect(request.available.length).toBeGreaterThanOrEqual(2);
    // A double click, on two different times.
    await Promise.all([
      bob.parley.approve(request.id, request.available[0]!),
      bob.parley.approve(request.id, request.available[1]!),
    ]);
    const done = await until(alice.parley, (s) => s.meetings[0]?.state === "completed");
    const bobSide = await until(bob.parley, (s) => s.meetings[0]?.state === "completed");
    expect(bobSide.meetings[0]!.transcript.filter((e) => e.message.data.type === "accept")).toHaveLength(1);
    expect(bobSide.meetings[0]!.confirmed).toEqual(done.meetings[0]!.confirmed);
    expect(bobSide.notice).toMatch(/approve.*working/);
  });

  it("[AP9] the participant is offered only the proposed times free in its own calendar, and counters with its free times when none is", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    // Bob is busy on Monday 23 Nov from 09:00 to 12:00 (London); Alice asks for next week's mornings.
    const monday = Date.UTC(2026, 10, 23, 9, 0);
    await bob.parley.addEvent({ title: "Dentist", start: monday, end: monday + 3 * 3_600_000 });
    await alice.parley.say("find 30 minutes with Bob next week, mornings");
    const waiting = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    const request = waiting.meetings[0]!;
    expect(request.proposed.some((slot) => slot.start >= monday && slot.end <= monday + 3 * 3_600_000)).toBe(true);
    expect(request.available.length).toBe(request.proposed.length - 1);
    expect(request.available.every((slot) => slot.end <= monday || slot.start >= monday + 3 * 3_600_000)).toBe(true);
    // Nothing of Bob's calendar travels: Alice's copy of the exchange has no trace of the dentist.
    expect(JSON.stringify(alice.parley.store.getState().meetings)).not.toContain("Dentist");

    // Bob's whole Wednesday is taken; a request only for then gets his free times back, without asking him, and
    // Alice's agent runs a second round with them.
    const wednesday = Date.UTC(2026, 10, 25, 0, 0);
    await bob.parley.addEvent({ title: "Offsite", start: wednesday, end: wednesday + 86_400_000 });
    await alice.parley.say("meet Bob on the 25th at 2pm for 30 minutes");
    const moved = await until(alice.parley, (s) => s.meetings.some((m) => m.round === 2));
    const second = moved.meetings.find((m) => m.round === 2)!;
    const counter = second.transcript.find((e) => e.direction === "in")?.message.data;
    expect(counter?.type).toBe("counter");
    expect(second.proposed.length).toBeGreaterThan(0);
    for (const slot of second.proposed)
      expect(slot.end <= wednesday || slot.start >= wednesday + 86_400_000).toBe(true);
    const asked = await until(bob.parley, (s) => s.meetings.some((m) => m.id === second.id && m.round === 2));
    expect(asked.meetings.find((m) => m.id === second.id)?.state).toBe("input-required");
    expect(JSON.stringify(alice.parley.store.getState().meetings)).not.toContain("Offsite");

    // Free is not enough: a time outside Bob's working hours (he stops at 16:00 on Thursdays) is not offered either.
    await bob.parley.savePreferences({
      timeZone: "Europe/London",
      workingHours: { 1: [{ startMinute: 540, endMinute: 1020 }], 4: [{ startMinute: 540, endMinute: 960 }] },
    });
    await alice.parley.say("meet Bob tomorrow at 4pm for 30 minutes");
    const third = await until(alice.parley, (s) => s.meetings.some((m) => m.round === 2 && m.id !== second.id));
    // What Bob's agent suggested (Alice's next round adds her own free times after these).
    const bobsCounter = third.meetings
      .find((m) => m.round === 2 && m.id !== second.id)!
      .transcript.find((e) => e.direction === "in")!.message.data;
    const suggested = bobsCounter.type === "counter" ? bobsCounter.slots : [];
    expect(suggested.length).toBeGreaterThan(0);
    // Thursday 19 Nov ends at 16:00 for him; Monday is 09:00-17:00; other days are off.
    for (const slot of suggested) {
      const day = new Date(slot.start).getUTCDay();
      expect([1, 4]).toContain(day);
      if (day === 4)
        expect(new Date(slot.end).getUTCHours() * 60 + new Date(slot.end).getUTCMinutes()).toBeLessThanOrEqual(960);
    }
  });

  it("[AP15] the assistant searches within the human's saved preferences; invalid ones are refused with a notice", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    await alice.parley.savePreferences({
      timeZone: "Europe/London",
      workingHours: { 1: [{ startMinute: 25 * 60, endMinute: 0 }] },
    });
    expect(alice.parley.store.getState().notice).toMatch(/^Those preferences were not saved: /);
    expect(await alice.db.settings.count()).toBe(0);

    // Only Mondays, 13:00–14:00 London time.
    await alice.parley.savePreferences({
      timeZone: "Europe/London",
      workingHours: { 1: [{ startMinute: 780, endMinute: 840 }] },
    });
    expect(alice.parley.store.getState().preferences.workingHours[1]).toEqual([{ startMinute: 780, endMinute: 840 }]);
    await alice.parley.say("find 30 minutes with Bob next week");
    const waiting = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    const monday = Date.UTC(2026, 10, 23, 13, 0);
    const proposed = waiting.meetings[0]!.proposed;
    expect(proposed.length).toBeGreaterThan(0);
    expect(proposed.every((slot) => slot.start >= monday && slot.end <= monday + 3_600_000)).toBe(true);
  });
});
