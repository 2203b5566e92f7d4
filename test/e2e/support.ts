import path from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startServer } from "../../src/relay/server";
import { launchChromium } from "./browser";

/**
 * What every browser test shares: the production build served by the relay
 * that `npm start` runs, one Chromium, and a check that no page threw.
 */
const staticDir = path.resolve(import.meta.dirname, "../../src/web/out");
export const WAIT = { timeout: 20_000 };

type Harness = {
  readonly server: Awaited<ReturnType<typeof startServer>>;
  readonly browser: Browser;
  /** Uncaught page errors, labelled; each test must end with none. */
  readonly pageErrors: string[];
};

/** Registers the hooks that start and stop the server and the browser; read the harness inside tests only. */
export function useBrowserHarness(): Harness {
  let server: Harness["server"] | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", staticDir, logger: { debug() {}, info() {}, warn() {} } });
    browser = await launchChromium();
  });

  afterEach(() => {
    // An uncaught error in any page fails the test even if the flow happened to finish.
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`test: the ${what} is not started yet`);
    return value;
  };
  return {
    get server() {
      return started(server, "server");
    },
    get browser() {
      return started(browser, "browser");
    },
    pageErrors,
  };
}

/**
 * Wednesday 18 November 2026, 09:00 in London: every browser profile's clock
 * reads this (timers still run), so "tomorrow at 3pm" is a working day in the
 * default preferences whatever day the suite runs.
 */
export const E2E_NOW = Date.UTC(2026, 10, 18, 9, 0);

/** A fresh, isolated browser profile in `timezoneId` whose clock is fixed at `E2E_NOW`. */
export async function profile(browser: Browser, timezoneId: string): Promise<BrowserContext> {
  const context = await browser.newContext({ timezoneId, locale: "en-GB" });
  await context.clock.setFixedTime(E2E_NOW);
  return context;
}

export async function onboard(page: Page, name: string): Promise<void> {
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Create my agent" }).click();
  await page.getByRole("status", { name: "Relay online" }).waitFor(WAIT);
}

export async function openTab(page: Page, name: string): Promise<void> {
  await page.getByRole("tab", { name: new RegExp(`^${name}`) }).click();
}
