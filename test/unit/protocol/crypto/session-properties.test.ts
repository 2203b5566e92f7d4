import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  endSession,
  initialPrekeyId,
  isFromEndedSessions,
  loadCrypto,
  MAX_RETIRED_HEADER_KEYS,
  openInitialMessage,
  openSessionMessage,
  type RatchetState,
  type SessionError,
} from "../../../../src/protocol/crypto";
import { bytesToHex, createPrng } from "../support";
import { forgeMessage, seal, startSession, type Pair } from "./session-support";

/**
 * Conversations as a relay may deliver them — reordered, lost, duplicated —
 * and inputs no honest peer sends. Every run draws its randomness (keys,
 * nonces, delivery order) from a seed fast-check chooses, so a failure
 * reports a seed and a script that replay exactly.
 */

beforeAll(async () => {
  await loadCrypto();
});

type Side = "alice" | "bob";
type Message = {
  readonly id: number;
  readonly to: Side;
  readonly sealed: Uint8Array;
  readonly plaintext: Uint8Array;
  /** The sender's ratchet public key: which of its chains the message is in. */
  readonly chain: string;
  delivered: boolean;
};

/** One receiver's view, kept by the test to predict what the ratchet must say. */
type Party = { state: RatchetState; chainsSeen: string[] };

const step = fc.oneof(
  fc.record({
    kind: fc.constant("send" as const),
    from: fc.constantFrom<Side>("alice", "bob"),
    // A late duplicate comes back only after everything else: usually from a long-retired chain.
    fate: fc.constantFrom("deliver", "deliver", "deliver", "drop", "duplicate", "late-duplicate"),
    size: fc.nat({ max: 600 }),
  }),
  fc.record({ kind: fc.constant("deliver" as const), to: fc.constantFrom<Side>("alice", "bob"), pick: fc.nat() }),
);

describe("random conversations", () => {
  it("[DR7] [DR10] [SE2] every message delivered decrypts once, in any order; duplicates are replays; losses harm nothing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(step, { minLength: 10, maxLength: 80, size: "max" }),
        (seed, script) => {
          const pair: Pair = startSession(seed);
          const randomBytes = pair.randomBytes;
          const prng = createPrng(seed ^ 0x5eed);
          const parties: Record<Side, Party> = {
            alice: { state: pair.a, chainsSeen: [] },
            bob: { state: pair.b, chainsSeen: [bytesToHex(pair.a.sendingKeyPair.publicKey)] },
          };
          const sent: Message[] = [];
          // What the relay still holds, per recipient: a duplicate is the same message in the queue twice.
          const inFlight: Record<Side, Message[]> = { alice: [], bob: [] };
          const late: Message[] = [];

          const deliver = (message: Message) => {
            const receiver = parties[message.to];
            const result = openSessionMessage({
              sealed: message.sealed,
              sessions: [{ key: message.to, state: receiver.state }],
              randomBytes,
            });
            if (!message.delivered) {
              if (!result.ok) throw new Error(`message ${message.id} to ${message.to}: ${result.error.code}`);
              expect(bytesToHex(result.value.plaintext)).toBe(bytesToHex(message.plaintext));
              receiver.state = result.value.state;
              message.delivered = true;
              if (!receiver.chainsSeen.includes(message.chain)) receiver.chainsSeen.push(message.chain);
              return;
            }
            // A duplicate: the receiver knows the chain while its header key is current or among the last
            // MAX_RETIRED_HEADER_KEYS retired ones, or while a key of that chain is still stored (a message
            // of it not yet delivered); past that the chain is forgotten and the message is nobody's.
            const age = receiver.chainsSeen.length - 1 - receiver.chainsSeen.indexOf(message.chain);
            const waiting = sent.some((m) => m.chain === message.chain && m.to === message.to && !m.delivered);
            const expected: SessionError =
              age <= MAX_RETIRED_HEADER_KEYS || waiting ? { code: "replay" } : { code: "no-session" };
            expect(result).toEqual({ ok: false, error: expected });
          };

          for (const action of script) {
            if (action.kind === "send") {
              const from = parties[action.from];
              const to: Side = action.from === "alice" ? "bob" : "alice";
              const plaintext = randomBytes(action.size);
              const chain = bytesToHex(from.state.sendingKeyPair.publicKey);
              const { state, sealed } = seal(from.state, plaintext, randomBytes);
              from.state = state;
              const message: Message = { id: sent.length, to, sealed, plaintext, chain, delivered: false };
              sent.push(message);
              if (action.fate !== "drop") inFlight[to].push(message);
              if (action.fate === "duplicate") inFlight[to].push(message);
              if (action.fate === "late-duplicate") late.push(message);
            } else {
              const queue = inFlight[action.to];
              if (queue.length === 0) continue;
              const [message] = queue.splice(action.pick % queue.length, 1);
              deliver(message!);
            }
          }
          // The relay hands over whatever it still holds, in an order of its own.
          const shuffled = (messages: Message[]) =>
            messages
              .map((m) => ({ m, k: prng.float() }))
              .sort((x, y) => x.k - y.k)
              .map(({ m }) => m);
          for (const m of shuffled([...inFlight.alice, ...inFlight.bob])) deliver(m);
          for (const m of shuffled(late)) deliver(m);

          // Lost messages leave the session working: one more exchange each way.
          const last = seal(parties.alice.state, "still here?", randomBytes);
          const answer = openSessionMessage({
            sealed: last.sealed,
            sessions: [{ key: 0, state: parties.bob.state }],
            randomBytes,
          });
          expect(answer.ok).toBe(true);
          if (answer.ok) {
            const back = seal(answer.value.state, "yes", randomBytes);
            const opened = openSessionMessage({
              sealed: back.sealed,
              sessions: [{ key: 0, state: last.state }],
              randomBytes,
            });
            expect(opened.ok).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("hostile input", () => {
  const codes = new Set([
    "malformed",
    "unsupported-scheme",
    "unknown-prekey",
    "bad-identity",
    "no-session",
    "bad-padding",
    "replay",
    "too-many-skipped",
    "bad-ratchet-key",
    "decrypt-failed",
  ]);
  let fixture: ReturnType<typeof makeFixture>;

  function makeFixture() {
    const pair = startSession(7);
    const later = seal(pair.a, "a genuine message", pair.randomBytes);
    return { ...pair, later: later.sealed, ended: endSession(pair.b) };
  }

  beforeAll(() => {
    fixture = makeFixture();
  });

  /** Runs every opener on `input`; each must answer with a typed error (or, for an unchanged message, its plaintext). */
  function openEverything(input: Uint8Array): { session: boolean; initial: boolean } {
    const { b, bob, prekeys, randomBytes, ended } = fixture;
    const session = openSessionMessage({ sealed: input, sessions: [{ key: 0, state: b }], randomBytes });
    const initial = openInitialMessage({ ours: bob, sealed: input, prekeys, randomBytes });
    for (const result of [session, initial]) if (!result.ok) expect(codes.has(result.error.code)).toBe(true);
    isFromEndedSessions(input, [ended]);
    initialPrekeyId(input);
    return { session: session.ok, initial: initial.ok };
  }

  it("[SE10] no opener throws on arbitrary bytes, with or without a scheme byte of ours", () => {
    fc.assert(
      fc.property(fc.constantFrom(undefined, 0x02, 0x03), fc.uint8Array({ maxLength: 700 }), (scheme, bytes) => {
        const input = scheme === undefined ? bytes : Uint8Array.of(scheme, ...bytes);
        expect(openEverything(input)).toEqual({ session: false, initial: false });
      }),
      { numRuns: 300 },
    );
  });

  it("[SE10] no opener throws on genuine messages cut, extended or changed at random", () => {
    const mutation = fc.record({
      which: fc.constantFrom("first", "later"),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      tail: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(mutation, ({ which, edits, cut, tail }) => {
        const original = which === "first" ? fixture.first : fixture.later;
        let input = original.slice();
        for (const { at, value } of edits) input[at % input.length] = value;
        if (cut !== null) input = input.subarray(0, cut % (input.length + 1));
        input = Uint8Array.of(...input, ...tail);
        const opened = openEverything(input);
        // Only the unchanged message opens, and only with the opener of its scheme.
        const unchanged = bytesToHex(input) === bytesToHex(original);
        expect(opened).toEqual({ session: unchanged && which === "later", initial: unchanged && which === "first" });
      }),
      { numRuns: 300 },
    );
  });

  it("[SE10] a peer holding the header keys cannot make the ratchet throw, whatever it puts in a header", () => {
    const { b, randomBytes } = fixture;
    const keys = [b.receivingHeaderKey!, b.nextReceivingHeaderKey];
    fc.assert(
      fc.property(
        fc.nat({ max: 1 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.oneof(fc.constantFrom(0, 1, 999, 1_000, 1_001, 0xffff_ffff), fc.nat()),
        fc.oneof(fc.constantFrom(0, 1, 1_000, 1_001, 0xffff_ffff), fc.nat()),
        fc.nat({ max: 300 }),
        (which, ratchetKey, pn, n, bodyLength) => {
          const header = new Uint8Array(40);
          header.set(ratchetKey);
          new DataView(header.buffer).setUint32(32, pn);
          new DataView(header.buffer).setUint32(36, n);
          const forged = forgeMessage(keys[which]!, header, b.ad, randomBytes, bodyLength);
          const result = openSessionMessage({ sealed: forged, sessions: [{ key: 0, state: b }], randomBytes });
          expect(result.ok).toBe(false);
          if (!result.ok) expect(codes.has(result.error.code)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
    // Headers of another length under a genuine key are no header at all.
    for (const length of [0, 39, 41]) {
      const forged = forgeMessage(keys[0]!, new Uint8Array(length), b.ad, randomBytes);
      expect(openSessionMessage({ sealed: forged, sessions: [{ key: 0, state: b }], randomBytes }).ok).toBe(false);
    }
  });

  it("[SE10] a stranger's session is never confused with ours, whatever the seeds", () => {
    fc.assert(
      // Seeds other than the fixture's 7: each makes two other people and their session.
      fc.property(fc.integer({ min: 1_000, max: 2 ** 31 - 1 }), (seed) => {
        const stranger = startSession(seed);
        const { sealed } = seal(stranger.a, "not for you", stranger.randomBytes);
        expect(openEverything(sealed)).toEqual({ session: false, initial: false });
      }),
      { numRuns: 30 },
    );
  });
});
