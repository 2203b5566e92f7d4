import type { Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";

/**
 * Envelopes waiting for the relay's "stored". Each is sent again, with the
 * same id and bytes, until the relay stores it or refuses it for good: after
 * a timeout, a transient refusal, or a reconnect. The relay stores an id once,
 * so repeats are harmless. In memory only; the app keeps its own durable outbox.
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

/** What became of one attempt: a final answer, or a reason to try again later. */
export type Attempt = { readonly final: SendResult } | { readonly retry: true };

export type OutboxDeps = {
  /** Emits one attempt; `done` is called at most once, on answer, timeout or disconnect. */
  transmit(envelope: Envelope, done: (attempt: Attempt) => void): void;
  canSend(): boolean;
  /** Delay before the n-th retry (n ≥ 1) after a transient refusal or a timeout. */
  retryDelayMs(n: number): number;
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

  const transmit = (entry: Pending): void => {
    if (entry.inFlight || entry.timer !== undefined || !deps.canSend()) return;
    const attempt = ++entry.attempt;
    entry.inFlight = true;
    deps.transmit(entry.envelope, (outcome) => {
      if (pending.get(entry.envelope.id) !== entry || entry.attempt !== attempt) return;
      entry.inFlight = false;
      if ("final" in outcome) {
        pending.delete(entry.envelope.id);
        entry.resolve(outcome.final);
        return;
      }
      entry.retries += 1;
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (pending.get(entry.envelope.id) === entry) transmit(entry);
      }, deps.retryDelayMs(entry.retries));
    });
  };

  return {
    add(envelope) {
      const existing = pending.get(envelope.id);
      if (existing !== undefined) return existing.promise;
      let resolve: (result: SendResult) => void = () => undefined;
      const promise = new Promise<SendResult>((settle) => {
        resolve = settle;
      });
      const entry: Pending = { envelope, promise, resolve, attempt: 0, inFlight: false, retries: 0, timer: undefined };
      pending.set(envelope.id, entry);
      transmit(entry);
      return promise;
    },
    flush() {
      for (const entry of pending.values()) transmit(entry);
    },
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
