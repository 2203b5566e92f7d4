import { MessageType } from "socket.io-adapter";
import { PacketType } from "socket.io-parser";
import type { Address } from "../protocol/address";
import type { Envelope } from "../protocol/envelope";

/**
 * How the Redis mailbox pushes what it stored (scaled mode): it publishes the
 * sharded Redis adapter's own broadcast message for an `envelopes` event on
 * the recipient's channel, so every instance holding a socket of that address
 * (the sender's instance included) delivers it as if `io.to(address)` had been
 * called there. The store script publishes it, so storing and pushing are one
 * Redis round trip; when it refused some of a recipient's envelopes, it cuts
 * them out of the message by their spans, so only what was stored is pushed.
 * It also stores each envelope's JSON cut from the message, so every envelope
 * travels to Redis once.
 *
 * The message format belongs to socket.io-adapter (`ClusterAdapter`), so both
 * adapter packages are pinned exactly; a unit test compares this message with
 * the adapter's own, and the scaled-mode integration tests deliver it.
 */

/** The adapter's channel prefix: the adapter subscribes with it and the mailbox publishes with it. */
export const PUSH_CHANNEL_PREFIX = "socket.io";

/** No adapter has this id (theirs are random), so no instance drops the message as its own. */
const MAILBOX_UID = "parley-mailbox";

const NAMESPACE = "/";

/** The sharded adapter's channel for an address room (its "dynamic" subscription mode). */
export function pushChannel(address: Address): string {
  return `${PUSH_CHANNEL_PREFIX}#${NAMESPACE}#${address}#`;
}

/** Where each envelope's JSON sits in a push message: 1-based, inclusive, as Lua's `string.sub` takes them. */
export type Span = { readonly first: number; readonly last: number };

/** Stands where the envelope list goes; JSON escapes it, and no address or uid contains it. */
const HOLE = "\u0000envelopes";

/**
 * The adapter's broadcast of `envelopes` to the address room, as JSON (the adapter's encoding without binaries),
 * and each envelope's span in it, so the store script can cut out each envelope it stores and those it refused
 * (see redis-mailbox.ts).
 * Spans count characters; validated envelopes and addresses are ASCII, so these are also byte offsets.
 */
export function pushMessageWithSpans(
  address: Address,
  envelopes: readonly Envelope[],
): { readonly message: string; readonly spans: readonly Span[] } {
  const skeleton = JSON.stringify({
    uid: MAILBOX_UID,
    nsp: NAMESPACE,
    type: MessageType.BROADCAST,
    data: {
      opts: { rooms: [address], except: [], flags: {} },
      // No `nsp` in the packet: the receiving adapter sets its own namespace, as for the adapter's messages.
      packet: { type: PacketType.EVENT, data: ["envelopes", HOLE] },
    },
  });
  const hole = JSON.stringify(HOLE);
  const at = skeleton.indexOf(hole);
  let message = skeleton.slice(0, at) + "[";
  const spans: Span[] = [];
  for (const [i, envelope] of envelopes.entries()) {
    if (i > 0) message += ",";
    const piece = JSON.stringify(envelope);
    spans.push({ first: message.length + 1, last: message.length + piece.length });
    message += piece;
  }
  return { message: message + "]" + skeleton.slice(at + hole.length), spans };
}
