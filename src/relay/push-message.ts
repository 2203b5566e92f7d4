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
 * Redis round trip (two when one of a recipient's envelopes is refused: the
 * mailbox then publishes the rest itself) and only what was stored is pushed.
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

/** The adapter's broadcast of `envelopes` to the address room, as JSON (the adapter's encoding without binaries). */
export function pushMessage(address: Address, envelopes: readonly Envelope[]): string {
  return JSON.stringify({
    uid: MAILBOX_UID,
    nsp: NAMESPACE,
    type: MessageType.BROADCAST,
    data: {
      opts: { rooms: [address], except: [], flags: {} },
      // No `nsp` in the packet: the receiving adapter sets its own namespace, as for the adapter's messages.
      packet: { type: PacketType.EVENT, data: ["envelopes", envelopes] },
    },
  });
}
