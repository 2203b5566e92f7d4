import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONTACT_POLICY } from "../../src/agent";
import { contactRowSchema } from "../../src/web/storage/rows";
import { connectedPair, person, start, until, useRuntimeHarness } from "./runtime-support";

/** Per-contact policy in the web runtime: validated before it is stored, and failing closed when read. */
useRuntimeHarness();

async function aliceWithBob() {
  await start();
  const { alice } = await connectedPair();
  const bob = alice.parley.store.getState().contacts[0]!;
  const storedRow = async () => contactRowSchema.parse(await alice.db.contacts.get(bob.address));
  return { alice, bob, storedRow };
}

describe("per-contact policy in the runtime", () => {
  it("[AP16] an invalid policy is refused with a notice saying why, and nothing is stored", async () => {
    const { alice, bob, storedRow } = await aliceWithBob();
    await alice.parley.setContactPolicy(bob.address, { autoAccept: "yes", maxMinutes: 1_000, weekdays: [2, 2] });
    const state = alice.parley.store.getState();
    expect(state.notice).toBe(
      "That policy was not saved: autoAccept must be true or false; maxMinutes must be a whole number of minutes 5..480; weekdays[1] repeats 2.",
    );
    expect((await storedRow()).policy).toBeUndefined();
    expect(state.contactPolicies.get(bob.address)).toEqual({
      policy: DEFAULT_CONTACT_POLICY,
      description: "Asks you about every request.",
    });
  });

  it("[AP16] a valid policy is stored on the contact, shown with its sentence and read back after a restart", async () => {
    const { alice, bob, storedRow } = await aliceWithBob();
    const policy = {
      autoAccept: true,
      maxMinutes: 45,
      weekdays: [5, 1],
      withinWorkingHours: false,
      verifiedOnly: false,
      disclose: "answers-only",
    };
    const expected = { ...policy, weekdays: [1, 5] };
    const description =
      "Accepts on its own meetings up to 45 minutes on Mon, Fri; otherwise only says yes or no to the times proposed.";
    await alice.parley.setContactPolicy(bob.address, policy);
    expect(alice.parley.store.getState().notice).toBe(`Saved what your agent may do for Bob: ${description}`);
    expect((await storedRow()).policy).toEqual(expected);
    expect(alice.parley.store.getState().contactPolicies.get(bob.address)).toEqual({ policy: expected, description });

    // Verifying the contact rewrites its row and keeps the policy.
    await alice.parley.verifyContact(bob.address);
    expect(await storedRow()).toMatchObject({ verified: true, policy: expected });

    alice.parley.stop();
    const again = person(alice.db).parley;
    await again.start();
    const state = await until(again, (s) => s.contactPolicies.has(bob.address));
    expect(state.contactPolicies.get(bob.address)).toEqual({ policy: expected, description });
  });

  it("[AP16] a damaged stored policy reads as the default, which never accepts on its own; the contact stays", async () => {
    const { alice, bob, storedRow } = await aliceWithBob();
    const row = await storedRow();
    await alice.db.contacts.put({ ...row, policy: { autoAccept: true, maxMinutes: "lots" } });
    alice.parley.stop();

    const again = person(alice.db).parley;
    await again.start();
    const state = await until(again, (s) => s.contactPolicies.has(bob.address));
    expect(state.contacts.map((c) => c.name)).toEqual(["Bob"]);
    expect(state.contactPolicies.get(bob.address)).toEqual({
      policy: DEFAULT_CONTACT_POLICY,
      description: "Asks you about every request.",
    });

    // Saving a valid one replaces the damaged one.
    await again.setContactPolicy(bob.address, { autoAccept: true });
    expect((await storedRow()).policy).toEqual({ ...DEFAULT_CONTACT_POLICY, autoAccept: true });
  });
});
