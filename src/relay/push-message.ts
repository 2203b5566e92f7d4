import { MessageType } from "socket.io-adapter";
import { PacketType } from "socket.io-parser";
import type { Address } from "../protocol/address";

/**
 * How the Redis mailbox pushes what it stored (scaled mode): it publishes the
 * sharded Redis adapter's own broadcast message for an `envelopes` event on
 * the recipient's channel, so every instance holding a socket of that address
 * (the sender's instance included) delivers it as if `io.to(address)` had been
 * called there. The store script publishes it, so storing and pushing are one
 * Redis round trip, and builds it from what it stored, so only that is pushed.
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

/**
 * The adapter's broadcast of `envelopes` to the address room, as JSON (the adapter's encoding without binaries),
 * in two halves: the store script puts the JSON of the envelopes it kept, joined by commas, between `head` and
 * `tail` (see redis-mailbox.ts), so each envelope travels to Redis once, as the entry it stores.
 */
export type PushFrame = { readonly head: string; readonly tail: string };

/** Stands where the envelope list goes; JSON escapes it, and no address or uid contains it. */
const HOLE = "\u0000envelopes";

export function pushFrame(address: Address): PushFrame {
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
  return { head: skeleton.slice(0, at) + "[", tail: "]" + skeleton.slice(at + hole.length) };
}

/** The push message of these envelopes, each given as its JSON: what the store script publishes. */
export function pushMessage(frame: PushFrame, envelopesJson: readonly string[]): string {
  return frame.head + envelopesJson.join(",") + frame.tail;
}
