import { packBatches } from "../../protocol/batch";
import { ciphertextChars, type Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";

/**
 * Envelopes waiting for the relay's "stored". Each is sent again, with the
 * same id and bytes, until the relay stores it or refuses it for good: after
 * a timeout, a transient refusal, or a reconnect. The relay stores an id once,
 * so repeats are harmless. Envelopes that become due in the same turn leave
 * together, packed into as few `send` batches as the limits allow. In memory
 * only; the app keeps its own durable outbox.
 */
export type Outbox = {
  /** Resolves once the relay stored or finally refused the envelope; the same id twice shares one promise. */
  add(envelope: Envelope): Promise<SendResult>;
  /** Sends whatever is not in flight; called whenever the client becomes authenticated. */
  flush(): void;
  /** The connection is gone: answers still in flight will never come. */
  disconnected(): void;
  /** Settles every pending send with `result` and forgets them. */
  settleAll(result: SendResult): void;
};

/** What became of one envelope's attempt: a final answer, or a reason to try again later. */
export type Attempt = { readonly final: SendResult } | { readonly retry: true };

export type OutboxDeps = {
  /**
   * Emits one batch; `done` is called at most once, on answer, timeout or disconnect, with one attempt per
   * envelope in the batch's order.
   */
  transmit(envelopes: readonly Envelope[], done: (attempts: readonly Attempt[]) => void): void;
  canSend(): boolean;
  /** Delay before the n-th retry (n ≥ 1) after a transient refusal or a timeout. */
  retryDelayMs(n: number): number;
  /** Runs `send` once the current turn is over, so envelopes added in one turn share a batch (default: a microtask). */
  defer?(send: () => void): void;
};

type Pending = {
  readonly envelope: Envelope;
  readonly promise: Promise<SendResult>;
  readonly resolve: (result: SendResult) => void;
  /** Answers for older attempts are ignored, so a late timeout cannot start a second copy in flight. */
  attempt: number;
  inFlight: boolean;
  retries: number;
  timer: ReturnType<typeof setTimeout> | undefined;
};

export function createOutbox(deps: OutboxDeps): Outbox {
  const pending = new Map<string, Pending>();
  const defer = deps.defer ?? queueMicrotask;
  let scheduled = false;

  const due = (entry: Pending): boolean =>
    !entry.inFlight && entry.timer === undefined && pending.get(entry.envelope.id) === entry;

  /** Applies one answer; returns whether the entry is to be sent again later. */
  const settle = (entry: Pending, attempt: number, outcome: Attempt): boolean => {
    if (pending.get(entry.envelope.id) !== entry || entry.attempt !== attempt) return false;
    entry.inFlight = false;
    if ("final" in outcome) {
      pending.delete(entry.envelope.id);
      entry.resolve(outcome.final);
      return false;
    }
    entry.retries += 1;
    return true;
  };

  /**
   * The envelopes of one answer that must wait share one timer, so they leave again together: a timer each
   * would send them one per `send`, since a turn ends after every timer callback.
   */
  const retryLater = (entries: readonly Pending[]): void => {
    if (entries.length === 0) return;
    const delay = Math.max(...entries.map((entry) => deps.retryDelayMs(entry.retries)));
    const timer = setTimeout(() => {
      for (const entry of entries) if (entry.timer === timer) entry.timer = undefined;
      schedule();
    }, delay);
    for (const entry of entries) entry.timer = timer;
  };

  const transmit = (entries: readonly Pending[]): void => {
    const sent = entries.map((entry) => {
      entry.inFlight = true;
      return { entry, attempt: ++entry.attempt };
    });
    deps.transmit(
      sent.map(({ entry }) => entry.envelope),
      (outcomes) => {
        // A short answer leaves the rest to be tried again rather than waiting forever.
        retryLater(
          sent
            .filter(({ entry, attempt }, i) => settle(entry, attempt, outcomes[i] ?? { retry: true }))
            .map(({ entry }) => entry),
        );
      },
    );
  };

  const sendDue = (): void => {
    scheduled = false;
    if (!deps.canSend()) return;
    const ready = [...pending.values()].filter(due);
    for (const batch of packBatches(ready, (entry) => ciphertextChars(entry.envelope))) transmit(batch);
  };

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    defer(sendDue);
  };

  return {
    add(envelope) {
      const existing = pending.get(envelope.id);
      if (existing !== undefined) return existing.promise;
      let resolve: (result: SendResult) => void = () => undefined;
      const promise = new Promise<SendResult>((done) => {
        resolve = done;
      });
      pending.set(envelope.id, {
        envelope,
        promise,
        resolve,
        attempt: 0,
        inFlight: false,
        retries: 0,
        timer: undefined,
      });
      schedule();
      return promise;
    },
    flush: schedule,
    disconnected() {
      for (const entry of pending.values()) {
        // Invalidate the attempt in flight; the next flush sends it again at once.
        entry.attempt += 1;
        entry.inFlight = false;
        clearTimeout(entry.timer);
        entry.timer = undefined;
      }
    },
    settleAll(result) {
      const entries = [...pending.values()];
      pending.clear();
      for (const entry of entries) {
        clearTimeout(entry.timer);
        entry.resolve(result);
      }
    },
  };
}
