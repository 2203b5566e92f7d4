import type { Server } from "socket.io";
import { parseAddress, type Address } from "../protocol/address";
import { packBatches } from "../protocol/batch";
import { ciphertextChars, type Envelope } from "../protocol/envelope";
import type { ClientToServerEvents, ServerToClientEvents } from "../protocol/events";
import type { Mailbox } from "./mailbox";
import type { RelayMetrics } from "./metrics";

/** A socket or a room: wherever a mailbox's envelopes go. */
type EnvelopeTarget = { emit(event: "envelopes", envelopes: Envelope[]): unknown };

/** Emits waiting envelopes, oldest first, in `envelopes` events packed as LM8 allows (RL2). */
export function deliverWaiting(target: EnvelopeTarget, waiting: readonly Envelope[], metrics: RelayMetrics): void {
  for (const envelopes of packBatches(waiting, ciphertextChars)) target.emit("envelopes", envelopes);
  metrics.delivered.inc(waiting.length);
}

/**
 * The addresses with an authenticated socket on this instance. Each socket also sits in a room named by its
 * own id; an address's room never holds a socket of that id, and addresses are parsed, not assumed.
 */
export function localAddresses(rooms: ReadonlyMap<string, ReadonlySet<string>>): Address[] {
  const addresses: Address[] = [];
  for (const [room, members] of rooms) {
    const address = members.has(room) ? undefined : parseAddress(room);
    if (address !== undefined) addresses.push(address);
  }
  return addresses;
}

/**
 * Drains every local address's mailbox to its sockets here, as authentication does (RS10): pushes published
 * while this instance's subscriptions were away reached nobody, but what they carried is still in the mailbox.
 * One address at a time, so a reconnect with many idle sockets does not flood Redis. Resolves to how many
 * envelopes went out.
 */
export async function redeliverLocal(
  io: Server<ClientToServerEvents, ServerToClientEvents>,
  mailbox: Mailbox,
  metrics: RelayMetrics,
): Promise<number> {
  let delivered = 0;
  for (const address of localAddresses(io.of("/").adapter.rooms)) {
    const waiting = await mailbox.list(address);
    // Local only: every other instance with a socket of this address drains it itself.
    deliverWaiting(io.local.to(address), waiting, metrics);
    delivered += waiting.length;
  }
  return delivered;
}
