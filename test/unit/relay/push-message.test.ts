import { EventEmitter } from "node:events";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { Server } from "socket.io";
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/protocol/address";
import type { Envelope } from "../../../src/protocol/envelope";
import { PUSH_CHANNEL_PREFIX, pushChannel, pushMessageWithSpans } from "../../../src/relay/push-message";

/** What the sharded adapter needs of an ioredis client, recording what it publishes. */
class RecordingRedis extends EventEmitter {
  readonly published: { channel: string; message: string }[] = [];
  readonly subscribed = new Set<string>();
  ssubscribe(channel: string): Promise<void> {
    this.subscribed.add(channel);
    return Promise.resolve();
  }
  sunsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
    return Promise.resolve();
  }
  spublish(channel: string, message: string): Promise<number> {
    this.published.push({ channel, message });
    return Promise.resolve(1);
  }
}

const address = parseAddress("A".repeat(42) + "E")!;
const envelopes: Envelope[] = [{ v: 1, id: "AAAAAAAAAAAAAAAAAAAAAA", to: address, ct: "Y2lwaGVydGV4dA" } as Envelope];

/** A server with no engine (nothing listens); the adapter keeps no timers, so nothing needs closing. */
function serverOn(redis: RecordingRedis): Server {
  const io = new Server();
  io.adapter(createShardedAdapter(redis, redis, { channelPrefix: PUSH_CHANNEL_PREFIX, subscriptionMode: "dynamic" }));
  return io;
}

describe("the mailbox's push in the sharded adapter's own format", () => {
  it("[RS8][RS9] equals what the adapter publishes for io.to(address).emit('envelopes'), but for its sender id", async () => {
    const redis = new RecordingRedis();
    const io = serverOn(redis);
    io.to(address).emit("envelopes", envelopes);
    await new Promise((resolve) => setImmediate(resolve));
    expect(redis.published).toHaveLength(1);
    const [theirs] = redis.published;
    expect(theirs!.channel).toBe(pushChannel(address));
    const { uid: theirUid, ...their } = JSON.parse(theirs!.message) as { uid: string };
    const { uid: ourUid, ...ours } = JSON.parse(pushMessageWithSpans(address, envelopes).message) as { uid: string };
    expect(ours).toEqual(their);
    // Every adapter drops messages carrying its own id; the mailbox's must never be one.
    expect(ourUid).not.toBe(theirUid);
  });

  it("[RS8] marks where each envelope sits, so the store script can cut out those it refused", () => {
    const three = [envelopes[0]!, { ...envelopes[0]!, id: "BBBBBBBBBBBBBBBBBBBBBB" }, envelopes[0]!] as Envelope[];
    const { message, spans } = pushMessageWithSpans(address, three);
    // Lua's string.sub(message, first, last): 1-based and inclusive.
    const cut = (first: number, last: number) => message.slice(first - 1, last);
    expect(spans.map(({ first, last }) => JSON.parse(cut(first, last)) as unknown)).toEqual(three);
    // Without the second: the head before the first span, the others joined by commas, the tail after the last.
    const head = message.slice(0, spans[0]!.first - 1);
    const tail = message.slice(spans[2]!.last);
    const kept = [spans[0]!, spans[2]!].map(({ first, last }) => cut(first, last)).join(",");
    expect(head + kept + tail).toBe(pushMessageWithSpans(address, [three[0]!, three[2]!]).message);
  });

  it("[RS9] uses the channel the adapter subscribes to when a socket of the address joins", async () => {
    const redis = new RecordingRedis();
    const io = serverOn(redis);
    await io.of("/").adapter.addAll("socket-id-of-20chars", new Set([address]));
    expect(redis.subscribed).toContain(pushChannel(address));
  });
});
