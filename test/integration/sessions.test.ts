import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateIdentity, x25519PublicKey, type X25519SecretKey } from "../../src/protocol/crypto";
import { systemRandomBytes } from "../../src/protocol/crypto";
import { sessionRowSchema } from "../../src/web/storage/rows";
import type { AppState } from "../../src/web/state/store";
import {
  connectedPair,
  deliverRaw,
  firstMessage,
  onboarded,
  person,
  start,
  tokenOf,
  until,
  useRuntimeHarness,
} from "./runtime-support";

/**
 * Forward-secret sessions in the running app: single-use invites, ratchet
 * state stored with what a message causes, removal of a contact, a changed
 * identity key, and one writer at a time.
 */
useRuntimeHarness();

afterEach(() => {
  vi.restoreAllMocks();
});

const chatTexts = (state: AppState): string[] => state.chat.map((c) => c.text);

/** Records the typed refusals the runtime reports, so a test can wait for one. */
function refusals(): { codes: string[]; next: (code: string) => Promise<void> } {
  const codes: string[] = [];
  const waiting: { code: string; resolve: () => void }[] = [];
  const original = console.warn;
  vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    if (args[0] !== "inbound: refused an envelope:") return original(...args);
    const code = String(args[1]);
    codes.push(code);
    // The runtime warns inside its IndexedDB transaction; resolving from a timer keeps the test's own database
    // calls out of that transaction's zone.
    setTimeout(() => {
      for (const w of waiting.splice(0)) if (w.code === code) w.resolve();
    }, 0);
    return undefined;
  });
  return {
    codes,
    next: (code) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${code}" refusal within 5 s`)), 5_000);
        waiting.push({
          code,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
  };
}

describe("sessions in the app", () => {
  it("[AP10] an invite works once: a second answer is refused as invite-used, and the human is told once", async () => {
    await start();
    const refused = refusals();
    const alice = await onboarded("Alice");
    const link = await alice.parley.createInviteLink();
    const bob = await onboarded("Bob");
    await bob.parley.openInvite(tokenOf(link));
    await until(alice.parley, (s) => s.contacts.some((c) => c.name === "Bob"));

    // The link was passed on: Carol and then Dave answer it too.
    const second = refused.next("invite-used");
    await deliverRaw(firstMessage(generateIdentity(), link, "Carol"));
    await second;
    const third = refused.next("invite-used");
    await deliverRaw(firstMessage(generateIdentity(), link, "Dave"));
    await third;
    const state = await until(alice.parley, (s) => s.chat.some((c) => c.text.includes("already used")));
    expect(state.contacts.map((c) => c.name)).toEqual(["Bob"]);
    expect(chatTexts(state).filter((t) => t.includes("already used"))).toHaveLength(1);
    // The one-time prekey is gone: nothing stored could complete the handshake again.
    const invites = await alice.db.invites.toArray();
    expect(invites.map((i) => i.oneTimePrekey)).toEqual([null]);
  });

  it("[AP11] a failure after decrypting stores nothing, the envelope comes again, and the session stays in step", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    // Bob's app dies between decrypting Alice's proposal and committing (a crash, a closed tab): simulated by the
    // meeting write failing once. The transaction aborts, the envelope is not acked, and the relay sends it again.
    const put = bob.db.meetings.put.bind(bob.db.meetings);
    let failures = 0;
    vi.spyOn(bob.db.meetings, "put").mockImplementation((...args) => {
      if (failures++ === 0) return Dexie.Promise.reject(new Error("simulated crash"));
      return put(...args);
    });
    const before = sessionRowSchema.parse(await bob.db.sessions.get(alice.parley.store.getState().self!.address));
    await alice.parley.say("meet Bob tomorrow at 3pm for 30 minutes");
    const waiting = await until(bob.parley, (s) => s.meetings.some((m) => m.state === "input-required"), 10_000);
    expect(failures).toBe(2);
    const after = sessionRowSchema.parse(await bob.db.sessions.get(before.address));
    expect(after.state.received).toBe(before.state.received + 1);

    // Both directions still work: Bob answers, Alice confirms, Bob learns.
    const request = waiting.meetings[0]!;
    await bob.parley.approve(request.id, request.available[0]!);
    await until(alice.parley, (s) => s.meetings[0]?.state === "completed");
    await until(bob.parley, (s) => s.meetings[0]?.state === "completed");
  });

  it("[AP12] removing a contact deletes its session and refuses its later messages as revoked", async () => {
    await start();
    const refused = refusals();
    const { alice, bob } = await connectedPair();
    await bob.parley.say("meet Alice tomorrow at 3pm for 30 minutes");
    await until(alice.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    const bobAddress = alice.parley.store.getState().contacts[0]!.address;

    await alice.parley.removeContact(bobAddress);
    const removed = alice.parley.store.getState();
    expect(removed.contacts).toEqual([]);
    expect(removed.meetings[0]!.state).toBe("canceled");
    expect(await alice.db.sessions.get(bobAddress)).toBeUndefined();
    expect(removed.notice).toMatch(/Bob was removed.*1 open request was withdrawn/);

    // Bob's app still has Alice and writes again: Alice's app names the refusal.
    const revoked = refused.next("revoked");
    await bob.parley.say("meet Alice on Friday at 10am for 30 minutes");
    await revoked;
    expect(alice.parley.store.getState().meetings).toHaveLength(1);

    // A new invite from Alice is the human asking Bob back: it works, with a new session.
    await bob.parley.removeContact(removed.self!.address);
    await bob.parley.openInvite(tokenOf(await alice.parley.createInviteLink()));
    await until(alice.parley, (s) => s.contacts.some((c) => c.name === "Bob"));
    await bob.parley.say("meet Alice on Friday at 11am for 30 minutes");
    await until(alice.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    expect(refused.codes).toEqual(["revoked"]);
  });

  it("[AP13] a changed identity key is shown loudly and holds the contact's messages until the human verifies", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    // Bob sets Parley up again keeping his signing key but with a new agreement key and none of his data.
    bob.parley.stop();
    const row = await bob.db.identity.get("self");
    const secret = systemRandomBytes(32) as X25519SecretKey;
    await bob.db.identity.put({ ...row!, agreementSecretKey: secret, agreementPublicKey: x25519PublicKey(secret) });
    await Promise.all([bob.db.contacts.clear(), bob.db.sessions.clear()]);
    const again = person(bob.db);
    await again.parley.start();
    await until(again.parley, (s) => s.connection === "online");
    await again.parley.openInvite(tokenOf(await alice.parley.createInviteLink()));

    const warned = await until(alice.parley, (s) => s.contacts[0]?.keyChangedAt !== undefined);
    expect(warned.contacts[0]!.verified).toBe(false);
    expect(chatTexts(warned).some((t) => t.startsWith("Warning: Bob's security key changed"))).toBe(true);

    // Bob's agent proposes: Alice's agent holds it rather than act.
    await again.parley.say("meet Alice tomorrow at 3pm for 30 minutes");
    const holding = await until(alice.parley, (s) => s.chat.some((c) => c.text.includes("holding a message")));
    expect(holding.meetings).toEqual([]);
    expect(await alice.db.held.count()).toBe(1);

    await alice.parley.verifyContact(warned.contacts[0]!.address);
    const verified = await until(alice.parley, (s) => s.meetings.some((m) => m.state === "input-required"));
    expect(verified.contacts[0]!.verified).toBe(true);
    expect(verified.contacts[0]!.keyChangedAt).toBeUndefined();
    expect(await alice.db.held.count()).toBe(0);
  });

  it("[AP14] two runtimes on one profile take turns with the ratchet: every message reaches the contact", async () => {
    await start();
    const { alice, bob } = await connectedPair();
    // A second "tab" of Alice's profile: same database, its own runtime.
    const twin = person(alice.db);
    await twin.parley.start();
    await until(twin.parley, (s) => s.connection === "online");
    // Twelve distinct requests, six from each runtime, all at once (Monday 23 to Friday 27 November).
    const times = ["9am", "10am", "11am", "2pm", "3pm", "4pm"];
    const day = (n: number) => `${n}${n === 23 ? "rd" : "th"}`;
    await Promise.all(
      times.flatMap((time, i) => [
        alice.parley.say(`meet Bob on the ${day(23 + (i % 3))} at ${time} for 30 minutes`),
        twin.parley.say(`meet Bob on the ${day(26 + (i % 2))} at ${time} for 30 minutes`),
      ]),
    );
    const all = await until(bob.parley, (s) => s.meetings.length === 2 * times.length, 10_000);
    expect(all.meetings.every((m) => m.state === "input-required")).toBe(true);
    const session = sessionRowSchema.parse(await alice.db.sessions.get(bob.parley.store.getState().self!.address));
    // Bob has not answered, so all twelve went out on one sending chain: numbered once each, by one writer at a time.
    expect(session.state.sent).toBe(2 * times.length);
    const received = sessionRowSchema.parse(await bob.db.sessions.get(alice.parley.store.getState().self!.address));
    expect(received.state.received).toBe(2 * times.length);
  });
});
