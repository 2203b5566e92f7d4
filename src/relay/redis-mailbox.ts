import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Address } from "../protocol/address";
import { groupByRecipient } from "../protocol/batch";
import { ciphertextChars, validateEnvelope, type Envelope, type MessageId } from "../protocol/envelope";
import { err, ok, type Result } from "../protocol/result";
import type { Mailbox, MailboxError, MemoryMailboxLimits, PutStatus } from "./mailbox";
import { coalesce } from "./coalesce";
import { pushChannel, pushMessageWithSpans, type Span } from "./push-message";

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
 * KEYS: total, then a stream and an index per envelope. ARGV: ttl, maxEnvelopes, maxChars, maxTotalEnvelopes,
 * maxTotalChars, safety, whether to publish ('1' or '0'), the number of push messages, then channel and message
 * per recipient (its envelopes of the batch, see push-message.ts), then id, size, message number (1-based) and
 * the span of its JSON in that message (first and last character) per envelope.
 * Each envelope travels once, inside its recipient's message: an entry holds its JSON (`e`, cut from the
 * message), its message id and its size; entries from before `e` hold `v` and `ct` instead (`envelopeOf` reads
 * both). Answers 'stored', 'duplicate', 'full-address' or 'full-relay' per envelope, in order
 * ('full-relay-expired' when some envelope may have expired since the last sweep, see `sweep`), and publishes
 * each message: as given when none of its envelopes was refused, else cut down to the others (none left: not at
 * all), so only what was stored is pushed, in the same round trip and in order with every other push. (Cutting
 * is the rare path: joining the pieces in Lua on every call cost Redis 4 µs more per envelope, measured.)
 * A batch usually goes to one recipient, so each mailbox's length, size and expiry and the totals are read and
 * written once per batch, not once per envelope; a mailbox's `#chars` and the totals are raised at the end
 * (`added` tracks what this batch put in). Expired entries are trimmed here only when a mailbox looks full or
 * an id sent again was held only by an expired entry (reads and the sweep trim the rest; a relay found full is
 * swept by the caller, see `put`). The index maps a message id to "<entry id> <size>", so an ack needs no
 * read of the stream.
 */
const PUT = `${PRELUDE}
local total = KEYS[1]
local ttl = tonumber(ARGV[1])
local maxEnvelopes, maxChars = tonumber(ARGV[2]), tonumber(ARGV[3])
local maxTotalEnvelopes, maxTotalChars = tonumber(ARGV[4]), tonumber(ARGV[5])
local keep = ttl + tonumber(ARGV[6])
local publish = ARGV[7] == '1'
local messageCount = tonumber(ARGV[8])
local first = 8 + 2 * messageCount
local refused = {}
-- Per message: where its envelope list starts and ends, and the spans of the envelopes kept.
local spans = {}
local function totals()
  local t = redis.call('HMGET', total, 'envelopes', 'chars')
  return tonumber(t[1] or '0'), tonumber(t[2] or '0')
end
local totalEnvelopes, totalChars = totals()
-- Whether some envelope may have expired since the last sweep (which noted when the next one can).
local mayFree = nil
local function expiredMayFree()
  if mayFree == nil then mayFree = now_ms() >= tonumber(redis.call('HGET', total, 'next-expiry') or '0') end
  return mayFree
end
local addedEnvelopes, addedChars = 0, 0
local boxes = {}
local answers = {}
for i = 1, (#KEYS - 1) / 2 do
  local stream, idx = KEYS[2 * i], KEYS[2 * i + 1]
  local at = first + (i - 1) * 5
  local mid, size, m = ARGV[at + 1], tonumber(ARGV[at + 2]), ARGV[at + 3]
  local from, to = tonumber(ARGV[at + 4]), tonumber(ARGV[at + 5])
  local box = boxes[stream]
  if box == nil then
    local chars = tonumber(redis.call('HGET', idx, '#chars') or '0')
    box = { idx = idx, count = redis.call('XLEN', stream), chars = chars, added = 0, stored = 0 }
    boxes[stream] = box
  end
  local function over()
    return box.count + 1 > maxEnvelopes or box.chars + size > maxChars
  end
  local function refresh()
    trim(stream, idx, total, ttl)
    box.count = redis.call('XLEN', stream)
    box.chars = tonumber(redis.call('HGET', idx, '#chars') or '0') + box.added
    totalEnvelopes, totalChars = totals()
  end
  local held = redis.call('HGET', idx, mid)
  -- A copy that expired but was not trimmed yet is no duplicate, as in memory, which prunes before it looks.
  -- (A damaged index value has no time: it stays a duplicate rather than failing the batch.)
  local heldAt = held and tonumber(string.match(held, '^(%d+)-') or '')
  if heldAt and heldAt < now_ms() - ttl then
    refresh()
    held = redis.call('HGET', idx, mid)
  end
  if held then
    answers[i] = 'duplicate'
  else
    if over() then refresh() end
    if over() then
      answers[i] = 'full-address'
      refused[m] = true
    elseif totalEnvelopes + addedEnvelopes + 1 > maxTotalEnvelopes or totalChars + addedChars + size > maxTotalChars then
      answers[i] = expiredMayFree() and 'full-relay-expired' or 'full-relay'
      refused[m] = true
    else
      local json = string.sub(ARGV[8 + 2 * tonumber(m)], from, to)
      local entry = redis.call('XADD', stream, '*', 'id', mid, 'n', size, 'e', json)
      redis.call('HSET', idx, mid, entry .. ' ' .. size)
      box.count = box.count + 1
      box.chars = box.chars + size
      box.added = box.added + size
      box.stored = box.stored + 1
      addedEnvelopes = addedEnvelopes + 1
      addedChars = addedChars + size
      answers[i] = 'stored'
    end
  end
  local span = spans[m]
  if span == nil then
    span = { from = from, kept = {} }
    spans[m] = span
  end
  span.to = to
  if answers[i] == 'stored' or answers[i] == 'duplicate' then table.insert(span.kept, { from, to }) end
end
for stream, box in pairs(boxes) do
  if box.stored > 0 then
    redis.call('HINCRBY', box.idx, '#chars', box.added)
    redis.call('PEXPIRE', stream, keep)
    redis.call('PEXPIRE', box.idx, keep)
  else
    tidy(stream, box.idx)
  end
end
if addedEnvelopes > 0 then
  redis.call('HINCRBY', total, 'envelopes', addedEnvelopes)
  redis.call('HINCRBY', total, 'chars', addedChars)
end
for p = 1, publish and messageCount or 0 do
  local channel, message = ARGV[7 + 2 * p], ARGV[8 + 2 * p]
  local span = spans[tostring(p)]
  if not refused[tostring(p)] then
    redis.call('SPUBLISH', channel, message)
  elseif #span.kept > 0 then
    local pieces = {}
    for _, kept in ipairs(span.kept) do table.insert(pieces, string.sub(message, kept[1], kept[2])) end
    local head, tail = string.sub(message, 1, span.from - 1), string.sub(message, span.to + 1)
    redis.call('SPUBLISH', channel, head .. table.concat(pieces, ',') .. tail)
  end
end
return answers
`;

/** KEYS: stream, index, total. ARGV: ttl, limit. Returns the live entries, oldest first. */
const LIST = `${PRELUDE}
trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
tidy(KEYS[1], KEYS[2])
return redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[2]))
`;

/**
 * KEYS: total, then a stream and an index per mailbox. ARGV: per mailbox, how many message ids, then the ids.
 * Returns, per mailbox, the stream ids of the entries removed. Acks from many sockets run as one call (see
 * `ACK_WINDOW_MS`); a mailbox may appear twice, and its second ids find what the first left.
 */
const ACK = `${PRELUDE}
local results = {}
local at = 1
local removedAll, freedAll = 0, 0
for m = 1, (#KEYS - 1) / 2 do
  local stream, idx = KEYS[2 * m], KEYS[2 * m + 1]
  local count = tonumber(ARGV[at])
  local removed = {}
  local freed = 0
  for k = at + 1, at + count do
    local mid = ARGV[k]
    local value = redis.call('HGET', idx, mid)
    if value then
      local id, size = string.match(value, '^(%S+) (%d+)$')
      if id then
        redis.call('XDEL', stream, id)
        freed = freed + tonumber(size)
        table.insert(removed, id)
      end
      redis.call('HDEL', idx, mid)
    end
  end
  at = at + count + 1
  if #removed > 0 then
    redis.call('HINCRBY', idx, '#chars', -freed)
    removedAll = removedAll + #removed
    freedAll = freedAll + freed
  end
  tidy(stream, idx)
  results[m] = removed
end
if removedAll > 0 then
  redis.call('HINCRBY', KEYS[1], 'envelopes', -removedAll)
  redis.call('HINCRBY', KEYS[1], 'chars', -freedAll)
end
return results
`;

/** KEYS: stream, index, total. ARGV: ttl. */
const TRIM = `${PRELUDE}
local dropped = trim(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
tidy(KEYS[1], KEYS[2])
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #first == 0 then return { dropped, -1 } end
return { dropped, tonumber(string.match(first[1][1], '^(%d+)-')) }
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

/**
 * Acks wait this long for others and are deleted together, in one script call: an ack frees storage and is
 * never awaited by a user, and acks are half of all mailbox calls. An instance that dies meanwhile loses them;
 * the envelopes are delivered again and clients drop them by id (RL3, RL10).
 */
export const ACK_WINDOW_MS = 10;
/** Ids (plus one per mailbox) that make a batch of acks run at once, whatever the window. */
const ACK_BATCH_IDS = 1_024;

type AckRequest = { readonly address: Address; readonly ids: readonly MessageId[] };

const keysOf = (address: string) => [KEY_PREFIX + address, INDEX_PREFIX + address, TOTAL_KEY] as const;

/** When Redis stored a stream entry: the milliseconds part of its id. */
function storedAtOf(streamId: unknown): number | undefined {
  if (typeof streamId !== "string") return undefined;
  const ms = Number(streamId.split("-")[0]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The value `text` holds as JSON, or undefined when it is not JSON (a damaged entry). */
function parsedJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return value;
}

/** A stream entry read back from Redis, checked like any envelope from outside: storage is a trust boundary. */
function envelopeOf(address: Address, entry: unknown): Envelope | undefined {
  if (!Array.isArray(entry) || !Array.isArray(entry[1])) return undefined;
  const fields = new Map<unknown, unknown>();
  const flat: unknown[] = entry[1];
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i], flat[i + 1]);
  const value = (name: string): unknown => fields.get(name);
  const json = value("e");
  const candidate =
    typeof json === "string"
      ? parsedJson(json)
      : // An entry stored before envelopes were kept as JSON.
        { v: Number(value("v")), to: address, id: value("id"), ct: value("ct") };
  const checked = validateEnvelope(candidate);
  // Filed under another address or another message id: damaged, like an entry that does not parse (an ack of
  // its id would find nothing, so it would come again on every connection).
  return checked.ok && checked.value.to === address && checked.value.id === value("id") ? checked.value : undefined;
}

function putResultOf(answer: unknown): Result<PutStatus, MailboxError> {
  switch (answer) {
    case "stored":
    case "duplicate":
      return ok(answer);
    case "full-address":
      return err({ code: "mailbox-full", scope: "address" });
    case "full-relay":
    case "full-relay-expired":
      return err({ code: "mailbox-full", scope: "relay" });
    default:
      throw new Error(`redisMailbox.put: unexpected answer from Redis: ${String(answer).slice(0, 40)}`);
  }
}

/**
 * With `pushes`, each `put` also pushes what it stored (and duplicates) to the recipients' sockets on every
 * instance (see push-message.ts); without it (tests of storage alone) nothing is published.
 */
export function createRedisMailbox(client: Redis, limits: MemoryMailboxLimits, pushes = false): Mailbox {
  /**
   * One script call: stores what fits and publishes each recipient's push. `sweepMayHelp`: the relay was full,
   * and some envelope may have expired since the last sweep.
   */
  const store = async (
    envelopes: readonly Envelope[],
  ): Promise<{ results: Result<PutStatus, MailboxError>[]; sweepMayHelp: boolean }> => {
    // Every envelope goes inside its recipient's push message, published or not: the script stores it from there.
    const groups = groupByRecipient(envelopes);
    const keys: string[] = [TOTAL_KEY];
    const args: (string | number)[] = [
      limits.ttlMs,
      limits.maxEnvelopes,
      limits.maxChars,
      limits.maxTotalEnvelopes,
      limits.maxTotalChars,
      SAFETY_NET_MS,
      pushes ? 1 : 0,
      groups.size,
    ];
    /** Each recipient's message number (1-based) and the spans of its envelopes, in order. */
    const messages = new Map<Address, { readonly number: number; readonly spans: readonly Span[] }>();
    for (const [address, group] of groups) {
      const { message, spans } = pushMessageWithSpans(address, group);
      args.push(pushChannel(address), message);
      messages.set(address, { number: messages.size + 1, spans });
    }
    /** How many of each recipient's envelopes came before: the index of the next one's span. */
    const before = new Map<Address, number>();
    for (const envelope of envelopes) {
      const nth = before.get(envelope.to) ?? 0;
      before.set(envelope.to, nth + 1);
      const { number, spans } = messages.get(envelope.to)!;
      const span = spans[nth]!;
      keys.push(KEY_PREFIX + envelope.to, INDEX_PREFIX + envelope.to);
      args.push(envelope.id, ciphertextChars(envelope), number, span.first, span.last);
    }
    const answers = await run(client, SCRIPTS.put, keys, args);
    if (!Array.isArray(answers) || answers.length !== envelopes.length) {
      throw new Error("redisMailbox.put: Redis did not answer once per envelope");
    }
    return { results: answers.map(putResultOf), sweepMayHelp: answers.includes("full-relay-expired") };
  };

  const put = async (envelopes: readonly Envelope[]): Promise<readonly Result<PutStatus, MailboxError>[]> => {
    if (envelopes.length === 0) return [];
    const { results, sweepMayHelp } = await store(envelopes);
    if (!sweepMayHelp || (await sweepBeforeRefusing()) === 0) return results;
    // Expired envelopes elsewhere were what filled the relay (LM2): what it refused gets a second try.
    const relayFull = results.flatMap((result, i) => (!result.ok && result.error.scope === "relay" ? [i] : []));
    const again = await store(relayFull.map((i) => envelopes[i]!));
    relayFull.forEach((i, k) => (results[i] = again.results[k]!));
    return results;
  };

  const list = async (address: Address): Promise<readonly Envelope[]> => {
    const entries = await run(client, SCRIPTS.list, keysOf(address), [limits.ttlMs, limits.maxEnvelopes]);
    if (!Array.isArray(entries)) throw new Error("redisMailbox.list: Redis did not answer with entries");
    // A damaged entry is skipped, not delivered; it expires with the mailbox's TTL.
    return entries.flatMap((entry: unknown) => envelopeOf(address, entry) ?? []);
  };

  const acks = coalesce<AckRequest, readonly number[]>(
    async (requests) => {
      const keys: string[] = [TOTAL_KEY];
      const args: (string | number)[] = [];
      for (const { address, ids } of requests) {
        keys.push(KEY_PREFIX + address, INDEX_PREFIX + address);
        args.push(ids.length, ...ids);
      }
      const removed = await run(client, SCRIPTS.ack, keys, args);
      if (!Array.isArray(removed)) throw new Error("redisMailbox.ack: Redis did not answer with lists of ids");
      return removed.map((ids: unknown) => {
        if (!Array.isArray(ids)) throw new Error("redisMailbox.ack: Redis did not answer with ids");
        return ids.flatMap((id: unknown) => storedAtOf(id) ?? []);
      });
    },
    { windowMs: ACK_WINDOW_MS, maxWeight: ACK_BATCH_IDS, weightOf: (request) => request.ids.length + 1 },
  );

  const ack = async (address: Address, ids: readonly MessageId[]): Promise<readonly number[]> =>
    ids.length === 0 ? [] : acks.call({ address, ids });

  /**
   * Trims every mailbox, and notes in the totals when the next envelope can expire: the oldest one left, or one
   * stored from the sweep's start on, a TTL later (Redis's clock). Until then a full relay refuses without
   * sweeping again, since nothing can have expired.
   */
  const sweep = async (): Promise<number> => {
    const [seconds, micros] = await client.time();
    let oldest = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    let dropped = 0;
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${KEY_PREFIX}*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        const answer = await run(client, SCRIPTS.trim, keysOf(key.slice(KEY_PREFIX.length)), [limits.ttlMs]);
        const [count, first] = Array.isArray(answer) ? answer : [];
        if (typeof count !== "number" || typeof first !== "number") {
          throw new Error("redisMailbox.sweep: Redis did not answer with a count and a time");
        }
        dropped += count;
        if (first >= 0) oldest = Math.min(oldest, first);
      }
    } while (cursor !== "0");
    await client.hset(TOTAL_KEY, "next-expiry", oldest + limits.ttlMs);
    return dropped;
  };

  let sweeping: Promise<number> | undefined;
  /**
   * The sweep LM2 asks for before a send is refused because the relay is full, when something may have expired:
   * one at a time, shared by the refusals waiting for it. One that fails leaves the refusals as they are.
   */
  const sweepBeforeRefusing = (): Promise<number> => {
    sweeping ??= sweep().finally(() => (sweeping = undefined));
    return sweeping.catch(() => 0);
  };

  const depth = async (): Promise<number> => {
    const value = Number(await client.hget(TOTAL_KEY, "envelopes"));
    return Number.isFinite(value) && value > 0 ? value : 0;
  };

  return { put, pushesOnPut: pushes, list, ack, sweep, depth, close: () => acks.flush() };
}
