import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { onboard, openTab, profile, useBrowserHarness, WAIT } from "./support";

/**
 * The walking skeleton as two people live it: two isolated browser profiles
 * against the production build and relay that `npm start` serves, driven only
 * through the UI.
 */
const harness = useBrowserHarness();
const pageErrors = harness.pageErrors;

async function person(timezoneId: string): Promise<Page> {
  const context = await profile(harness.browser, timezoneId);
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${timezoneId}: ${error.message}`));
  return page;
}

/**
 * A headless browser has no notification centre to look at: this stands in for the system's Notification
 * (permission granted) and records what the app raised. The app's own code is unchanged.
 */
function recordNotifications(): void {
  const raised: string[] = [];
  Object.assign(window, { raisedNotifications: raised });
  // A plain function: called with `new`, it records the title like a constructor would.
  const RecordedNotification = Object.assign(
    function (title: string) {
      raised.push(title);
    },
    { permission: "granted", requestPermission: () => Promise.resolve("granted") },
  );
  Object.defineProperty(window, "Notification", { value: RecordedNotification });
}

describe("two people agree on a meeting", () => {
  it("[WEB1][WEB2][WEB3][WEB5] onboarding → invite → request → approval → both calendars show the meeting, also offline", async () => {
    const alice = await person("Europe/London");
    const bob = await person("Europe/London");

    await alice.goto(harness.server.url);
    await onboard(alice, "Alice");
    // The section tabs follow the ARIA tabs pattern: arrows move the selection and the focus.
    await alice.getByRole("tab", { name: "Assistant" }).focus();
    await alice.keyboard.press("ArrowLeft");
    expect(await alice.getByRole("tab", { name: "Settings" }).getAttribute("aria-selected")).toBe("true");
    expect(await alice.evaluate(() => document.activeElement?.id)).toBe("tab-Settings");
    // The settings screen opens with the defaults: Monday to Friday, 09:00–17:00.
    expect(await alice.getByLabel("Monday from").inputValue()).toBe("09:00");
    expect(await alice.getByLabel("Saturday from").count()).toBe(0);

    await openTab(alice, "Contacts");
    await alice.getByRole("button", { name: "Create invite link" }).click();
    const link = await alice.getByLabel("Invite link").inputValue();
    expect(link).toMatch(new RegExp(`^${harness.server.url}/invite#[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));

    await bob.addInitScript(recordNotifications);
    await bob.goto(link);
    await bob.getByText("Alice invited you").waitFor(WAIT);
    await onboard(bob, "Bob");
    await openTab(bob, "Contacts");
    await bob.getByRole("list", { name: "Your contacts" }).getByText("Alice").waitFor(WAIT);
    await alice.getByRole("list", { name: "Your contacts" }).getByText("Bob").waitFor(WAIT);

    // Bob switches to another tab while Alice asks.
    await bob.evaluate(() =>
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true }),
    );
    await openTab(alice, "Assistant");
    await alice.getByLabel("Message your agent").fill("meet Bob tomorrow at 3pm for 30 minutes");
    await alice.getByLabel("Message your agent").press("Enter");
    await alice.getByText("Asked Bob's agent").waitFor(WAIT);

    await openTab(bob, "Approvals");
    const request = bob.getByRole("listitem", { name: "Request from Alice" });
    await request.waitFor(WAIT);
    expect(await bob.title()).toBe("(1) Parley");
    expect(
      await bob.evaluate(() => (window as unknown as { raisedNotifications: string[] }).raisedNotifications),
    ).toEqual(["Alice asks to meet"]);
    await request.getByRole("button", { name: /^Approve .*15:00–15:30/ }).click();

    await bob.waitForFunction(() => document.title === "Parley", undefined, WAIT);
    for (const [page, peer] of [
      [alice, "Bob"],
      [bob, "Alice"],
    ] as const) {
      await openTab(page, "Calendar");
      const confirmed = page.getByRole("listitem").filter({ hasText: `Confirmed with ${peer}` });
      await confirmed.waitFor(WAIT);
      expect(await confirmed.textContent()).toContain("15:00–15:30");
      await openTab(page, "Conversations");
      const transcript = page.getByRole("article", { name: "Conversation about Meeting with Bob" });
      await transcript
        .getByText(/Confirmed/)
        .first()
        .waitFor(WAIT);
      expect(await transcript.getByRole("listitem").count()).toBeGreaterThanOrEqual(3);
    }

    // Local first: once the service worker holds the build, the app starts and shows its data with no network.
    await alice.waitForFunction(
      async () => {
        const loaded = performance
          .getEntriesByType("resource")
          .map((entry) => new URL(entry.name).pathname)
          .filter((path) => path.startsWith("/_next/static/"));
        const cached = new Set(
          (await Promise.all((await caches.keys()).map(async (name) => (await caches.open(name)).keys())))
            .flat()
            .map((request) => new URL(request.url).pathname),
        );
        return navigator.serviceWorker.controller !== null && loaded.every((path) => cached.has(path));
      },
      undefined,
      { timeout: WAIT.timeout, polling: 100 },
    );
    await alice.context().setOffline(true);
    await alice.reload();
    await openTab(alice, "Calendar");
    await alice.getByRole("listitem").filter({ hasText: "Confirmed with Bob" }).waitFor(WAIT);
  });

  it("[WEB4] two tabs of one profile: one holds the relay connection, both stay current, either can act", async () => {
    const first = await person("Europe/London");
    const dan = await person("Europe/London");
    await first.goto(harness.server.url);
    await onboard(first, "Carol");
    const second = await first.context().newPage();
    second.on("pageerror", (error) => pageErrors.push(`second tab: ${error.message}`));
    await second.goto(harness.server.url);
    await second.getByRole("status", { name: "Relay via another tab, online" }).waitFor(WAIT);

    // The invite is made in the tab without the connection; the answer reaches both.
    await openTab(second, "Contacts");
    await second.getByRole("button", { name: "Create invite link" }).click();
    const link = await second.getByLabel("Invite link").inputValue();
    await dan.goto(link);
    await onboard(dan, "Dan");
    await openTab(first, "Contacts");
    for (const tab of [first, second]) {
      await tab.getByRole("list", { name: "Your contacts" }).getByText("Dan").waitFor(WAIT);
    }

    // The second tab asks; the first, which holds the connection, sends it.
    await openTab(second, "Assistant");
    await second.getByLabel("Message your agent").fill("meet Dan tomorrow at 4pm for 30 minutes");
    await second.getByLabel("Message your agent").press("Enter");
    await openTab(dan, "Approvals");
    const request = dan.getByRole("listitem", { name: "Request from Carol" });
    await request.waitFor(WAIT);
    await request.getByRole("button", { name: /^Approve .*16:00–16:30/ }).click();
    for (const tab of [first, second]) {
      await openTab(tab, "Calendar");
      await tab.getByRole("listitem").filter({ hasText: "Confirmed with Dan" }).waitFor(WAIT);
    }

    // Bringing the second tab to the front makes it the leader: a background tab may be suspended while leading.
    await second.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await second.getByRole("status", { name: "Relay online" }).waitFor(WAIT);
    await first.getByRole("status", { name: "Relay via another tab, online" }).waitFor(WAIT);
    // And when the leading tab closes, the other takes over by itself.
    await second.close();
    await first.getByRole("status", { name: "Relay online" }).waitFor(WAIT);
  });
});
