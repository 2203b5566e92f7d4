import { describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { onboard, openTab, profile, useBrowserHarness, WAIT } from "./support";

/**
 * Forward-secret sessions as people meet them: one ratchet per contact shared
 * by every tab of a profile, safety numbers compared and verified, and a
 * removed contact whose agent can no longer reach yours. Driven through the
 * UI of the production build; IndexedDB is only read, to check the ratchets.
 */
const harness = useBrowserHarness();
const pageErrors = harness.pageErrors;

async function person(label: string): Promise<Page> {
  const context = await profile(harness.browser, "Europe/London");
  return tab(await context.newPage(), label);
}

/** Another tab of the same profile (same context: same origin, IndexedDB, Web Locks and BroadcastChannel). */
async function anotherTab(page: Page, label: string): Promise<Page> {
  const second = tab(await page.context().newPage(), label);
  await second.goto(harness.server.url);
  await second.getByRole("status", { name: "Relay via another tab, online" }).waitFor(WAIT);
  return second;
}

function tab(page: Page, label: string): Page {
  page.on("pageerror", (error) => pageErrors.push(`${label}: ${error.message}`));
  return page;
}

/** The inviter makes a link, the invitee opens it and onboards; both see each other as contacts. */
async function connect(inviter: Page, inviterName: string, invitee: Page, inviteeName: string): Promise<void> {
  await openTab(inviter, "Contacts");
  await inviter.getByRole("button", { name: "Create invite link" }).click();
  const link = await inviter.getByLabel("Invite link").inputValue();
  await invitee.goto(link);
  await invitee.getByText(`${inviterName} invited you`).waitFor(WAIT);
  await onboard(invitee, inviteeName);
  await openTab(invitee, "Contacts");
  await contact(invitee, inviterName).waitFor(WAIT);
  await contact(inviter, inviteeName).waitFor(WAIT);
}

async function pair(): Promise<{ alice: Page; bob: Page }> {
  const alice = await person("Alice");
  const bob = await person("Bob");
  await alice.goto(harness.server.url);
  await onboard(alice, "Alice");
  await connect(alice, "Alice", bob, "Bob");
  return { alice, bob };
}

const contact = (page: Page, name: string) =>
  page.getByRole("list", { name: "Your contacts" }).getByRole("listitem", { name, exact: true });

/** The trust badge next to a contact's name (or in a transcript): "Verified", "Not verified" or "Key changed". */
const badge = (scope: Locator) => scope.locator(".trust");

/**
 * Types a line to the assistant and sends it with Enter, as soon as the Send button is enabled again (the previous
 * line was handled; Enter does nothing before, like the button). Not with a click: a tab of the same window that is
 * not in front gets no animation frames in headless Chromium, and Playwright's click waits for frames to see the
 * button stand still, which there costs a second or two, so the two tabs would never ask at the same moment.
 */
async function say(page: Page, line: string): Promise<void> {
  const field = page.getByLabel("Message your agent");
  await field.fill(line);
  await page.getByRole("button", { name: "Send", exact: true }).evaluate(
    (button, timeout) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeout;
        const check = () => {
          if (!(button as HTMLButtonElement).disabled) resolve();
          else if (Date.now() > deadline) reject(new Error("Send stayed disabled"));
          else setTimeout(check, 5);
        };
        check();
      }),
    WAIT.timeout,
  );
  await field.press("Enter");
}

/**
 * Every row of one table of the profile's database, read with the raw IndexedDB API in the page (the app's
 * own Dexie database is named "parley": see ClientApp and storage/db.ts). Byte arrays come back as their length.
 */
async function readTable(page: Page, table: string): Promise<Record<string, unknown>[]> {
  return page.evaluate(async (table) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const opening = indexedDB.open("parley");
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error ?? new Error("indexedDB.open failed"));
    });
    try {
      const rows = await new Promise<unknown[]>((resolve, reject) => {
        const reading = db.transaction(table, "readonly").objectStore(table).getAll();
        reading.onsuccess = () => resolve(reading.result);
        reading.onerror = () => reject(reading.error ?? new Error(`reading ${table} failed`));
      });
      return JSON.parse(
        JSON.stringify(rows, (_key, value: unknown) => (value instanceof Uint8Array ? value.length : value)),
      ) as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }, table);
}

type Counters = { sent: number; received: number; previousChainLength: number; skipped: number };

/** The ratchet counters of the session with the contact called `name`. */
async function sessionWith(page: Page, name: string): Promise<Counters> {
  const contacts = await readTable(page, "contacts");
  const address = contacts.find((row) => row["name"] === name)?.["address"];
  expect(address, `${name} is a stored contact`).toBeTypeOf("string");
  const row = (await readTable(page, "sessions")).find((r) => r["address"] === address);
  expect(row, `a session with ${name} is stored`).toBeDefined();
  const state = row!["state"] as Record<string, unknown>;
  return {
    sent: state["sent"] as number,
    received: state["received"] as number,
    previousChainLength: state["previousChainLength"] as number,
    skipped: (state["skipped"] as unknown[]).length,
  };
}

describe("forward-secret sessions", () => {
  it("[WEB7] two tabs of one profile never both advance one ratchet chain", async () => {
    const alice = await person("Alice tab 1");
    const bob = await person("Bob");
    await alice.goto(harness.server.url);
    await onboard(alice, "Alice");
    const alice2 = await anotherTab(alice, "Alice tab 2");
    await connect(alice, "Alice", bob, "Bob");
    await openTab(alice2, "Contacts");
    await contact(alice2, "Bob").waitFor(WAIT);

    // Both tabs ask at once, each as fast as its Send button allows: twelve separate requests, all different
    // (title and time), racing for the one ratchet. Each read-advance-write of it is one IndexedDB transaction
    // under the "ratchet" Web Lock. Were two tabs ever to read the same chain state, they would seal two messages
    // under one message key, Bob's agent would refuse the second as a replay, and a request would be missing.
    // (The IndexedDB transaction alone already serializes them today: this checks the outcome, not the lock.)
    const titles = [
      "Coffee",
      "Call",
      "Sync",
      "Chat",
      "Review",
      "Demo",
      "Walk",
      "Workshop",
      "Interview",
      "Drinks",
      "Lunch",
      "Dinner",
    ];
    // All within Bob's working hours, so each waits for him rather than being answered with other times.
    const hours = [
      "9am",
      "9:30am",
      "10am",
      "10:30am",
      "11am",
      "11:30am",
      "12pm",
      "12:30pm",
      "1pm",
      "1:30pm",
      "2pm",
      "2:30pm",
    ];
    const PER_TAB = 6;
    const total = 2 * PER_TAB;
    const lines = (first: number) =>
      Array.from(
        { length: PER_TAB },
        (_, i) => `${titles[first + i]!.toLowerCase()} with Bob tomorrow at ${hours[first + i]!} for 30 minutes`,
      );
    for (const page of [alice, alice2]) await openTab(page, "Assistant");
    const started = Date.now();
    await Promise.all(
      [alice, alice2].map(async (page, t) => {
        for (const line of lines(t * PER_TAB)) await say(page, line);
      }),
    );
    const asking = Date.now() - started;
    const order = (await readTable(alice, "chat"))
      .filter((row) => row["author"] === "you")
      .sort((a, b) => (a["at"] as number) - (b["at"] as number))
      .map((row) =>
        titles.slice(0, PER_TAB).some((t) => (row["text"] as string).startsWith(t.toLowerCase())) ? 1 : 2,
      );
    console.info(`[WEB7] tabs in the order they asked: ${order.join("")}`);
    // They did ask at the same time: their lines are interleaved, not one tab's after the other's.
    expect(order).toHaveLength(total);
    expect(order.filter((t, i) => i > 0 && t !== order[i - 1]).length).toBeGreaterThan(1);

    // Bob gets every request: none was lost, none was refused.
    await openTab(bob, "Approvals");
    const requests = bob.getByRole("listitem", { name: "Request from Alice" });
    await expect.poll(() => requests.count(), { timeout: WAIT.timeout, interval: 100 }).toBe(total);
    const asked = (await requests.allTextContents()).map((text) => /asks for (.+?) \(/.exec(text)?.[1]);
    expect(asked.sort()).toEqual(titles.slice(0, total).sort());
    console.info(
      `[WEB7] two tabs asked ${total} times in ${asking} ms; all reached Bob after ${Date.now() - started} ms`,
    );
    expect(await bob.title()).toBe(`(${total}) Parley`);

    // And the ratchets agree with what was sent. Alice made the invite, so Bob's contact request was the session's
    // first message: Bob started it as the initiator (his sending chain: that one message, so `sent` was 1) and
    // Alice as the responder, whose opening it took a DH ratchet step (her `sent` 0, `received` 1). Bob has
    // answered nothing (every request waits for his approval), so all of Alice's requests went out on that one
    // sending chain: her `sent` counts exactly them, and a lost update between tabs would leave it lower.
    // Receiving the first, Bob took a DH ratchet step (his `previousChainLength` 1, `sent` and `received` 0);
    // `received` then counts every request, with no key skipped: none was sealed under the same number twice.
    await expect.poll(async () => (await readTable(alice, "outbox")).length, WAIT).toBe(0);
    for (const page of [alice, alice2]) {
      expect(await sessionWith(page, "Bob")).toEqual({ sent: total, received: 1, previousChainLength: 0, skipped: 0 });
    }
    expect(await sessionWith(bob, "Alice")).toEqual({
      sent: 0,
      received: total,
      previousChainLength: 1,
      skipped: 0,
    });
  });

  it("[WEB8] safety numbers match on both sides and verifying marks the contact verified", async () => {
    const { alice, bob } = await pair();
    // A conversation to see the badge in, too.
    await openTab(alice, "Assistant");
    await say(alice, "meet Bob tomorrow at 3pm for 30 minutes");
    await openTab(bob, "Approvals");
    await bob.getByRole("listitem", { name: "Request from Alice" }).waitFor(WAIT);

    const numbers: string[] = [];
    for (const [page, peer] of [
      [alice, "Bob"],
      [bob, "Alice"],
    ] as const) {
      await openTab(page, "Contacts");
      const item = contact(page, peer);
      expect(await badge(item).textContent()).toBe("Not verified");
      await item.getByRole("button", { name: "Safety number", exact: true }).click();
      const digits = item.getByLabel("Safety number", { exact: true });
      await digits.waitFor(WAIT);
      const text = (await digits.textContent()) ?? "";
      // Twelve groups of five digits, to read aloud.
      expect(text.trim()).toMatch(/^\d{5}(\s+\d{5}){11}$/);
      numbers.push(text.replace(/\s/g, ""));
      expect(await item.getByRole("img", { name: "QR code of the safety number" }).count()).toBe(1);
    }
    expect(numbers[0]).toMatch(/^\d{60}$/);
    expect(numbers[0]).toBe(numbers[1]);

    const bobOnAlices = contact(alice, "Bob");
    await bobOnAlices.getByRole("button", { name: "Mark as verified" }).click();
    await badge(bobOnAlices)
      .filter({ hasText: /^Verified$/ })
      .waitFor(WAIT);
    await bobOnAlices.getByRole("status").filter({ hasText: "Verified" }).waitFor(WAIT);
    await bobOnAlices.getByRole("button", { name: "Clear verification" }).waitFor(WAIT);
    // Verifying is each human's own judgement: Bob's side did not change.
    expect(await badge(contact(bob, "Alice")).textContent()).toBe("Not verified");
    expect(await contact(bob, "Alice").getByRole("button", { name: "Mark as verified" }).count()).toBe(1);

    // Every transcript says whom it is with and how far they are trusted.
    for (const [page, peer, trust] of [
      [alice, "Bob", "Verified"],
      [bob, "Alice", "Not verified"],
    ] as const) {
      await openTab(page, "Conversations");
      const transcript = page.getByRole("article", { name: "Conversation about Meeting with Bob" });
      await transcript.getByText(new RegExp(`^With ${peer}`)).waitFor(WAIT);
      expect(await badge(transcript).textContent()).toBe(trust);
    }

    // Reloading reads the verification back from storage.
    await alice.reload();
    await openTab(alice, "Contacts");
    await badge(contact(alice, "Bob"))
      .filter({ hasText: /^Verified$/ })
      .waitFor(WAIT);
  });

  it("[WEB9] removing a contact stops their agent", async () => {
    const { alice, bob } = await pair();
    const item = contact(alice, "Bob");
    await item.getByRole("button", { name: "Remove…" }).click();
    await item.getByRole("button", { name: "Remove", exact: true }).click();
    await alice.getByText("No contacts yet.").waitFor(WAIT);
    expect(await alice.getByRole("list", { name: "Your contacts" }).count()).toBe(0);

    // Bob's side does not know: his agent still asks, and the relay takes the message.
    const seenBefore = (await readTable(alice, "seen")).length;
    await openTab(bob, "Assistant");
    await say(bob, "meet Alice tomorrow at 3pm for 30 minutes");
    await bob.getByText(/^Asked Alice's agent/).waitFor(WAIT);
    await openTab(bob, "Conversations");
    const transcript = bob.getByRole("article", { name: "Conversation about Meeting with Alice" });
    await transcript.waitFor(WAIT);
    await transcript.getByText("waiting to be sent").waitFor({ state: "hidden", timeout: WAIT.timeout });

    // Alice's agent received it (every envelope's id is recorded, refused or not) and did nothing with it.
    await expect.poll(async () => (await readTable(alice, "seen")).length, WAIT).toBeGreaterThan(seenBefore);
    await openTab(alice, "Approvals");
    await alice.getByText("No requests are waiting for you.").waitFor(WAIT);
    expect(await alice.getByRole("listitem", { name: "Request from Bob" }).count()).toBe(0);
    expect(await alice.title()).toBe("Parley");
    const meetings = await readTable(alice, "meetings");
    expect(meetings.filter((m) => JSON.stringify(m["parties"]).includes('"Bob"'))).toEqual([]);
    // A short bounded look for anything arriving late (a redelivery): still nothing.
    for (let i = 0; i < 5; i++) {
      await alice.waitForTimeout(200);
      expect(await alice.getByRole("listitem", { name: "Request from Bob" }).count()).toBe(0);
    }
    await openTab(alice, "Contacts");
    expect(await contact(alice, "Bob").count()).toBe(0);
    // Only what recognises Bob's later messages is kept: no session.
    expect(await readTable(alice, "sessions")).toEqual([]);
    expect((await readTable(alice, "ended")).length).toBe(1);
  });
});
