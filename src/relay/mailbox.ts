import type { Address } from "../protocol/address";
import type { Envelope, MessageId } from "../protocol/envelope";
import { MAILBOX_TTL_MS, MAX_MAILBOX_CHARS, MAX_MAILBOX_ENVELOPES } from "../protocol/limits";
import { err, ok, type Result } from "../protocol/result";

/**
 * Where envelopes wait until their recipient acks them. Asynchronous so that
 * a Redis-backed store (streams with a TTL) can implement the same interface;
 * the in-memory one below is for a single embedded relay.
 */
export interface Mailbox {
  /**
   * Appends envelopes in order, each to its recipient's mailbox, and answers for each in that order; an id
   * already waiting for its recipient is reported as a duplicate and not stored again. One call per batch, so a
   * remote store pays one round trip for it.
   */
  put(envelopes: readonly Envelope[]): Promise<readonly Result<PutStatus, MailboxError>[]>;
  /**
   * Whether `put` also pushes what it stored (and duplicates) to the recipients' sockets on every instance, in
   * the same round trip (the Redis store in scaled mode); otherwise the relay pushes after `put`.
   */
  readonly pushesOnPut: boolean;
  /** The envelopes waiting for `address`, oldest first. They stay until acked. */
  list(address: Address): Promise<readonly Envelope[]>;
  /** Deletes these ids from `address`'s mailbox only; returns when each one that was there had been stored (ms). */
  ack(address: Address, ids: readonly MessageId[]): Promise<readonly number[]>;
  /** Drops expired envelopes everywhere; returns how many. */
  sweep(): Promise<number>;
  /** Envelopes waiting across all mailboxes (for the depth metric). */
  depth(): Promise<number>;
  close(): Promise<void>;
}

export type PutStatus = "stored" | "duplicate";

export type MailboxError =
  | { readonly code: "mailbox-full"; readonly scope: "address" }
  /** The relay as a whole holds as much as it is allowed to. */
  | { readonly code: "mailbox-full"; readonly scope: "relay" };

export type MemoryMailboxLimits = {
  readonly maxEnvelopes: number;
  readonly maxChars: number;
  readonly ttlMs: number;
  /** Caps across all addresses, so many small mailboxes cannot exhaust the process. */
  readonly maxTotalEnvelopes: number;
  readonly maxTotalChars: number;
};

export const DEFAULT_MEMORY_MAILBOX_LIMITS: MemoryMailboxLimits = {
  maxEnvelopes: MAX_MAILBOX_ENVELOPES,
  maxChars: MAX_MAILBOX_CHARS,
  ttlMs: MAILBOX_TTL_MS,
  maxTotalEnvelopes: 100_000,
  maxTotalChars: 256 * 1024 * 1024,
};

type Entry = { readonly envelope: Envelope; readonly storedAt: number; readonly expiresAt: number };

/** One address's queue. A Map keeps insertion (arrival) order and finds ids in O(1). */
type Box = { readonly entries: Map<MessageId, Entry>; chars: number };

export function createMemoryMailbox(
  now: () => number,
  limits: MemoryMailboxLimits = DEFAULT_MEMORY_MAILBOX_LIMITS,
): Mailbox {
  const boxes = new Map<Address, Box>();
  let totalEnvelopes = 0;
  let totalChars = 0;

  const remove = (address: Address, box: Box, id: MessageId): Entry | undefined => {
    const entry = box.entries.get(id);
    if (entry === undefined) return undefined;
    box.entries.delete(id);
    box.chars -= entry.envelope.ct.length;
    totalEnvelopes -= 1;
    totalChars -= entry.envelope.ct.length;
    if (box.entries.size === 0) boxes.delete(address);
    return entry;
  };

  /** Entries expire in arrival order, so pruning stops at the first live one. */
  const prune = (address: Address, box: Box, at: number): number => {
    let dropped = 0;
    for (const [id, entry] of box.entries) {
      if (entry.expiresAt > at) break;
      remove(address, box, id);
      dropped += 1;
    }
    return dropped;
  };

  const sweepAll = (): number => {
    const at = now();
    let dropped = 0;
    for (const [address, box] of boxes) dropped += prune(address, box, at);
    return dropped;
  };

  const put = (envelope: Envelope): Result<PutStatus, MailboxError> => {
    const at = now();
    const existing = boxes.get(envelope.to);
    if (existing !== undefined) prune(envelope.to, existing, at);
    const box = boxes.get(envelope.to) ?? { entries: new Map<MessageId, Entry>(), chars: 0 };
    if (box.entries.has(envelope.id)) return ok("duplicate");

    const size = envelope.ct.length;
    if (box.entries.size + 1 > limits.maxEnvelopes || box.chars + size > limits.maxChars) {
      return err({ code: "mailbox-full", scope: "address" });
    }
    const overRelayCap = (): boolean =>
      totalEnvelopes + 1 > limits.maxTotalEnvelopes || totalChars + size > limits.maxTotalChars;
    // Expired envelopes elsewhere may be what fills the relay: sweep before refusing.
    if (overRelayCap() && (sweepAll() === 0 || overRelayCap())) return err({ code: "mailbox-full", scope: "relay" });

    box.entries.set(envelope.id, { envelope, storedAt: at, expiresAt: at + limits.ttlMs });
    box.chars += size;
    totalEnvelopes += 1;
    totalChars += size;
    boxes.set(envelope.to, box);
    return ok("stored");
  };

  const list = (address: Address): readonly Envelope[] => {
    const box = boxes.get(address);
    if (box === undefined) return [];
    prune(address, box, now());
    return [...box.entries.values()].map((entry) => entry.envelope);
  };

  const ack = (address: Address, ids: readonly MessageId[]): number[] => {
    const storedAt: number[] = [];
    for (const id of ids) {
      const box = boxes.get(address);
      if (box === undefined) break;
      const removed = remove(address, box, id);
      if (removed !== undefined) storedAt.push(removed.storedAt);
    }
    return storedAt;
  };

  return {
    put: (envelopes) => Promise.resolve(envelopes.map(put)),
    pushesOnPut: false,
    list: (address) => Promise.resolve(list(address)),
    ack: (address, ids) => Promise.resolve(ack(address, ids)),
    sweep: () => Promise.resolve(sweepAll()),
    depth: () => Promise.resolve(totalEnvelopes),
    close: () => {
      boxes.clear();
      totalEnvelopes = 0;
      totalChars = 0;
      return Promise.resolve();
    },
  };
}
