import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "../../src/protocol/address";
import { AUTH_CHALLENGE_BYTES, authMessage } from "../../src/protocol/auth";
import { addressOf, generateIdentity, loadCrypto, signEd25519, type IdentityKeyPair } from "../../src/protocol/crypto";
import { decodeBase64Url, encodeBase64Url } from "../../src/protocol/encoding";
import { envelopeRelayError, isMessageId, validateEnvelope, type Envelope } from "../../src/protocol/envelope";
import { RELAY_ERROR_CODES, type RelayErrorCode } from "../../src/protocol/errors";
import { MAX_ACK_IDS, MAX_CIPHERTEXT_CHARS } from "../../src/protocol/limits";
import { envelopeIdOf, parseAckIds, parseAuthResponse } from "../../src/protocol/validate";
import { PROTOCOL_VERSION } from "../../src/protocol/version";
import {
  createMemoryMailbox,
  DEFAULT_MEMORY_MAILBOX_LIMITS,
  type Mailbox,
  type MemoryMailboxLimits,
} from "../../src/relay/mailbox";
import { createRelayMetrics } from "../../src/relay/metrics";
import { createTokenBucket, type RateLimit, type TokenBucket } from "../../src/relay/rate-limit";
import { startSession } from "../../src/relay/session";
import { FakeServer, FakeSocket, fuzzContext } from "./fuzz-socket";
import { bystanders, captureLogger, createPrng, relayHarness, settled } from "./support";

/**
 * Fuzzing the relay's session handlers with fast-check. Most of the events go
 * through `startSession` in-process, over fake sockets (`fuzz-socket.ts`), and
 * are checked event by event against what the contract says each must get;
 * the last test sends a smaller share over real socket.io connections while
 * two well-behaved clients keep exchanging envelopes.
 */

const { relay, peer, client: raw, track } = relayHarness();

const ORIGIN = "https://relay.fuzz.example";
const SLOTS = 4;
/** Identities the fuzzer can authenticate as and send to. */
const IDENTITY_COUNT = 3;
const MESSAGE_IDS = Array.from({ length: 6 }, (_, i) => encodeBase64Url(new Uint8Array(16).fill(i * 37)));

/**
 * What a run may throw at the relay. By default, anything an in-process caller can pass whose reading does not
 * throw: besides all socket.io can deliver, Maps, BigInts, boxed values, null prototypes, inherited fields…
 */
type Threats = {
  /** Only what socket.io can deliver (JSON and binary) in one frame, for the real-socket test. */
  readonly wire?: boolean;
  /** Payloads that throw when read and event names that cannot be made into strings (none comes through socket.io). */
  readonly throwingInput?: boolean;
  /** Replies whose first call throws, as if the acknowledgement could not be sent. */
  readonly throwingReplies?: boolean;
  /** Storage that fails for a while, as Redis does when it goes away; steps turn it off and on. */
  readonly storageFaults?: boolean;
};

const boom = (): never => {
  throw new Error("hostile input");
};

/** Strings too long for any field; the last two are too long for one socket.io frame too. */
const HUGE = [
  "A".repeat(MAX_CIPHERTEXT_CHARS),
  "A".repeat(MAX_CIPHERTEXT_CHARS + 1),
  "x".repeat(80_000),
  "é".repeat(100_000),
];
const DEEP = Array.from({ length: 2_000 }).reduce<unknown>((inner) => [inner], []);
/** `__proto__` as an own key, as JSON.parse makes it. */
const PROTO_KEYED = JSON.parse('{"__proto__":{"v":1,"polluted":true},"v":1}') as unknown;

/** Addresses envelopes go to: the identities' (which the fuzzer authenticates as) and `offline` ones (never). */
type Pools = { readonly addresses: readonly Address[]; readonly offline: readonly Address[] };

function arbitraries(threats: Threats, pools: Pools) {
  const wire = threats.wire === true;
  const b64 = (min: number, max: number) =>
    fc.uint8Array({ minLength: min, maxLength: max }).map((bytes) => encodeBase64Url(bytes));
  const address = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pools.addresses) }, b64(32, 32));
  const messageId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...MESSAGE_IDS) }, b64(16, 16));
  /** Almost base64url of the right size: wrong lengths, padding, the standard alphabet, stray bits, other text. */
  const nearlyBase64 = fc.oneof(
    b64(0, 15),
    b64(17, 31),
    b64(33, 70),
    b64(16, 16).map((text) => `${text}==`),
    b64(32, 32).map((text) => text.slice(1)),
    b64(64, 64).map((text) => text.replace(/[-_]|.$/, "+")),
    b64(16, 16).map((text) => `${text.slice(0, -1)}B`),
    fc.string({ minLength: 22, maxLength: 22, unit: "binary" }),
    fc.string({ minLength: 43, maxLength: 43, unit: "grapheme" }),
    fc.string({ minLength: 86, maxLength: 86 }),
  );
  const huge = fc.constantFrom(...(wire ? HUGE.slice(0, 2) : HUGE));
  const wrongType = fc.oneof(
    fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      -0,
      1.5,
      2,
      PROTOCOL_VERSION + 1,
      Number.MAX_SAFE_INTEGER,
      1e308,
    ),
    fc.constantFrom<unknown>("", "1", [], {}, [[[[]]]], { v: 1 }),
    fc.integer(),
    fc.double(),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    ...(wire ? [] : [fc.constantFrom<unknown>(undefined, Number.NaN, -Infinity, 10n, DEEP, new Date(0), new Map())]),
  );
  const fieldValue = fc.oneof(wrongType, nearlyBase64, huge, fc.string(), fc.jsonValue({ maxDepth: 2 }));
  const key = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("v", "to", "id", "ct", "address", "signature") },
    fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "prototype", ""),
    fc.string({ maxLength: 12 }),
  );
  const mutation = fc.record({ key, op: fc.constantFrom("set", "set", "delete", "prototype"), value: fieldValue });
  /** `base` with fields set (as own keys, even `__proto__`), deleted, or offered through the prototype instead. */
  const mutated = (base: fc.Arbitrary<Record<string, unknown>>) =>
    fc.tuple(base, fc.array(mutation, { maxLength: 3 })).map(([fields, mutations]) => {
      let value: Record<string, unknown> = { ...fields };
      for (const { key: name, op, value: replacement } of mutations) {
        if (op === "delete") Reflect.deleteProperty(value, name);
        else if (op === "set" || wire) {
          Object.defineProperty(value, name, {
            value: replacement,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          // Valid-looking fields that are inherited, not own: validators must not see them.
          const own = { ...value };
          Reflect.deleteProperty(own, name);
          value = Object.setPrototypeOf(own, { ...fields }) as Record<string, unknown>;
        }
      }
      return value;
    });
  const ct = fc.oneof({ weight: 6, arbitrary: b64(1, 160) }, huge, nearlyBase64, fc.constant(""));
  const envelopeLike = mutated(
    fc.record({ v: fc.constant<unknown>(PROTOCOL_VERSION), to: address, id: messageId, ct }),
  );
  const authLike = mutated(
    fc.record({ v: fc.constant<unknown>(PROTOCOL_VERSION), address, signature: fc.oneof(b64(64, 64), nearlyBase64) }),
  );
  const ackLike = fc.oneof(
    { weight: 4, arbitrary: fc.array(messageId, { maxLength: 8 }) },
    fc.array(fc.oneof(messageId, fieldValue), { maxLength: 4 }),
    fc.constantFrom(MESSAGE_IDS.slice(0, 1), Array<string>(MAX_ACK_IDS).fill(MESSAGE_IDS[0]!)),
    fc.constant(Array<string>(MAX_ACK_IDS + 1).fill(MESSAGE_IDS[1]!)),
  );
  const anything = wire
    ? fc.jsonValue({ maxDepth: 3 })
    : fc.anything({
        maxDepth: 3,
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
      });
  const payloads: fc.WeightedArbitrary<unknown>[] = [
    { weight: 6, arbitrary: envelopeLike },
    { weight: 3, arbitrary: authLike },
    { weight: 3, arbitrary: ackLike },
    { weight: 3, arbitrary: anything },
    { weight: 1, arbitrary: fieldValue },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(PROTO_KEYED, ...(wire ? [] : [DEEP])) },
  ];
  if (threats.throwingInput === true) payloads.push({ weight: 3, arbitrary: hostileValue });
  const payload = fc.oneof(...payloads);

  const names: fc.WeightedArbitrary<unknown>[] = [
    { weight: 24, arbitrary: fc.constantFrom("auth", "send", "ack") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ...["envelope", "challenge", "relay:error", "error", "__proto__", "constructor", "toString", "hasOwnProperty"],
        ...["Auth", "SEND", " ack", "ack\u0000", "send\n", "", "a".repeat(64) + "auth"],
      ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 70, unit: wire ? "grapheme" : "binary" }) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: wire })) },
    { weight: 1, arbitrary: fc.string({ minLength: 65, maxLength: 400 }) },
  ];
  if (threats.throwingInput === true) names.push({ weight: 2, arbitrary: hostileName });
  const name = fc.oneof(...names).filter((value) => !wire || !RESERVED_NAMES.has(String(value)));
  return { payload, name };
}

/** socket.io refuses these names at both ends (and the server closes the connection). */
const RESERVED_NAMES = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

type HostileKind =
  | "keys"
  | "get"
  | "descriptor"
  | "getter"
  | "revoked"
  | "array"
  | "null-prototype-name"
  | "throwing-name"
  | "send-name"
  | "symbol-name"
  | "boxed-name";

/**
 * A value that throws when looked at (or an event name that cannot be made into a string, or becomes a real one
 * when it is); none can come through socket.io. Made only when fired: fast-check looks into the values it
 * generates, and would trip over them itself.
 */
class Hostile {
  constructor(readonly kind: HostileKind) {}

  make(): unknown {
    switch (this.kind) {
      case "keys":
        return new Proxy({}, { ownKeys: boom });
      case "get":
        return new Proxy({ v: 1, to: "x", id: MESSAGE_IDS[0], ct: "AAAA" }, { get: boom });
      case "descriptor":
        return new Proxy({ v: 1 }, { getOwnPropertyDescriptor: boom });
      case "getter":
        return Object.defineProperty({}, "v", { get: boom, enumerable: true });
      case "revoked": {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      }
      case "array":
        return Object.defineProperty([MESSAGE_IDS[0]], 0, { get: boom, enumerable: true });
      case "null-prototype-name":
        return Object.create(null);
      case "throwing-name":
        return { toString: boom };
      case "send-name":
        return { toString: () => "send" };
      case "symbol-name":
        return Symbol("auth");
      case "boxed-name":
        return Object("ack");
    }
  }
}

const materialize = (value: unknown): unknown => (value instanceof Hostile ? value.make() : value);

const hostileValue = fc
  .constantFrom<HostileKind>("keys", "get", "descriptor", "getter", "revoked", "array")
  .map((kind) => new Hostile(kind));
const hostileName = fc.oneof(
  fc
    .constantFrom<HostileKind>("null-prototype-name", "throwing-name", "send-name", "symbol-name", "boxed-name")
    .map((kind) => new Hostile(kind)),
  fc.constantFrom<unknown>(null, undefined, 12n, ["auth"]),
);

// What each event should get, worked out before it is fired from the state the session is in.

type ExpectedError = {
  readonly code: RelayErrorCode;
  readonly event?: string;
  readonly id?: string;
  readonly message?: string;
};
type Outcome =
  | { readonly kind: "refused"; readonly error: ExpectedError }
  | { readonly kind: "stored"; readonly envelope: Envelope }
  | { readonly kind: "authed"; readonly address: Address }
  /** A well-formed `ack`: no answer at all. */
  | { readonly kind: "silent" };
type Expected =
  /** The socket is closed: the event has no effect and no answer. */
  | { readonly kind: "ignored" }
  /** The name cannot be made into a string: no callback, the failure is caught and reported as relay:error. */
  | { readonly kind: "unreadable" }
  /** Exactly one of these happens (and `silent` means the callback is never called). */
  | { readonly kind: "handled"; readonly outcomes: readonly Outcome[] };

const refused = (code: RelayErrorCode, event: string, id?: string): Outcome => ({
  kind: "refused",
  error: id === undefined ? { code, event } : { code, event, id },
});

type Session = {
  readonly socket: FakeSocket;
  /** Mirrors the session's token bucket: same limit, same clock, one token per event on an open socket. */
  readonly bucket: TokenBucket;
  readonly nonce: string | undefined;
  nonceSpent: boolean;
  address: Address | undefined;
  /** relay:error events this socket must and may receive, by code. */
  readonly mustEmit: Map<RelayErrorCode, number>;
  readonly mayEmit: Map<RelayErrorCode, number>;
  mustTotal: number;
  mayTotal: number;
};

type Call = { readonly args: readonly unknown[]; readonly pushesBefore: number };
type Fired = {
  readonly what: string;
  readonly expected: Expected;
  readonly callback: Callback;
  readonly calls: Call[];
};
type Callback = "none" | "reply" | "throw";

function predict(session: Session, name: unknown, payloads: readonly unknown[], valid: boolean, faults: boolean) {
  let relayName: string;
  try {
    relayName = String(name).slice(0, 64);
  } catch {
    return { kind: "unreadable" } as const;
  }
  const handled = (...outcomes: Outcome[]): Expected => ({ kind: "handled", outcomes });
  const { socket } = session;
  if (socket.disconnected) return { kind: "ignored" } as const;
  if (!session.bucket.take()) return handled(refused("rate-limited", relayName));
  if (relayName !== "auth" && relayName !== "send" && relayName !== "ack") {
    return handled(refused("unknown-event", relayName));
  }
  const authenticated = socket.rooms.size > 0;
  if (relayName !== "auth" && !authenticated) return handled(refused("unauthenticated", relayName));
  if (payloads.length !== 1) return handled(refused("malformed", relayName));
  const payload = payloads[0];
  const unavailable = faults ? [refused("unavailable", relayName)] : [];
  try {
    if (relayName === "auth") {
      if (authenticated) return handled(refused("already-authenticated", "auth"));
      const fresh = !session.nonceSpent;
      session.nonceSpent = true;
      const parsed = parseAuthResponse(payload);
      if (!parsed.ok) return handled({ kind: "refused", error: parsed.error });
      // Failing storage fails the drain after the answer: the socket is closed (ER4), and without a callback
      // it is told `unavailable`.
      if (fresh && valid) return handled({ kind: "authed", address: parsed.value.address }, ...unavailable);
      return handled(refused("auth-failed", "auth"));
    }
    if (relayName === "send") {
      const checked = validateEnvelope(payload);
      if (!checked.ok)
        return handled({ kind: "refused", error: envelopeRelayError(checked.error, envelopeIdOf(payload)) });
      const { id } = checked.value;
      return handled(
        { kind: "stored", envelope: checked.value },
        refused("rate-limited", "send", id),
        refused("mailbox-full", "send", id),
        ...unavailable,
      );
    }
    const ids = parseAckIds(payload);
    if (!ids.ok) return handled({ kind: "refused", error: ids.error });
    return handled({ kind: "silent" }, ...unavailable);
  } catch {
    // The relay's handler reads the payload the same way, so it throws too: answered `unavailable` (ER4).
    return handled(refused("unavailable", relayName));
  }
}

// Checks on what the relay says.

const RELAY_ERROR_FIELDS = new Set(["code", "message", "event", "id"]);

/** Why `value` is not a RelayError of the closed set, or undefined. */
function relayErrorProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "not an object";
  const fields = value as Record<string, unknown>;
  const extra = Object.keys(fields).find((name) => !RELAY_ERROR_FIELDS.has(name));
  if (extra !== undefined) return `unexpected field ${extra}`;
  if (!RELAY_ERROR_CODES.some((code) => code === fields["code"])) return `unknown code ${String(fields["code"])}`;
  if (typeof fields["message"] !== "string" || fields["message"] === "") return "no message";
  const event = fields["event"];
  if (event !== undefined && (typeof event !== "string" || event.length > 64)) return "bad event";
  if (fields["id"] !== undefined && !isMessageId(fields["id"])) return "bad id";
  return undefined;
}

function keysAre(value: object, keys: string): boolean {
  return Object.keys(value).sort().join() === keys;
}

/** Why `result` (the callback's one argument) matches none of `outcomes`, or undefined. */
function answerProblem(
  result: unknown,
  outcomes: readonly Outcome[],
  pushes: FakeServer["pushes"],
  pushesBefore: number,
) {
  if (typeof result !== "object" || result === null) return `answer is ${typeof result}`;
  const fields = result as Record<string, unknown>;
  if (fields["ok"] === false) {
    if (!keysAre(fields, "error,ok")) return "refusal has other fields";
    const problem = relayErrorProblem(fields["error"]);
    if (problem !== undefined) return `refusal: ${problem}`;
    const error = fields["error"] as Record<string, unknown>;
    const matches = outcomes.some(
      (outcome) =>
        outcome.kind === "refused" &&
        outcome.error.code === error["code"] &&
        outcome.error.event === error["event"] &&
        outcome.error.id === error["id"] &&
        (outcome.error.message === undefined || outcome.error.message === error["message"]),
    );
    return matches ? undefined : `refused ${String(error["code"])} (${String(error["event"])})`;
  }
  for (const outcome of outcomes) {
    if (outcome.kind === "authed" && keysAre(fields, "address,ok") && fields["address"] === outcome.address) {
      return undefined;
    }
    if (outcome.kind === "stored" && keysAre(fields, "id,ok,status") && fields["status"] === "stored") {
      if (fields["id"] !== outcome.envelope.id) return "stored answer for another id";
      // RL1: pushed to the recipient's room before the sender hears "stored"; EN10: exactly the four fields.
      const { v, to, id, ct } = outcome.envelope;
      const pushed = pushes
        .slice(0, pushesBefore)
        .some(
          ({ room, envelope }) =>
            room === to &&
            keysAre(envelope, "ct,id,to,v") &&
            envelope.v === v &&
            envelope.to === to &&
            envelope.id === id &&
            envelope.ct === ct,
        );
      return pushed ? undefined : "stored before it was pushed";
    }
  }
  return "unexpected success";
}

const bump = (counts: Map<RelayErrorCode, number>, code: RelayErrorCode): void => {
  counts.set(code, (counts.get(code) ?? 0) + 1);
};

/** Storage that fails while `failing()` says so, as Redis does when it goes away. */
function flakyMailbox(memory: Mailbox, failing: () => boolean): Mailbox {
  const down = (): Promise<never> => Promise.reject(new Error("storage unavailable"));
  return {
    ...memory,
    put: (envelope) => (failing() ? down() : memory.put(envelope)),
    list: (address) => (failing() ? down() : memory.list(address)),
    ack: (address, ids) => (failing() ? down() : memory.ack(address, ids)),
  };
}

const SMALL_MAILBOXES: MemoryMailboxLimits = {
  maxEnvelopes: 3,
  maxChars: 400,
  ttlMs: 5_000,
  maxTotalEnvelopes: 6,
  maxTotalChars: 1_000,
};

type Config = {
  readonly seed: number;
  readonly autoAuth: readonly boolean[];
  readonly identity: readonly number[];
  readonly rateLimit: RateLimit;
  readonly addressRateLimit: RateLimit;
  readonly mailboxLimits: MemoryMailboxLimits;
  readonly authTimeoutMs: number;
  readonly asyncJoin: boolean;
  /** With storage faults: whether storage is down from the start (steps switch it). */
  readonly storageDown: boolean;
};

const config: fc.Arbitrary<Config> = fc.record({
  seed: fc.integer(),
  // Slots that authenticate as soon as they connect, so `send` and `ack` reach their handlers.
  autoAuth: fc.array(
    fc.nat(3).map((n) => n > 0),
    { minLength: SLOTS, maxLength: SLOTS },
  ),
  identity: fc.array(fc.nat(IDENTITY_COUNT - 1), { minLength: SLOTS, maxLength: SLOTS }),
  rateLimit: fc.oneof(
    { weight: 6, arbitrary: fc.constant({ perSecond: 1_000_000, burst: 1_000_000 }) },
    { weight: 3, arbitrary: fc.constant({ perSecond: 50, burst: 200 }) },
    fc.constant({ perSecond: 2, burst: 5 }),
  ),
  addressRateLimit: fc.constantFrom({ perSecond: 100, burst: 400 }, { perSecond: 1, burst: 2 }),
  mailboxLimits: fc.constantFrom(DEFAULT_MEMORY_MAILBOX_LIMITS, SMALL_MAILBOXES),
  // 0: every socket not yet authenticated is timed out as soon as timers run (AU8).
  authTimeoutMs: fc.oneof({ weight: 4, arbitrary: fc.constant(3_600_000) }, fc.constant(0)),
  asyncJoin: fc.boolean(),
  storageDown: fc.boolean(),
});

type Step =
  | {
      readonly kind: "event";
      readonly slot: number;
      readonly name: number;
      readonly args: readonly number[];
      readonly callback: Callback;
    }
  | {
      readonly kind: "auth";
      readonly slot: number;
      readonly identity: number;
      readonly forge: "none" | "other-nonce" | "other-origin" | "other-key" | "flipped" | "extra-argument";
      readonly callback: Callback;
    }
  | {
      readonly kind: "send";
      readonly slot: number;
      readonly to: number;
      readonly id: number;
      readonly bytes: number;
      readonly callback: Callback;
    }
  | { readonly kind: "ack"; readonly slot: number; readonly ids: readonly number[]; readonly callback: Callback }
  | { readonly kind: "tick"; readonly all: boolean }
  | { readonly kind: "clock"; readonly ms: number }
  | { readonly kind: "reconnect"; readonly slot: number }
  | { readonly kind: "storage"; readonly failing: boolean };

function steps(threats: Threats, pools: Pools) {
  const slot = fc.nat(SLOTS - 1);
  const callback: fc.Arbitrary<Callback> =
    threats.throwingReplies === true ? fc.constantFrom("none", "reply", "throw") : fc.constantFrom("none", "reply");
  const options: fc.WeightedArbitrary<Step>[] = [
    {
      weight: 60,
      arbitrary: fc.record({
        kind: fc.constant("event"),
        slot,
        // Indices into the run's names (the first three are the real ones) and payloads.
        name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 1, 2) }, fc.nat()),
        // Mostly one payload, as the contract wants; sometimes none or several (ER3).
        args: fc.oneof({ weight: 3, arbitrary: fc.nat().map((one) => [one]) }, fc.array(fc.nat(), { maxLength: 4 })),
        callback,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("auth"),
        slot,
        identity: fc.nat(IDENTITY_COUNT - 1),
        forge: fc.constantFrom(
          "none",
          "none",
          "none",
          "other-nonce",
          "other-origin",
          "other-key",
          "flipped",
          "extra-argument",
        ),
        callback,
      }),
    },
    {
      weight: 14,
      arbitrary: fc.record({
        kind: fc.constant("send"),
        slot,
        to: fc.nat(pools.addresses.length - 1),
        id: fc.nat(MESSAGE_IDS.length - 1),
        bytes: fc.integer({ min: 1, max: 120 }),
        callback,
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("ack"),
        slot,
        ids: fc.array(fc.nat(MESSAGE_IDS.length - 1), { maxLength: 4 }),
        callback,
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("tick"), all: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("clock"),
        ms: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1_000, max: 20_000 }), fc.constant(-3_000)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("reconnect"), slot }) },
  ];
  if (threats.storageFaults === true)
    options.push({ weight: 2, arbitrary: fc.record({ kind: fc.constant("storage"), failing: fc.boolean() }) });
  return fc.oneof(...options);
}

/**
 * One run: its settings, the names and payloads its events draw from (generated once per run, which keeps
 * 100,000 events within a few seconds), and the script.
 */
function runs(threats: Threats, pools: Pools, length: { readonly min: number; readonly max: number }) {
  const { payload, name } = arbitraries(threats, pools);
  return fc.record({
    config,
    names: fc.array(name, { maxLength: 12, size: "max" }).map((extra) => ["auth", "send", "ack", ...extra]),
    payloads: fc.array(payload, { minLength: 1, maxLength: 40, size: "max" }),
    script: fc.array(steps(threats, pools), { minLength: length.min, maxLength: length.max, size: "max" }),
  });
}
type Run = ReturnType<typeof runs> extends fc.Arbitrary<infer R> ? R : never;

/** Events fired, and the answers they got by code (`ok` for a success). */
type Totals = { fired: number; answered: Map<string, number> };

/** Runs one script against fresh sessions and returns what is wrong (an empty list when nothing is). */
async function runScript(
  threats: Threats,
  { config: run, names, payloads, script }: Run,
  identities: readonly IdentityKeyPair[],
  pools: Pools,
  metrics: ReturnType<typeof createRelayMetrics>,
  totals: Totals,
): Promise<string[]> {
  const problems: string[] = [];
  // Without replies that throw, every relay:error can be accounted for; and storage that works, and input that
  // can be read, never make a handler fail.
  const countNotices = threats.throwingReplies !== true;
  const noFailures = countNotices && threats.throwingInput !== true && threats.storageFaults !== true;
  let time = 1_700_000_000_000;
  const now = (): number => time;
  const server = new FakeServer();
  const memory = createMemoryMailbox(now, run.mailboxLimits);
  let failing = threats.storageFaults === true && run.storageDown;
  const logs = captureLogger();
  const ctx = fuzzContext({
    server,
    mailbox: threats.storageFaults === true ? flakyMailbox(memory, () => failing) : memory,
    logger: logs.logger,
    metrics,
    now,
    randomBytes: createPrng(run.seed).bytes,
    rateLimit: run.rateLimit,
    addressRateLimit: run.addressRateLimit,
    authTimeoutMs: run.authTimeoutMs,
  });
  const sessions: Session[] = [];
  const fired: Fired[] = [];

  const fire = (
    session: Session,
    what: string,
    name: unknown,
    payloads: unknown[],
    callback: Callback,
    valid = false,
  ) => {
    const expected = predict(session, name, payloads, valid, threats.storageFaults === true);
    const record: Fired = { what, expected, callback, calls: [] };
    const args =
      callback === "none"
        ? payloads
        : [
            ...payloads,
            (...answer: unknown[]) => {
              record.calls.push({ args: answer, pushesBefore: server.pushes.length });
              if (callback === "throw" && record.calls.length === 1) throw new Error("the reply could not be sent");
            },
          ];
    const outcome = session.socket.fire(name, args);
    if (outcome.threw) problems.push(`${what}: onAny threw ${String(outcome.error)}`);
    fired.push(record);
    if (expected.kind === "handled" && expected.outcomes[0]?.kind === "authed")
      session.address = expected.outcomes[0].address;
    if (expected.kind === "unreadable") {
      // Caught in onAny before the callback is known: one relay:error, with or without a callback.
      bump(session.mustEmit, "unavailable");
      bump(session.mayEmit, "unavailable");
      session.mustTotal += 1;
      session.mayTotal += 1;
    }
    if (callback === "none" && expected.kind === "handled") {
      const codes = new Set(expected.outcomes.flatMap((o) => (o.kind === "refused" ? [o.error.code] : [])));
      const only = expected.outcomes.length === 1 ? expected.outcomes[0] : undefined;
      if (only?.kind === "refused" && only.error.code !== "rate-limited") {
        bump(session.mustEmit, only.error.code);
        session.mustTotal += 1;
      }
      for (const code of codes) bump(session.mayEmit, code);
      if (codes.size > 0) session.mayTotal += 1;
    }
  };

  const authenticate = (
    session: Session,
    identity: IdentityKeyPair,
    forge: Extract<Step, { kind: "auth" }>["forge"],
    callback: Callback,
  ) => {
    // Replayed: signed for another connection's challenge (AU7).
    const nonce = forge === "other-nonce" ? sessions.find((other) => other !== session)?.nonce : session.nonce;
    const { socket } = session;
    const checked = !socket.disconnected && socket.rooms.size === 0 && !session.nonceSpent;
    const signer =
      forge === "other-key" ? identities[(identities.indexOf(identity) + 1) % identities.length]! : identity;
    // Signing costs time, so only for a signature that the relay will check.
    const signature =
      checked && nonce !== undefined
        ? signEd25519(
            signer.signing.secretKey,
            authMessage(forge === "other-origin" ? "https://elsewhere.example" : ORIGIN, nonce),
          )
        : new Uint8Array(64);
    if (forge === "flipped") signature[5] = signature[5]! ^ 0x20;
    const response = {
      v: PROTOCOL_VERSION,
      address: addressOf(identity.signing.publicKey),
      signature: encodeBase64Url(signature),
    };
    const payloads = forge === "extra-argument" ? [response, {}] : [response];
    fire(session, `auth(${forge})`, "auth", payloads, callback, forge === "none" && nonce !== undefined);
  };

  const open = (slot: number): Session => {
    const socket = new FakeSocket(`fuzz-${sessions.length}`, server, run.asyncJoin);
    const bucket = createTokenBucket(run.rateLimit, now);
    startSession(ctx, socket.asRelaySocket(), ORIGIN);
    const first = socket.emitted[0];
    const challenge = first?.event === "challenge" ? (first.args[0] as Record<string, unknown>) : undefined;
    const nonce = typeof challenge?.["nonce"] === "string" ? challenge["nonce"] : undefined;
    // AU3: one challenge, first, with a fresh 32-byte nonce and the relay's origin.
    if (
      challenge === undefined ||
      socket.emitted.length !== 1 ||
      !keysAre(challenge, "nonce,origin,v") ||
      challenge["v"] !== PROTOCOL_VERSION ||
      challenge["origin"] !== ORIGIN ||
      nonce === undefined ||
      decodeBase64Url(nonce)?.length !== AUTH_CHALLENGE_BYTES ||
      sessions.some((other) => other.nonce === nonce)
    ) {
      problems.push(`bad challenge: ${JSON.stringify(socket.emitted)}`);
    }
    const session: Session = {
      socket,
      bucket,
      nonce,
      nonceSpent: false,
      address: undefined,
      mustEmit: new Map(),
      mayEmit: new Map(),
      mustTotal: 0,
      mayTotal: 0,
    };
    sessions.push(session);
    if (run.autoAuth[slot] === true) authenticate(session, identities[run.identity[slot]!]!, "none", "reply");
    return session;
  };

  const slots = Array.from({ length: SLOTS }, (_, slot) => open(slot));

  for (const step of script) {
    switch (step.kind) {
      case "event": {
        const name = materialize(names[step.name % names.length]);
        const args = step.args.map((i) => materialize(payloads[i % payloads.length]));
        fire(slots[step.slot]!, "event", name, args, step.callback);
        break;
      }
      case "auth":
        authenticate(slots[step.slot]!, identities[step.identity]!, step.forge, step.callback);
        break;
      case "send": {
        const envelope = {
          v: PROTOCOL_VERSION,
          to: pools.addresses[step.to]!,
          id: MESSAGE_IDS[step.id]!,
          ct: encodeBase64Url(new Uint8Array(step.bytes).fill(step.bytes)),
        };
        fire(slots[step.slot]!, "send", "send", [envelope], step.callback);
        break;
      }
      case "ack":
        fire(slots[step.slot]!, "ack", "ack", [step.ids.map((i) => MESSAGE_IDS[i]!)], step.callback);
        break;
      case "tick":
        // Lets handlers waiting on the mailbox or a join take one step between events, or all of them finish.
        if (step.all) await Promise.allSettled([...ctx.inFlight]);
        else await Promise.resolve();
        break;
      case "clock":
        time += step.ms;
        break;
      case "reconnect":
        slots[step.slot]!.socket.hangUp();
        slots[step.slot] = open(step.slot);
        break;
      case "storage":
        failing = step.failing;
        break;
    }
  }

  // Everything started has finished, a rejection nobody handled has been reported, an auth timeout of 0 has fired.
  while (ctx.inFlight.size > 0) await Promise.allSettled([...ctx.inFlight]);
  await new Promise((resolve) => (run.authTimeoutMs === 0 ? setTimeout(resolve, 1) : setImmediate(resolve)));
  failing = false;

  for (const session of sessions) {
    totals.fired += session.socket.fired;
    const emitted = session.socket.emitted;
    for (const { event, args } of emitted.slice(1)) {
      if (event === "relay:error") {
        const problem = args.length === 1 ? relayErrorProblem(args[0]) : "not one argument";
        if (problem !== undefined) problems.push(`relay:error ${problem}: ${JSON.stringify(args)}`);
      } else if (event === "envelope") {
        const envelope = args[0];
        const checked = validateEnvelope(envelope);
        if (args.length !== 1 || !checked.ok || !keysAre(checked.value, "ct,id,to,v"))
          problems.push("bad envelope pushed");
        else if (checked.value.to !== session.address) problems.push("envelope pushed to a socket of another address");
      } else {
        problems.push(`unexpected ${event} emitted`);
      }
    }
    if (run.authTimeoutMs === 0 && session.address === undefined) {
      // AU8: timed out, so closed; allowed one unauthenticated notice.
      if (!session.socket.disconnected) problems.push("unauthenticated socket outlived a 0 ms auth timeout");
      bump(session.mayEmit, "unauthenticated");
      session.mayTotal += 1;
    }
    if (countNotices) {
      const codes = emitted.flatMap(({ event, args }) => {
        const code = event === "relay:error" ? (args[0] as Record<string, unknown>)["code"] : undefined;
        return RELAY_ERROR_CODES.filter((known) => known === code);
      });
      const count = (code: RelayErrorCode): number => codes.filter((c) => c === code).length;
      // ER1: every refusal of an event without a callback is one relay:error (LM3 may drop rate-limit notices).
      if (codes.length < session.mustTotal || codes.length > session.mayTotal) {
        problems.push(`${codes.length} relay:error events, expected ${session.mustTotal}..${session.mayTotal}`);
      }
      for (const code of RELAY_ERROR_CODES) {
        if (count(code) < (session.mustEmit.get(code) ?? 0) || count(code) > (session.mayEmit.get(code) ?? 0)) {
          problems.push(
            `${count(code)} relay:error ${code}, expected ${session.mustEmit.get(code) ?? 0}..${session.mayEmit.get(code) ?? 0}`,
          );
        }
      }
    }
  }

  for (const { what, expected, calls, callback } of fired) {
    const label = `${what} (${expected.kind})`;
    if (callback === "none") continue;
    if (expected.kind !== "handled") {
      if (calls.length > 0) problems.push(`${label}: callback called ${calls.length} times, expected never`);
      continue;
    }
    const silent = expected.outcomes.some((outcome) => outcome.kind === "silent");
    if (calls.length > 1 || (calls.length === 0 && !silent)) {
      problems.push(`${label}: callback called ${calls.length} times: ${JSON.stringify(calls.map((c) => c.args))}`);
    }
    for (const call of calls) {
      const problem =
        call.args.length === 1
          ? answerProblem(call.args[0], expected.outcomes, server.pushes, call.pushesBefore)
          : "not one argument";
      if (problem !== undefined) {
        problems.push(
          `${label}: ${problem}; expected ${JSON.stringify(expected.outcomes)}, got ${JSON.stringify(call.args)}`,
        );
      }
      const result = call.args[0] as { ok?: unknown; error?: { code?: unknown } } | undefined;
      const key = result?.ok === true ? "ok" : String(result?.error?.code);
      totals.answered.set(key, (totals.answered.get(key) ?? 0) + 1);
    }
  }

  if (ctx.inFlight.rejections.length > 0) {
    problems.push(`a handler rejected past the session's catch: ${String(ctx.inFlight.rejections[0])}`);
  }

  // Whatever happened, closing every socket leaves nothing behind: no room, no address bucket, no handler.
  for (const session of sessions) session.socket.hangUp();
  if (server.roomIds.size > 0) problems.push(`rooms left after every socket closed: ${server.roomIds.size}`);
  if (ctx.addressLimiter.size() > 0) problems.push(`address buckets left: ${ctx.addressLimiter.size()}`);
  if (sessions.some((session) => session.socket.joinedAfterClose)) problems.push("a closed socket joined a room");

  // The mailbox is consistent: what it lists per address adds up to its depth, and holds each envelope once, in
  // the mailbox it was sent (and pushed) to. Nobody authenticates as the offline addresses, so nothing acks what
  // was sent to them: with a TTL longer than any run, all of it is still there (RL1, RL5).
  const pushed = new Set(server.pushes.map(({ room, envelope }) => JSON.stringify([room, envelope])));
  const addresses = new Set<Address>([...pools.addresses, ...server.pushes.map((push) => push.envelope.to)]);
  let listed = 0;
  for (const address of addresses) {
    const waiting = await memory.list(address);
    listed += waiting.length;
    if (waiting.some((envelope) => !pushed.has(JSON.stringify([address, envelope])))) {
      problems.push("the mailbox holds an envelope that was not sent to that address");
    }
    if (new Set(waiting.map((envelope) => envelope.id)).size !== waiting.length) problems.push("an id is stored twice");
    if (pools.offline.includes(address) && run.mailboxLimits.ttlMs > 1e9) {
      const ids = new Set(waiting.map((envelope) => envelope.id));
      if (server.pushes.some(({ room, envelope }) => room === address && !ids.has(envelope.id))) {
        problems.push("an envelope stored for an offline address is gone");
      }
    }
  }
  const depth = await memory.depth();
  if (depth !== listed) problems.push(`mailbox depth ${depth}, but ${listed} envelopes listed`);

  // ER5 and ER4: no client-chosen name or whole address in the logs, and no handler failure from a valid socket.io input.
  for (const line of logs.lines) {
    const name = line.fields["name"];
    if (name !== undefined && !["auth", "send", "ack", "other"].includes(String(name)))
      problems.push(`logged name ${String(name)}`);
    const long = Object.values(line.fields).filter((value) => typeof value === "string" && value.length >= 43);
    if (long.some((value) => pools.addresses.some((address) => String(value).includes(address)))) {
      problems.push("a whole address was logged");
    }
    if (noFailures && /failed/.test(String(line.fields["event"])))
      problems.push(`logged ${String(line.fields["event"])}: ${JSON.stringify(line.fields)}`);
  }
  return problems;
}

describe("relay fuzzing", () => {
  let identities: IdentityKeyPair[] = [];
  let pools: Pools = { addresses: [], offline: [] };
  let metrics: ReturnType<typeof createRelayMetrics> | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    await loadCrypto();
    identities = Array.from({ length: IDENTITY_COUNT }, () => generateIdentity());
    // Two addresses nobody connects as: their envelopes wait in the mailbox.
    const offline = [generateIdentity(), generateIdentity()].map((identity) => addressOf(identity.signing.publicKey));
    pools = {
      addresses: [...identities.map((identity) => addressOf(identity.signing.publicKey)), ...offline],
      offline,
    };
    metrics = createRelayMetrics(() => Promise.resolve(0));
    process.on("unhandledRejection", onUnhandled);
  });

  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  /**
   * Runs scripts until `events` events have been fired, 50 per fast-check round; a failing round reports its seed
   * and the shrunk run (unless `shrink` is false: a known failure need not be shrunk on every test run).
   */
  async function fuzz(threats: Threats, events: number, shrink = true): Promise<Totals> {
    const totals: Totals = { fired: 0, answered: new Map() };
    const property = fc.asyncProperty(runs(threats, pools, { min: 1, max: 800 }), async (run) => {
      const before = unhandled.length;
      const problems = await runScript(threats, run, identities, pools, metrics!, totals);
      if (unhandled.length > before) problems.push(`unhandled rejection: ${String(unhandled[before])}`);
      if (problems.length > 0) throw new Error(problems.slice(0, 5).join("\n"));
    });
    const cpu = process.cpuUsage();
    while (totals.fired < events) await fc.assert(property, { numRuns: 50, endOnFailure: !shrink });
    // FUZZ_STATS=1 shows what the fuzzer reached and what it cost, for tuning; silent otherwise.
    if (process.env["FUZZ_STATS"] !== undefined) {
      const { user, system } = process.cpuUsage(cpu);
      const answered = Object.fromEntries(totals.answered);
      console.log(
        JSON.stringify({ threats, events: totals.fired, cpuMs: Math.round((user + system) / 1000), answered }),
      );
    }
    return totals;
  }

  it("[ER6] 100,000 random and malformed events: nothing escapes, each is answered as the contract says", async () => {
    const totals = await fuzz({}, 100_000);
    expect(totals.fired).toBeGreaterThanOrEqual(100_000);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("[ER4] payloads that throw when read and names that cannot be read are answered unavailable", async () => {
    const totals = await fuzz({ throwingInput: true }, 15_000);
    expect(totals.fired).toBeGreaterThanOrEqual(15_000);
  });

  // Found by this fuzzer: onAuth answered `{ ok: true }`, then a failing mailbox drain made `run` answer the same
  // callback again with `unavailable` (and count a refusal for an accepted auth).
  it("[ER4] storage that fails for a while: each event is still answered at most once", async () => {
    await fuzz({ storageFaults: true }, 15_000);
  });

  // Found by this fuzzer: a reply that threw inside an async handler was called again by `run`'s catch, and had it
  // thrown again, `run`'s promise would have rejected with nobody listening (fatal by default in Node).
  it("[ER4] a reply that throws is not called again and leaves no rejection behind", async () => {
    await fuzz({ throwingReplies: true }, 15_000);
  });

  it("[ER4] a socket firing thousands of random events over socket.io does not disturb two other clients", async () => {
    const { url, logs, relay: running } = await relay({ rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } });
    const received = new Map<string, number>();
    running.io.on("connection", (socket) =>
      socket.onAny(() => received.set(socket.id, (received.get(socket.id) ?? 0) + 1)),
    );
    const others = await bystanders(url, track);
    const fuzzer = await peer(url);
    const { payload, name } = arbitraries({ wire: true }, { addresses: [fuzzer.address], offline: [] });
    const event = fc
      .record({
        name: name.map(String),
        args: fc.oneof({ weight: 3, arbitrary: payload.map((one) => [one]) }, fc.array(payload, { maxLength: 3 })),
        callback: fc.boolean(),
      })
      // A frame over MAX_FRAME_BYTES closes the connection (LM5, tested in relay-limits): keep the fuzzer's open.
      .filter(({ args }) => JSON.stringify(args).length < 60_000);
    const batches = 6;
    const events = fc.sample(event, 3_000);
    let sent = 0;
    for (let batch = 0; batch < batches; batch++) {
      const chunk = events.slice((batch * events.length) / batches, ((batch + 1) * events.length) / batches);
      // A fresh unauthenticated socket gets the first few of each batch, until an `auth` closes it.
      const stranger = raw(url);
      for (const [i, { name: eventName, args, callback }] of chunk.entries()) {
        const target = i < 40 ? stranger : fuzzer.socket;
        if (target === fuzzer.socket) sent += 1;
        if (callback) target.emit(eventName, ...args, () => undefined);
        else target.emit(eventName, ...args);
      }
      // The other two exchange while the fuzzer's events are still being handled.
      await others.stillExchange();
      await settled(fuzzer.socket);
    }
    await others.stillExchange();
    expect(fuzzer.socket.connected).toBe(true);
    // Every event reached the relay (its `auth`, the fuzz, one probe per batch), and none made a handler fail.
    expect(received.get(fuzzer.socket.id ?? "")).toBe(1 + sent + batches);
    expect(sent).toBeGreaterThan(2_500);
    expect(logs.lines.filter((line) => /failed/.test(String(line.fields["event"])))).toEqual([]);
  });
});
