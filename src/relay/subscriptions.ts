import type { Redis } from "ioredis";
import { describeFailure, type Logger } from "./logger";

/**
 * Scaled mode's subscriber connection: knowing when Redis has applied this
 * instance's subscriptions, and catching up on what was published while they
 * were away. Pushes travel only on subscribed channels (RS9), so these decide
 * whether a push can be missed.
 */

/** How long authentication waits for Redis to confirm the new room's subscription. */
export const ROUTED_TIMEOUT_MS = 2_000;

/** Resolves when `answer` does, or rejects after `ms` (the timer never keeps the process alive). */
export function answeredWithin(answer: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscriptions: Redis did not answer within ${ms} ms`)), ms);
    timer.unref();
    answer.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error("subscriptions: Redis refused the subscription check"));
      },
    );
  });
}

/**
 * A PING on the subscriber connection, shared by every caller until it is sent: it goes out on the next turn,
 * after the subscriptions of everyone who asked so far, so a reconnecting crowd costs a PING per turn rather
 * than one per socket. A caller after it was sent waits for the next one.
 */
export function sharedPing(sub: { ping(): Promise<unknown> }): () => Promise<void> {
  let next: Promise<void> | undefined;
  return () =>
    (next ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      next = undefined;
      return answeredWithin(sub.ping(), ROUTED_TIMEOUT_MS);
    }));
}

/**
 * After the subscriber connection comes back (Redis restarted, or the connection dropped), `redeliver` runs
 * once Redis has applied the renewed subscriptions: pushes published while they were away reached nobody (RS10).
 * Runs one at a time; a reconnect during a run queues one more.
 */
export function watchResubscribe(sub: Redis, redeliver: () => Promise<number>, logger: Logger): void {
  let connectedBefore = false;
  let running: Promise<void> = Promise.resolve();
  sub.on("ready", () => {
    // The first subscriptions precede every authentication (RS9), so nothing can have been missed yet.
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    // ioredis emits "ready" before it sends the subscriptions again; deferred, the PING goes out behind them.
    setImmediate(() => {
      running = running.then(async () => {
        try {
          await answeredWithin(sub.ping(), ROUTED_TIMEOUT_MS);
          const delivered = await redeliver();
          logger.info({ event: "redelivered", delivered }, "mailboxes drained again after resubscribing");
        } catch (error) {
          logger.warn({ event: "redeliver-failed", ...describeFailure(error) }, "could not drain mailboxes again");
        }
      });
    });
  });
}
