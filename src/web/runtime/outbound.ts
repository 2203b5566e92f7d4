import type { Envelope } from "../../protocol/envelope";
import type { AgentMessage } from "../../protocol/messages";
import { wrapPeerMessage } from "../../agent/wire";
import { publicIdentityFromBytes } from "../../protocol/crypto";
import type { ContactRow, OutboxRow } from "../storage/rows";
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
  const recipient = publicIdentityFromBytes(contact.signingKey, contact.agreementKey);
  if (recipient === undefined)
    throw new Error(`sealAgentMessages: stored keys of contact ${contact.name} are malformed`);
  return messages.map((message) => {
    const wrapped = wrapPeerMessage({
      sender: session.identity,
      recipient,
      message: { v: 1, t: "agent", message },
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

/** Sends what the outbox holds; rows the relay stored are removed, the rest wait for the next flush. */
export async function flushOutbox(runtime: Runtime, rows?: readonly OutboxRow[]): Promise<void> {
  const pending = rows ?? (await runtime.db.outbox.orderBy("createdAt").toArray());
  await Promise.all(
    pending.map(async (row) => {
      const result = await runtime.send({ v: 1, to: row.to, id: row.id, ct: row.ct });
      if (result.ok) {
        await runtime.db.outbox.delete(row.id);
      } else if (result.error.code !== "rate-limited" && result.error.code !== "unauthenticated") {
        // A permanent refusal (malformed, too large, mailbox full): keep the row so nothing is lost silently, and say so.
        runtime.store.setState({ notice: `The relay refused a message: ${result.error.message}` });
      }
    }),
  );
}
