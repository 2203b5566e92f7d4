import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Address } from "../protocol/address";
import { validateEnvelope, type Envelope, type MessageId } from "../protocol/envelope";
import { err, ok, type Result } from "../protocol/result";
import type { Mailbox, MailboxError, MemoryMailboxLimits, PutStatus } from "./mailbox";

/**
 * Mailboxes in Redis, shared by every relay instance. One Stream per address
 * (`parley:mb:<address>`) keeps envelopes in arrival order with the time Redis
 * stored them in each entry id; a Hash beside it (`parley:mbid:<address>`)
 * maps message ids to entries, so duplicates and acks are found in O(1), and
 * holds the mailbox's size in characters; `parley:total` counts everything for
 * the global cap. Every change runs as one Lua script, so it is atomic on the
 * Redis side, and uses Redis's clock, so instances with skewed clocks agree.
 * Keys expire a day after their last write as a safety net; the sweep (every
 * instance, every minute) drops expired entries and keeps the totals right.
 * Needs Redis 7 (exclusive XRANGE bounds) and a single shard (the scripts
 * touch a mailbox's keys and the totals together).
 */

const KEY_PREFIX = "parley:mb:";
const INDEX_PREFIX = "parley:mbid:";
const TOTAL_KEY = "parley:total";
const SAFETY_NET_MS = 24 * 60 * 60 * 1000;

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end
local function forget(stream, idx, total, entry)
  local size = tonumber(field(entry[2], 'n') or '0')
  local mid = field(entry[2], 'id')
  redis.call('XDEL', stream, entry[1])
  if mid then redis.call('HDEL', idx, mid) end
  redis.call('HINCRBY', idx, '#chars', -size)
  redis.call('HINCRBY', total, 'envelopes', -1)
  redis.call('HINCRBY', total, 'chars', -size)
end
local function tidy(stream, idx)
  if redis.call('XLEN', stream) == 0 then redis.call('DEL', stream, idx) end
end
local function trim(stream, idx, total, ttl)
  local cutoff = now_ms() - ttl
  local dropped = 0
  while true do
    local old = redis.call('XRANGE', stream, '-', '(' .. cutoff, 'COUNT', 100)
    if #old == 0 then break end
    for _, entry in ipairs(old) do
      forget(stream, idx, total, entry)
      dropped = dropped + 1
    end
  end
  return dropped
end
`;

/**
 * KEYS: stream, index, total. ARGV: id, v, ct, size, ttl, maxEnvelopes, maxChars, maxTotalEnvelopes,
 * maxTotalChars, safety. Expired entries are trimmed here only when the mailbox looks full (reads and the sweep
 * trim the rest): the common path is a dozen calls fewer per envelope. The index maps a message id to
 * "<entry id> <size>", so an ack needs no read of the stream.
 */
const PUT = `${PRELUDE}
local size = tonumber(ARGV[4])
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'duplicate' end
local function over()
  local count = redis.call('XLEN', KEYS[1])
  local chars = tonumber(redis.call('HGET', KEYS[2], '#chars') or '0')
  return count + 1 > tonumber(ARGV[6]) or chars + size > tonumber(ARGV[7])
end
if over() then
  trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[5]))
  if over() then
    tidy(KEYS[1], KEYS[2])
    return 'full-address'
  end
end
local totals = redis.call('HMGET', KEYS[3], 'envelopes', 'chars')
if tonumber(totals[1] or '0') + 1 > tonumber(ARGV[8]) or tonumber(totals[2] or '0') + size > tonumber(ARGV[9]) then
  tidy(KEYS[1], KEYS[2])
  return 'full-relay'
end
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'v', ARGV[2], 'ct', ARGV[3], 'n', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], entry .. ' ' .. ARGV[4])
redis.call('HINCRBY', KEYS[2], '#chars', size)
redis.call('HINCRBY', KEYS[3], 'envelopes', 1)
redis.call('HINCRBY', KEYS[3], 'chars', size)
local keep = tonumber(ARGV[5]) + tonumber(ARGV[10])
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return 'stored'
`;

/** KEYS: stream, index, total. ARGV: ttl, limit. Returns the live entries, oldest first. */
const LIST = `${PRELUDE}
trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
tidy(KEYS[1], KEYS[2])
return redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[2]))
`;

/** KEYS: stream, index, total. ARGV: message ids. Returns the stream ids of the entries removed. */
const ACK = `${PRELUDE}
local removed = {}
local freed = 0
for _, mid in ipairs(ARGV) do
  local value = redis.call('HGET', KEYS[2], mid)
  if value then
    local id, size = string.match(value, '^(%S+) (%d+)$')
    if id then
      redis.call('XDEL', KEYS[1], id)
      freed = freed + tonumber(size)
      table.insert(removed, id)
    end
    redis.call('HDEL', KEYS[2], mid)
  end
end
if #removed > 0 then
  redis.call('HINCRBY', KEYS[2], '#chars', -freed)
  redis.call('HINCRBY', KEYS[3], 'envelopes', -#removed)
  redis.call('HINCRBY', KEYS[3], 'chars', -freed)
end
tidy(KEYS[1], KEYS[2])
return removed
`;

/** KEYS: stream, index, total. ARGV: ttl. */
const TRIM = `${PRELUDE}
local dropped = trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
tidy(KEYS[1], KEYS[2])
return dropped
`;

type Script = { readonly source: string; readonly sha: string };

const script = (source: string): Script => ({ source, sha: createHash("sha1").update(source).digest("hex") });
const SCRIPTS = { put: script(PUT), list: script(LIST), ack: script(ACK), trim: script(TRIM) };

/** EVALSHA, loading the script on a NOSCRIPT reply (a fresh or restarted Redis). */
async function run(client: Redis, which: Script, keys: readonly string[], args: readonly (string | number)[]) {
  try {
    return await client.evalsha(which.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return client.eval(which.source, keys.length, ...keys, ...args);
  }
}

const keysOf = (address: string) => [KEY_PREFIX + address, INDEX_PREFIX + address, TOTAL_KEY] as const;

/** When Redis stored a stream entry: the milliseconds part of its id. */
function storedAtOf(streamId: unknown): number | undefined {
  if (typeof streamId !== "string") return undefined;
  const ms = Number(streamId.split("-")[0]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** A stream entry read back from Redis, checked like any envelope from outside: storage is a trust boundary. */
function envelopeOf(address: Address, entry: unknown): Envelope | undefined {
  if (!Array.isArray(entry) || !Array.isArray(entry[1])) return undefined;
  const fields = new Map<unknown, unknown>();
  const flat: unknown[] = entry[1];
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i], flat[i + 1]);
  const value = (name: string): unknown => fields.get(name);
  const candidate = { v: Number(value("v")), to: address, id: value("id"), ct: value("ct") };
  const checked = validateEnvelope(candidate);
  return checked.ok ? checked.value : undefined;
}

export function createRedisMailbox(client: Redis, limits: MemoryMailboxLimits): Mailbox {
  const put = async (envelope: Envelope): Promise<Result<PutStatus, MailboxError>> => {
    const answer = await run(client, SCRIPTS.put, keysOf(envelope.to), [
      envelope.id,
      envelope.v,
      envelope.ct,
      envelope.ct.length,
      limits.ttlMs,
      limits.maxEnvelopes,
      limits.maxChars,
      limits.maxTotalEnvelopes,
      limits.maxTotalChars,
      SAFETY_NET_MS,
    ]);
    switch (answer) {
      case "stored":
      case "duplicate":
        return ok(answer);
      case "full-address":
        return err({ code: "mailbox-full", scope: "address" });
      case "full-relay":
        return err({ code: "mailbox-full", scope: "relay" });
      default:
        throw new Error(`redisMailbox.put: unexpected answer from Redis: ${String(answer).slice(0, 40)}`);
    }
  };

  const list = async (address: Address): Promise<readonly Envelope[]> => {
    const entries = await run(client, SCRIPTS.list, keysOf(address), [limits.ttlMs, limits.maxEnvelopes]);
    if (!Array.isArray(entries)) throw new Error("redisMailbox.list: Redis did not answer with entries");
    // A damaged entry is skipped, not delivered; it expires with the mailbox's TTL.
    return entries.flatMap((entry: unknown) => envelopeOf(address, entry) ?? []);
  };

  const ack = async (address: Address, ids: readonly MessageId[]): Promise<readonly number[]> => {
    if (ids.length === 0) return [];
    const removed = await run(client, SCRIPTS.ack, keysOf(address), ids);
    if (!Array.isArray(removed)) throw new Error("redisMailbox.ack: Redis did not answer with ids");
    return removed.flatMap((id: unknown) => storedAtOf(id) ?? []);
  };

  const sweep = async (): Promise<number> => {
    let dropped = 0;
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${KEY_PREFIX}*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        const count = await run(client, SCRIPTS.trim, keysOf(key.slice(KEY_PREFIX.length)), [limits.ttlMs]);
        if (typeof count === "number") dropped += count;
      }
    } while (cursor !== "0");
    return dropped;
  };

  const depth = async (): Promise<number> => {
    const value = Number(await client.hget(TOTAL_KEY, "envelopes"));
    return Number.isFinite(value) && value > 0 ? value : 0;
  };

  return { put, list, ack, sweep, depth, close: () => Promise.resolve() };
}
