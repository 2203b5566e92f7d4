import { wrapPeerMessage } from "../../agent/wire";
import { publicIdentityFromBytes } from "../../protocol/crypto";
import type { Envelope } from "../../protocol/envelope";
import type { RelayErrorCode } from "../../protocol/errors";
import { PEER_MESSAGE_VERSION, type AgentMessage } from "../../protocol/messages";
import { PROTOCOL_VERSION } from "../../protocol/version";
import { outboxRowSchema, parseRows, type ContactRow, type OutboxRow } from "../storage/rows";
import type { Runtime, Session } from "./context";

/**
 * Outgoing messages go through the outbox: sealed and written to IndexedDB in
 * the same transaction as the state change that caused them, then sent; a row
 * is deleted only once the relay has stored the envelope. A reload or a lost
 * connection therefore re-sends the same id and bytes, never a new message.
 */

export function sealAgentMessages(
  session: Session,
  contact: ContactRow,
  messages: readonly AgentMessage[],
): OutboxRow[] {
  // Contact rows are schema-checked on read, so only a bug could make these keys unusable.
  const recipient = publicIdentityFromBytes(contact.signingKey, contact.agreementKey);
  if (recipient === undefined)
    throw new Error(`sealAgentMessages: stored keys of contact ${contact.name} are malformed`);
  return messages.map((message) => {
    const wrapped = wrapPeerMessage({
      sender: session.identity,
      recipient,
      message: { v: PEER_MESSAGE_VERSION, t: "agent", message },
      randomBytes: session.randomBytes,
    });
    // Agent messages are a few hundred bytes; only a bug could make one exceed the limit.
    if (!wrapped.ok) throw new Error(`sealAgentMessages: message is ${wrapped.error.chars} characters, over the limit`);
    return toOutboxRow(wrapped.value, session.now());
  });
}

export function toOutboxRow(envelope: Envelope, now: number): OutboxRow {
  return { id: envelope.id, to: envelope.to, ct: envelope.ct, createdAt: now };
}

/** Refusals that no retry can change: the envelope itself is wrong. */
const PERMANENT: ReadonlySet<RelayErrorCode> = new Set(["malformed", "too-large", "unsupported-version"]);

const flushing = new WeakMap<Runtime["db"], Promise<void>>();

/**
 * Sends what the outbox holds: to each recipient oldest first and one at a
 * time, so a negotiation's messages leave in the order they were decided,
 * while a recipient whose mailbox is full holds up nobody else. One flush runs
 * at a time; a request during a flush runs another after it.
 */
export function flushOutbox(runtime: Runtime): Promise<void> {
  const previous = flushing.get(runtime.db) ?? Promise.resolve();
  const next = previous.then(() => sendAll(runtime));
  flushing.set(runtime.db, next);
  return next;
}

async function sendAll(runtime: Runtime): Promise<void> {
  const rows = parseRows(outboxRowSchema, await runtime.db.outbox.orderBy("createdAt").toArray(), "outbox");
  const byRecipient = new Map<string, OutboxRow[]>();
  for (const row of rows) byRecipient.set(row.to, [...(byRecipient.get(row.to) ?? []), row]);
  await Promise.all([...byRecipient.values()].map((queue) => sendInOrder(runtime, queue)));
}

async function sendInOrder(runtime: Runtime, rows: readonly OutboxRow[]): Promise<void> {
  for (const row of rows) {
    // The relay client retries "later" refusals itself; it resolves once the relay stored the envelope or refused it for good.
    const result = await runtime.send({ v: PROTOCOL_VERSION, to: row.to, id: row.id, ct: row.ct });
    if (result.ok) {
      await runtime.db.outbox.delete(row.id);
    } else if (PERMANENT.has(result.error.code)) {
      // It can never be delivered; keeping it would retry forever. The meeting's state says what was meant.
      await runtime.db.outbox.delete(row.id);
      const contact = await runtime.db.contacts.get(row.to);
      runtime.store.setState({
        notice: `A message to ${contact?.name ?? "a contact"} could not be sent: ${result.error.message}`,
      });
    } else {
      // Not connected (or closed): the rest wait for the next flush, in order.
      return;
    }
  }
}
