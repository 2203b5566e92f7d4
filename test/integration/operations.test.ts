import { afterEach, describe, expect, it } from "vitest";
import type { RunningServer, StartServerOptions } from "../../src/relay/server";
import { startTestServer } from "./support";

/** What an operator's probes and scrapers see, in embedded mode (scaled mode: relay-scaled.test.ts). */
let servers: RunningServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function server(options: Partial<StartServerOptions> = {}): Promise<RunningServer> {
  const started = await startTestServer(options);
  servers.push(started);
  return started;
}

const status = async (url: string, init?: RequestInit) => (await fetch(url, init)).status;

describe("operations endpoints", () => {
  it("[OP1] /healthz answers while the process runs; /readyz is 200 until a drain begins, then 503", async () => {
    const running = await server();
    expect(await status(`${running.url}/healthz`)).toBe(200);
    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("cache-control")).toBe("no-store");
    expect(await ready.json()).toEqual({ status: "ready" });
    // The drain turns readiness off at once (the probe answers 503 while handlers in flight finish), then closes.
    const draining = running.drain(200);
    expect(running.relay.ready()).toBe(false);
    await draining;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it("[OP2] /metrics is Prometheus text, and with a token only for `Authorization: Bearer <token>`", async () => {
    const open = await server();
    const scraped = await fetch(`${open.url}/metrics`);
    expect(scraped.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await scraped.text()).toMatch(/^# HELP parley_connections /m);

    const guarded = await server({ metricsToken: "s3cret-token" });
    expect(await status(`${guarded.url}/metrics`)).toBe(401);
    expect(await status(`${guarded.url}/metrics`, { headers: { authorization: "Bearer wrong-token!" } })).toBe(401);
    expect(await status(`${guarded.url}/metrics`, { headers: { authorization: "Bearer s3cret-token" } })).toBe(200);
  });
});
