import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { onboard, openTab, profile, useBrowserHarness, WAIT } from "./support";

/**
 * A meeting of three, as three people live it: three isolated browser
 * profiles against the production build and relay, driven only through the
 * UI. Carol lets Alice's agent accept on its own; Bob approves by hand.
 */
const harness = useBrowserHarness();

async function person(name: string): Promise<Page> {
  const context = await profile(harness.browser, "Europe/London");
  const page = await context.newPage();
  page.on("pageerror", (error) => harness.pageErrors.push(`${name}: ${error.message}`));
  return page;
}

async function invite(inviter: Page, invitee: Page, inviteeName: string): Promise<void> {
  await openTab(inviter, "Contacts");
  const field = inviter.getByLabel("Invite link");
  const before = (await field.count()) === 0 ? "" : await field.inputValue();
  await inviter.getByRole("button", { name: "Create invite link" }).click();
  // Each person gets a link of their own: wait for the new one to replace the last.
  await expect
    .poll(async () => ((await field.count()) === 0 ? before : await field.inputValue()), WAIT)
    .not.toBe(before);
  const link = await field.inputValue();
  await invitee.goto(link);
  await onboard(invitee, inviteeName);
  await inviter.getByRole("list", { name: "Your contacts" }).getByText(inviteeName).waitFor(WAIT);
}

describe("three people agree on a meeting", () => {
  it("[WEB10] a meeting of three: one request, two answers (one by policy), one booked time on every side", async () => {
    const [alice, bob, carol] = [await person("Alice"), await person("Bob"), await person("Carol")];
    await alice.goto(harness.server.url);
    await onboard(alice, "Alice");
    await invite(alice, bob, "Bob");
    await invite(alice, carol, "Carol");

    // Carol lets Alice's agent accept short meetings on its own, any day, verified or not.
    await openTab(carol, "Contacts");
    const policy = carol.getByRole("form", { name: "What my agent may do for Alice" });
    await carol.getByText("What my agent may do").first().click();
    await policy.getByLabel("Accept on its own").check();
    for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
      await policy.getByLabel(day).check();
    }
    await policy.getByLabel("Only within my working hours").uncheck();
    await policy.getByLabel("Only while verified").uncheck();
    await policy.getByRole("button", { name: "Save" }).click();
    await carol.getByText(/^Saved what your agent may do for Alice/).waitFor(WAIT);

    await openTab(alice, "Assistant");
    await alice.getByLabel("Message your agent").fill("meet Bob and Carol tomorrow at 3pm for 30 minutes");
    await alice.getByLabel("Message your agent").press("Enter");
    await alice.getByText("Asked the agents of Bob and Carol").waitFor(WAIT);

    // Carol's agent answered without asking her; Bob is asked, and sees who else is invited.
    await openTab(carol, "Assistant");
    await carol.getByText(/under your rule for this contact I am holding/).waitFor(WAIT);
    await openTab(bob, "Approvals");
    const request = bob.getByRole("listitem", { name: "Request from Alice" });
    await request.waitFor(WAIT);
    expect(await request.textContent()).toContain("also invited: Carol");
    await request.getByRole("button", { name: /^Approve .*15:00–15:30/ }).click();

    for (const [page, label] of [
      [alice, "Confirmed with Bob and Carol"],
      [bob, "Confirmed with Alice"],
      [carol, "Confirmed with Alice"],
    ] as const) {
      await openTab(page, "Calendar");
      const booked = page.getByRole("listitem").filter({ hasText: label });
      await booked.waitFor(WAIT);
      expect(await booked.textContent()).toContain("15:00–15:30");
      await openTab(page, "Conversations");
      const record = page.getByRole("article", { name: "Conversation about Meeting with Bob and Carol" });
      await record.getByText("Record intact").waitFor(WAIT);
      await record.getByRole("link", { name: "Add to my calendar (.ics)" }).waitFor(WAIT);
    }
  });
});
