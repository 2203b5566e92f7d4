import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateIdentity, loadCrypto } from "../../src/protocol/crypto";
import type { Envelope, MessageId } from "../../src/protocol/envelope";
import { connectRelay, type RelayClient } from "../../src/web/transport/relay-client";
import { freePort, startRedis, type RedisProcess } from "./redis";
import { envelopeTo } from "./support";

/**
 * Faults as an operator meets them: relay instances are separate processes
 * (`src/relay/main.ts`, as the container runs it) behind a small TCP load
 * balancer, with the real web relay client on the other side. One instance is
 * killed or drained while envelopes flow; nothing acknowledged may be lost and
 * nothing may reach the app twice.
 */
const repo = path.resolve(import.meta.dirname, "../..");
const emptyStatic = mkdtempSync(path.join(tmpdir(), "parley-static-"));
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  await loadCrypto();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Instance = { readonly child: ChildProcess; readonly port: number; exited: Promise<number | null> };

/** Starts `main.ts` in a child process and resolves with the port it logged. */
async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/relay/main.ts"], {
    cwd: repo,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", STATIC_DIR: emptyStatic, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("instance did not start within 15 s")), 15_000);
    lines.on("line", (line) => {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === "object" && parsed !== null && "event" in parsed && parsed.event === "listening") {
        if ("port" in parsed && typeof parsed.port === "number") {
          clearTimeout(timer);
          resolve(parsed.port);
        }
      }
    });
  });
  return { child, port, exited };
}

/** A round-robin TCP balancer over the instances still alive, as any WebSocket-capable load balancer does. */
async function balancer(backends: () => number[]): Promise<{ url: string; server: Server }> {
  let next = 0;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const ports = backends();
    const port = ports[next++ % ports.length];
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port, host: "127.0.0.1" });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, server };
}

type Cluster = { readonly redis: RedisProcess; readonly instances: Instance[]; readonly url: string };

async function cluster(size: number): Promise<Cluster> {
  const redis = await startRedis({ persistent: true });
  cleanups.push(() => redis.dispose());
  const alive: Instance[] = [];
  const running = (i: Instance) => i.child.exitCode === null && i.child.signalCode === null;
  const lb = await balancer(() => alive.filter(running).map((i) => i.port));
  const env = { REDIS_URL: redis.url, PUBLIC_ORIGIN: lb.url, MAX_CONNECTIONS_PER_IP: "1000", LOG_LEVEL: "info" };
  for (let i = 0; i < size; i++) alive.push(await startInstance(env));
  return { redis, instances: alive, url: lb.url };
}

/** The web relay client, as the app uses it, recording every envelope it hands to the app. */
function client(url: string, received?: Map<MessageId, number>): RelayClient {
  const relay = connectRelay({
    url,
    identity: generateIdentity(),
    retryDelayMs: 50,
    maxRetryDelayMs: 500,
    onEnvelope: async (envelope: Envelope) => {
      received?.set(envelope.id, (received.get(envelope.id) ?? 0) + 1);
    },
  });
  cleanups.push(() => relay.close());
  return relay;
}

async function until(condition: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`until: ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Ten senders, a hundred envelopes each, to one recipient; `during` runs once `afterStored` are stored. */
async function flow(url: string, afterStored: number, during: () => Promise<void>) {
  const received = new Map<MessageId, number>();
  const recipient = client(url, received);
  const senders = Array.from({ length: 10 }, () => client(url));
  let stored = 0;
  let fault: Promise<void> | undefined;
  const sent: MessageId[] = [];
  await Promise.all(
    senders.map(async (sender) => {
      for (let i = 0; i < 100; i++) {
        const envelope = envelopeTo(recipient.address, 256);
        sent.push(envelope.id);
        const result = await sender.send(envelope);
        expect(result).toEqual({ ok: true, id: envelope.id, status: "stored" });
        if (++stored === afterStored) fault = during();
      }
    }),
  );
  await fault;
  await until(() => received.size === sent.length, `all ${sent.length} envelopes reached the recipient`, 20_000);
  return { sent, received };
}

describe("relay faults", () => {
  it("[RS7] an instance killed (SIGKILL) mid-stream loses nothing: 1,000 envelopes, each reaches the app once", async () => {
    const { instances, url } = await cluster(3);
    const { sent, received } = await flow(url, 300, async () => {
      instances[1]!.child.kill("SIGKILL");
      await instances[1]!.exited;
    });
    expect(new Set(sent).size).toBe(1_000);
    expect([...received.keys()].sort()).toEqual([...sent].sort());
    expect([...received.values()].every((count) => count === 1)).toBe(true);
  }, 60_000);

  it("[OP3] SIGTERM drains an instance: it stops taking connections, finishes what is in flight and exits 0", async () => {
    const { instances, url } = await cluster(2);
    let code: number | null | undefined;
    const { sent, received } = await flow(url, 300, async () => {
      instances[0]!.child.kill("SIGTERM");
      code = await instances[0]!.exited;
    });
    expect(code).toBe(0);
    expect([...received.keys()].sort()).toEqual([...sent].sort());
    expect([...received.values()].every((count) => count === 1)).toBe(true);
  }, 60_000);
});
