import type { Envelope } from "../../protocol/envelope";
import type { RelayErrorCode } from "../../protocol/errors";
import { PROTOCOL_VERSION } from "../../protocol/version";
import { readContact } from "../storage/read";
import { outboxRowSchema, parseRows, type OutboxRow } from "../storage/rows";
import type { Runtime } from "./context";
import { refresh } from "./view";

/**
 * Outgoing messages go through the outbox: encrypted and written to IndexedDB
 * in the same transaction as the state change that caused them (and the
 * session state the encryption advanced), then sent; a row is deleted only
 * once the relay has stored the envelope. A reload or a lost connection
 * therefore re-sends the same id and bytes, never a new message.
 */

export function toOutboxRow(envelope: Envelope, now: number): OutboxRow {
  return { id: envelope.id, to: envelope.to, ct: envelope.ct, createdAt: now };
}

/** Refusals that no retry can change: the envelope itself is wrong. */
const PERMANENT: ReadonlySet<RelayErrorCode> = new Set(["malformed", "too-large", "unsupported-version"]);

/** Per database, the recipients whose queue is running, and whether it must look at the outbox again. */
const running = new WeakMap<Runtime["db"], Map<string, { again: boolean; done: Promise<void> }>>();

/**
 * Sends what the outbox holds: to each recipient oldest first and one at a
 * time, so a conversation's messages leave in the order they were decided,
 * and each recipient in its own queue, so one whose mailbox is full (the relay
 * client retries it until stored) holds up nobody else. Resolves when every
 * queue has gone through the rows it found.
 */
export async function flushOutbox(runtime: Runtime): Promise<void> {
  let queues = running.get(runtime.db);
  if (queues === undefined) running.set(runtime.db, (queues = new Map()));
  const rows = await readOutbox(runtime);
  const recipients = new Set(rows.map((row) => row.to));
  await Promise.all(
    [...recipients].map((to) => {
      const current = queues.get(to);
      if (current !== undefined) {
        current.again = true;
        return current.done;
      }
      const queue = { again: false, done: Promise.resolve() };
      queue.done = drain(runtime, to, queue).finally(() => queues.delete(to));
      queues.set(to, queue);
      return queue.done;
    }),
  );
}

async function readOutbox(runtime: Runtime): Promise<OutboxRow[]> {
  return parseRows(outboxRowSchema, await runtime.db.outbox.orderBy("createdAt").toArray(), "outbox");
}

async function drain(runtime: Runtime, to: string, queue: { again: boolean }): Promise<void> {
  try {
    do {
      queue.again = false;
      const rows = (await readOutbox(runtime)).filter((row) => row.to === to);
      if (!(await sendInOrder(runtime, rows))) return;
    } while (queue.again);
  } catch (error) {
    // Storage failed under us; the rows stay in the outbox for the next flush.
    console.warn("outbound: sending stopped", error);
    runtime.store.setState({ notice: "Some messages could not be sent yet; they will be tried again." });
  }
}

/** Returns false when sending stopped (not connected): the rest waits for the next flush, in order. */
async function sendInOrder(runtime: Runtime, rows: readonly OutboxRow[]): Promise<boolean> {
  for (const row of rows) {
    // Resolves once the relay stored the envelope or refused it for good; "later" refusals are retried inside.
    const result = await runtime.send({ v: PROTOCOL_VERSION, to: row.to, id: row.id, ct: row.ct });
    if (result.ok) {
      await runtime.db.outbox.delete(row.id);
      if (row.taskId !== undefined) void refresh(runtime, { announce: true });
    } else if (PERMANENT.has(result.error.code)) {
      // It can never be delivered; keeping it would retry forever. The meeting's state says what was meant.
      await runtime.db.outbox.delete(row.id);
      const contact = await readContact(runtime.db, row.to);
      const name = "found" in contact ? contact.found.name : "a contact";
      runtime.store.setState({ notice: `A message to ${name} could not be sent: ${result.error.message}` });
    } else {
      return false;
    }
  }
  return true;
}
