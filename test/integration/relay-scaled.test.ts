import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addressOf, generateIdentity, loadCrypto } from "../../src/protocol/crypto";
import { Redis } from "ioredis";
import type { Address } from "../../src/protocol/address";
import type { Envelope } from "../../src/protocol/envelope";
import { MAX_BATCH_ENVELOPES } from "../../src/protocol/limits";
import { createMemoryMailbox, DEFAULT_MEMORY_MAILBOX_LIMITS } from "../../src/relay/mailbox";
import { pushChannel } from "../../src/relay/push-message";
import { createRedisMailbox } from "../../src/relay/redis-mailbox";
import type { RunningServer, StartServerOptions } from "../../src/relay/server";
import {
  createPrng,
  envelopeTo,
  relayHarness,
  connect,
  once,
  send as sendOne,
  sendBatch,
  signChallenge,
  startTestServer,
  type Challenge,
  type Peer,
} from "./support";
import { startRedis, type RedisProcess } from "./redis";

/**
 * Scaled mode as it runs: several relay instances against one real
 * redis-server (started by the test on a free port), clients on different
 * instances, and Redis itself stopped and restarted under them.
 */
const { peer } = relayHarness();
let redis: RedisProcess;
let servers: RunningServer[] = [];

beforeEach(async () => {
  redis = await startRedis({ persistent: true });
});

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
  await redis.dispose();
});

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`until: ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One relay instance as `main.ts` runs it (HTTP endpoints included), in scaled mode. */
async function instance(options: Partial<StartServerOptions> = {}): Promise<RunningServer> {
  const started = await startTestServer({ redisUrl: redis.url, ...options });
  servers.push(started);
  await until(() => started.relay.ready(), "the instance is ready");
  return started;
}

async function send(from: Peer, envelope: Envelope): Promise<unknown> {
  return sendOne(from.socket, envelope);
}

const stored = (envelope: Envelope) => ({ ok: true, id: envelope.id, status: "stored" });

/** How many connections are subscribed to an address's push channel (RS9). */
async function subscribersOf(client: Redis, address: Address): Promise<number> {
  const answer = (await client.call("PUBSUB", "SHARDNUMSUB", pushChannel(address))) as [string, number];
  return answer[1];
}

/** How many times Redis has run `command` (INFO commandstats). */
async function callsOf(client: Redis, command: string): Promise<number> {
  const stats = await client.info("commandstats");
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}

/** A client of its own for a test of the mailbox or Redis itself, disconnected afterwards. */
async function withClient(run: (client: Redis) => Promise<void>): Promise<void> {
  await loadCrypto();
  const client = new Redis(redis.url);
  try {
    await run(client);
  } finally {
    client.disconnect();
  }
}

async function readyz(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

describe("scaled relay (Redis)", () => {
  it("[RS1] routes between instances: a sender on one instance reaches a recipient online on another", async () => {
    const [one, two, three] = [await instance(), await instance(), await instance()];
    const alice = await peer(one.url);
    const bob = await peer(two.url);
    const carol = await peer(three.url);
    const toBob = envelopeTo(bob.address);
    expect(await send(alice, toBob)).toEqual(stored(toBob));
    expect(await bob.inbox.next()).toEqual(toBob);
    const toAlice = envelopeTo(alice.address);
    expect(await send(carol, toAlice)).toEqual(stored(toAlice));
    expect(await alice.inbox.next()).toEqual(toAlice);
  });

  it("[RS2] keeps mail for an offline recipient in Redis: stored through instance 3, drained on instance 1, in order", async () => {
    const [one, , three] = [await instance(), await instance(), await instance()];
    const alice = await peer(three.url);
    // Bob has never connected: nothing can be pushed to him, everything waits in Redis.
    const bob = generateIdentity();
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const envelope = envelopeTo(addressOf(bob.signing.publicKey));
      expect(await send(alice, envelope)).toEqual(stored(envelope));
      sent.push(envelope);
    }
    const later = await peer(one.url, bob);
    // The drain comes in arrival order; a push still crossing instances may add a copy before or among it (RL2),
    // which clients drop by id: the stored order must appear, in order, within what arrives.
    const ids = sent.map((e) => e.id);
    const received: string[] = [];
    const inOrder = (): boolean => {
      let next = 0;
      for (const id of received) if (id === ids[next]) next++;
      return next === ids.length;
    };
    while (!inOrder()) received.push((await later.inbox.next()).id);
    expect(new Set(received)).toEqual(new Set(ids));
  });

  it("[RS3] an ack on one instance deletes the envelope for all: a reconnect elsewhere gets nothing again", async () => {
    const [one, two] = [await instance(), await instance()];
    const alice = await peer(one.url);
    const bob = await peer(one.url);
    const envelope = envelopeTo(bob.address);
    await send(alice, envelope);
    await bob.inbox.next();
    bob.socket.emit("ack", [envelope.id]);
    await until(
      async () => (await two.relay.metrics.registry.getSingleMetricAsString("parley_mailbox_depth")).endsWith(" 0"),
      "the mailbox is empty",
    );
    const again = await peer(two.url, bob.identity);
    const marker = envelopeTo(bob.address);
    await send(alice, marker);
    // The marker arrives live after the (empty) drain: had the acked envelope been kept, it would come first.
    expect((await again.inbox.next()).id).toBe(marker.id);
  });

  it("[RS4] enforces per-address and global caps in Redis and expires envelopes after the TTL", async () => {
    const small = await instance({ mailboxLimits: { maxEnvelopes: 2, maxTotalEnvelopes: 3, ttlMs: 60_000 } });
    const alice = await peer(small.url);
    const online = await peer(small.url);
    const bob = online.address;
    const carol = (await peer(small.url)).address;
    const results = [];
    const sent = [envelopeTo(bob), envelopeTo(bob), envelopeTo(bob)];
    for (const envelope of sent) results.push(await send(alice, envelope));
    expect(results.map((r) => (r as { ok: boolean }).ok)).toEqual([true, true, false]);
    expect(results[2]).toMatchObject({
      ok: false,
      error: { code: "mailbox-full", message: "the recipient's mailbox is full" },
    });
    expect(await send(alice, envelopeTo(carol))).toMatchObject({ ok: true });
    expect(await send(alice, envelopeTo(carol))).toMatchObject({
      ok: false,
      error: { code: "mailbox-full", message: "the relay's storage is full" },
    });
    // Only what was stored is pushed: after the two stored envelopes, Bob's next push is a later one.
    expect([(await online.inbox.next()).id, (await online.inbox.next()).id]).toEqual([sent[0]!.id, sent[1]!.id]);
    online.socket.emit("ack", [sent[0]!.id, sent[1]!.id]);
    const later = envelopeTo(bob);
    await until(async () => ((await send(alice, later)) as { ok: boolean }).ok, "a send to Bob is stored again");
    expect((await online.inbox.next()).id).toBe(later.id);

    const brief = await instance({ mailboxLimits: { ttlMs: 150, maxEnvelopes: 1 } });
    const dave = await peer(brief.url);
    const erin = (await peer(brief.url)).identity;
    await send(dave, envelopeTo(addressOf(erin.signing.publicKey)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A mailbox full only of expired envelopes is trimmed by the next send rather than refusing it.
    expect(await send(dave, envelopeTo(addressOf(erin.signing.publicKey)))).toMatchObject({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Expired envelopes are dropped when their mailbox is next read, and the totals shrink with them.
    const back = await peer(brief.url, erin);
    const marker = envelopeTo(back.address);
    await send(dave, marker);
    expect((await back.inbox.next()).id).toBe(marker.id);
  });

  it("[RS8] stores a batch in one script call with the memory mailbox's answers: caps, duplicates, several recipients", async () => {
    const limits = { ...DEFAULT_MEMORY_MAILBOX_LIMITS, maxEnvelopes: 6, maxChars: 500, maxTotalEnvelopes: 14 };
    await withClient(async (client) => {
      const inRedis = createRedisMailbox(client, limits);
      const inMemory = createMemoryMailbox(Date.now, limits);
      const prng = createPrng(8);
      const addresses = Array.from({ length: 3 }, () => addressOf(generateIdentity().signing.publicKey));
      const sent: Envelope[] = [];
      for (let round = 0; round < 60; round++) {
        const batch = Array.from({ length: 1 + prng.int(MAX_BATCH_ENVELOPES) }, () =>
          sent.length > 0 && prng.float() < 0.2
            ? sent[prng.int(sent.length)]!
            : envelopeTo(addresses[prng.int(addresses.length)]!, 16 + prng.int(120)),
        );
        sent.push(...batch);
        expect(await inRedis.put(batch)).toEqual(await inMemory.put(batch));
        const owner = addresses[prng.int(addresses.length)]!;
        const waiting = await inMemory.list(owner);
        const acked = waiting.filter(() => prng.float() < 0.5).map((envelope) => envelope.id);
        expect((await inRedis.ack(owner, acked)).length).toBe((await inMemory.ack(owner, acked)).length);
        for (const address of addresses) expect(await inRedis.list(address)).toEqual(await inMemory.list(address));
        expect(await inRedis.depth()).toBe(await inMemory.depth());
      }
      // The run reached every answer.
      const answers = new Set<string>();
      for (const address of addresses) {
        const batch = Array.from({ length: 8 }, () => envelopeTo(address, 16));
        for (const result of await inRedis.put([...batch, batch[0]!])) {
          answers.add(result.ok ? result.value : result.error.scope);
        }
      }
      expect([...answers].sort()).toEqual(["address", "duplicate", "relay", "stored"]);
    });
  });

  it("[RS4][LM2] expiry as in memory: an expired copy is no duplicate, and a full relay sweeps before it refuses", async () => {
    const limits = { ...DEFAULT_MEMORY_MAILBOX_LIMITS, ttlMs: 150, maxTotalEnvelopes: 2 };
    await withClient(async (client) => {
      const inRedis = createRedisMailbox(client, limits);
      const inMemory = createMemoryMailbox(Date.now, limits);
      const [bob, carol, dave] = [0, 1, 2].map(() => addressOf(generateIdentity().signing.publicKey));
      const first = [envelopeTo(bob!), envelopeTo(carol!)];
      expect(await inRedis.put(first)).toEqual(await inMemory.put(first));
      // Full: the third is refused by both, as nothing has expired yet.
      const early = [envelopeTo(dave!)];
      const refused = await inRedis.put(early);
      expect(refused).toEqual(await inMemory.put(early));
      expect(refused[0]).toMatchObject({ ok: false, error: { scope: "relay" } });
      // That refusal swept and noted when the next envelope can expire: until then, no sweep before refusing.
      const scans = () => callsOf(client, "scan");
      const scansBefore = await scans();
      expect(await inRedis.put([envelopeTo(dave!)])).toMatchObject([{ ok: false, error: { scope: "relay" } }]);
      expect(await scans()).toBe(scansBefore);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Bob's envelope again, its first copy expired and not trimmed: stored anew, not a duplicate.
      const again = [first[0]!];
      const resent = await inRedis.put(again);
      expect(resent).toEqual(await inMemory.put(again));
      expect(resent[0]).toMatchObject({ ok: true, value: "stored" });
      // Carol's expired envelope filled the relay: swept rather than refusing Dave's.
      const late = [envelopeTo(dave!)];
      const stored = await inRedis.put(late);
      expect(stored).toEqual(await inMemory.put(late));
      expect(stored[0]).toMatchObject({ ok: true, value: "stored" });
      expect(await inRedis.list(carol!)).toEqual([]);
      expect(await inRedis.depth()).toBe(await inMemory.depth());
    });
  });

  it("[RS12] reads entries as outside input: earlier relays' entries are delivered, damaged or misfiled ones skipped", async () => {
    await withClient(async (client) => {
      const mailbox = createRedisMailbox(client, DEFAULT_MEMORY_MAILBOX_LIMITS);
      const bob = addressOf(generateIdentity().signing.publicKey);
      const carol = addressOf(generateIdentity().signing.publicKey);
      // The stored format is the contract here, so the test writes entries as each relay version did.
      const file = async (envelope: Envelope, ...fields: string[]) => {
        const entry = await client.xadd(`parley:mb:${bob}`, "*", "id", envelope.id, "n", envelope.ct.length, ...fields);
        await client.hset(`parley:mbid:${bob}`, envelope.id, `${entry} ${envelope.ct.length}`);
      };
      const [current, earlier, damaged, misfiled, renamed, last] = [bob, bob, bob, carol, bob, bob].map((to) =>
        envelopeTo(to),
      );
      expect(await mailbox.put([current!])).toEqual([{ ok: true, value: "stored" }]);
      await file(earlier!, "v", "1", "ct", earlier!.ct);
      await file(damaged!, "e", JSON.stringify(damaged).slice(0, -1));
      await file(misfiled!, "e", JSON.stringify(misfiled));
      // Indexed under one message id, holding another: an ack of either id could never delete it.
      await file(renamed!, "e", JSON.stringify({ ...renamed!, id: last!.id }));
      expect(await mailbox.put([last!])).toEqual([{ ok: true, value: "stored" }]);
      expect(await mailbox.list(bob)).toEqual([current, earlier, last]);
      // An earlier relay's entry is acked like any other.
      expect(await mailbox.ack(bob, [earlier!.id])).toHaveLength(1);
      expect(await mailbox.list(bob)).toEqual([current, last]);
    });
  });

  it("[RS11] acks of several mailboxes, arriving together, are deleted by one script call with each caller's answer", async () => {
    await withClient(async (client) => {
      const inRedis = createRedisMailbox(client, DEFAULT_MEMORY_MAILBOX_LIMITS);
      const [bob, carol] = [generateIdentity(), generateIdentity()].map((id) => addressOf(id.signing.publicKey));
      const toBob = [envelopeTo(bob!), envelopeTo(bob!), envelopeTo(bob!)];
      const toCarol = [envelopeTo(carol!)];
      await inRedis.put([...toBob, ...toCarol]);
      const scriptCalls = () => callsOf(client, "evalsha");
      const before = await scriptCalls();
      const answers = await Promise.all([
        inRedis.ack(bob!, [toBob[0]!.id, toBob[1]!.id]),
        inRedis.ack(carol!, [toCarol[0]!.id, envelopeTo(carol!).id]),
        // Bob again (another tab): one id already in the first ack, one new.
        inRedis.ack(bob!, [toBob[1]!.id, toBob[2]!.id]),
      ]);
      expect(await scriptCalls()).toBe(before + 1);
      expect(answers.map((storedAt) => storedAt.length)).toEqual([2, 1, 1]);
      for (const storedAt of answers.flat()) expect(Math.abs(storedAt - Date.now())).toBeLessThan(60_000);
      expect(await inRedis.list(bob!)).toEqual([]);
      expect(await inRedis.list(carol!)).toEqual([]);
      expect(await inRedis.depth()).toBe(0);
      // Their keys are gone with their last envelope.
      expect(await client.exists(`parley:mb:${bob}`, `parley:mbid:${bob}`)).toBe(0);
    });
  });

  it("[RS8] a batch partly refused pushes its recipient only the envelopes stored, in one event", async () => {
    const small = await instance({ mailboxLimits: { maxEnvelopes: 2 } });
    const alice = await peer(small.url);
    const bob = await peer(small.url);
    const pushes: unknown[] = [];
    bob.socket.on("envelopes", (envelopes: unknown) => pushes.push(envelopes));
    const batch = [envelopeTo(bob.address), envelopeTo(bob.address), envelopeTo(bob.address)];
    const answer = (await sendBatch(alice.socket, batch)) as { results: { ok: boolean }[] };
    expect(answer.results.map((result) => result.ok)).toEqual([true, true, false]);
    expect([await bob.inbox.next(), await bob.inbox.next()]).toEqual([batch[0], batch[1]]);
    expect(pushes).toEqual([[batch[0], batch[1]]]);

    // Refused in the middle: the script cuts it out of the message and keeps the envelopes on either side.
    const narrow = await instance({ mailboxLimits: { maxChars: 600 } });
    const carol = await peer(narrow.url);
    const dave = await peer(narrow.url);
    const toDave: unknown[] = [];
    dave.socket.on("envelopes", (envelopes: unknown) => toDave.push(envelopes));
    const mixed = [envelopeTo(dave.address, 96), envelopeTo(dave.address, 600), envelopeTo(dave.address, 96)];
    const mixedAnswer = (await sendBatch(carol.socket, mixed)) as { results: { ok: boolean }[] };
    expect(mixedAnswer.results.map((result) => result.ok)).toEqual([true, false, true]);
    expect([await dave.inbox.next(), await dave.inbox.next()]).toEqual([mixed[0], mixed[2]]);
    expect(toDave).toEqual([[mixed[0], mixed[2]]]);
  });

  it("[RS9] pushes only to the instances where the recipient is connected: one sharded channel per address", async () => {
    const [one, two, three] = [await instance(), await instance(), await instance()];
    await withClient(async (client) => {
      const alice = await peer(one.url);
      const identity = generateIdentity();
      const address = addressOf(identity.signing.publicKey);
      const subscribers = () => subscribersOf(client, address);
      expect(await subscribers()).toBe(0);
      // Authenticated means routed: the subscription is in place before the answer (and the mailbox drain).
      const onTwo = await peer(two.url, identity);
      expect(await subscribers()).toBe(1);
      const onThree = await peer(three.url, identity);
      expect(await subscribers()).toBe(2);
      const envelope = envelopeTo(address);
      expect(await send(alice, envelope)).toEqual(stored(envelope));
      expect(await onTwo.inbox.next()).toEqual(envelope);
      expect(await onThree.inbox.next()).toEqual(envelope);
      onTwo.socket.disconnect();
      await until(async () => (await subscribers()) === 1, "instance two unsubscribes");
      const later = envelopeTo(address);
      expect(await send(alice, later)).toEqual(stored(later));
      expect(await onThree.inbox.next()).toEqual(later);
      // Instance one, the sender's, never subscribed to the recipient's channel.
      expect(await subscribers()).toBe(1);
      // A recipient on the sender's own instance gets the push the same way.
      const onOne = await peer(one.url, identity);
      const local = envelopeTo(address);
      expect(await send(alice, local)).toEqual(stored(local));
      // Its drain on authentication races the live push (RL2: twice is allowed, never zero times), so
      // read until all three are in: the earlier envelopes were never acked, so the drain has them.
      const onOneGot = new Map<string, unknown>();
      while (onOneGot.size < 3) {
        const received = await onOne.inbox.next();
        onOneGot.set(received.id, received);
      }
      expect([...onOneGot.keys()].sort()).toEqual([envelope.id, later.id, local.id].sort());
      expect(onOneGot.get(local.id)).toEqual(local);
      expect(await onThree.inbox.next()).toEqual(local);
    });
  });

  it("[RS10] a push published while an instance's subscriptions were away still arrives: its mailboxes are drained again", async () => {
    const [one, two] = [await instance(), await instance()];
    await withClient(async (client) => {
      const alice = await peer(one.url);
      const bob = await peer(two.url);
      const subscribers = () => subscribersOf(client, bob.address);
      expect(await subscribers()).toBe(1);
      // Every subscriber connection drops; the instances reconnect after 200 ms, their sockets stay connected.
      await client.call("CLIENT", "KILL", "TYPE", "pubsub");
      expect(await subscribers()).toBe(0);
      const missed = envelopeTo(bob.address);
      expect(await send(alice, missed)).toEqual(stored(missed));
      expect(await bob.inbox.next()).toEqual(missed);
      expect(bob.socket.connected).toBe(true);
      // Routing is back too: the next envelope comes as a push.
      const next = envelopeTo(bob.address);
      expect(await send(alice, next)).toEqual(stored(next));
      expect(await bob.inbox.next()).toEqual(next);
    });
  });

  it("[RS5] with Redis down: not ready, sends refused as unavailable, nothing crashes; back up: ready and routing", async () => {
    const [one, two] = [await instance(), await instance()];
    const alice = await peer(one.url);
    const bob = await peer(two.url);
    expect(await readyz(one.url)).toBe(200);

    await redis.stop("SIGKILL");
    await until(async () => (await readyz(one.url)) === 503, "readyz reports not ready");
    const refused = await send(alice, envelopeTo(bob.address));
    expect(refused).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect(await fetch(`${one.url}/healthz`).then((r) => r.status)).toBe(200);
    // A client authenticating meanwhile is not left waiting: its room cannot be routed, so it is closed.
    const late = connect(one.url);
    const challenge = await once<Challenge>(late, "challenge");
    const closed = once(late, "disconnect", 5_000);
    late.emit("auth", signChallenge(generateIdentity(), challenge.origin, challenge.nonce));
    await closed;

    await redis.restart();
    await until(async () => (await readyz(one.url)) === 200 && (await readyz(two.url)) === 200, "ready again", 10_000);
    // The adapter subscribed again after the reconnect: a push still crosses instances.
    const envelope = envelopeTo(bob.address);
    await until(async () => ((await send(alice, envelope)) as { ok: boolean }).ok, "a send is stored again");
    expect(await bob.inbox.next()).toEqual(envelope);
  });

  it("[RS6] a Redis restart with persistence loses no acknowledged envelope, and clients recover within 5 s", async () => {
    const one = await instance();
    const alice = await peer(one.url);
    const bob = generateIdentity();
    const before = [];
    for (let i = 0; i < 20; i++) {
      const envelope = envelopeTo(addressOf(bob.signing.publicKey));
      expect(await send(alice, envelope)).toEqual(stored(envelope));
      before.push(envelope.id);
    }
    await redis.stop("SIGKILL");
    const restartedAt = Date.now();
    await redis.restart();
    await until(() => one.relay.ready(), "the instance reconnects to Redis", 5_000);
    expect(Date.now() - restartedAt).toBeLessThan(5_000);
    const back = await peer(one.url, bob);
    const received = [];
    for (let i = 0; i < 20; i++) received.push((await back.inbox.next()).id);
    expect(received).toEqual(before);
  });

  it("[OP2] counts what it does in /metrics: connections, stored, delivered, acked, depth, rejections by reason, latency", async () => {
    const one = await instance();
    const alice = await peer(one.url);
    const bob = await peer(one.url);
    const envelope = envelopeTo(bob.address);
    await send(alice, envelope);
    await bob.inbox.next();
    bob.socket.emit("ack", [envelope.id]);
    alice.socket.emit("nonsense", {});
    await until(async () => (await metrics(one.url)).includes("parley_envelopes_acked_total 1"), "the ack is counted");
    const text = await metrics(one.url);
    expect(text).toContain("parley_connections 2");
    expect(text).toContain("parley_envelopes_stored_total 1");
    expect(text).toContain("parley_envelopes_delivered_total 1");
    expect(text).toContain('parley_rejections_total{reason="unknown-event"} 1');
    expect(text).toMatch(/parley_delivery_latency_seconds_count 1/);
    expect(text).toContain("parley_mailbox_depth 0");
  });
});

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}
