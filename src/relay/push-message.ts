import { MessageType } from "socket.io-adapter";
import { PacketType } from "socket.io-parser";

/**
 * How the Redis store script pushes what it stored (scaled mode): it publishes
 * the sharded Redis adapter's own broadcast message for an `envelopes` event
 * on the recipient's channel, so every instance holding a socket of that
 * address (the sender's instance included) delivers it as if `io.to(address)`
 * had been called there. Storing and pushing become one Redis round trip, the
 * ciphertext crosses to Redis once, and only what was stored is pushed.
 *
 * The message format belongs to socket.io-adapter (`ClusterAdapter`); the
 * scaled-mode integration tests fail if an upgrade changes it.
 */

/** The adapter's channel prefix: the adapter subscribes with it and the store script publishes with it. */
export const PUSH_CHANNEL_PREFIX = "socket.io";

/** No adapter has this id (theirs are random), so no instance drops the message as its own. */
const STORE_SCRIPT_UID = "parley-mailbox";

/** The message cut where the script puts the address and the comma-separated envelopes, as JSON. */
export type PushTemplate = {
  /** The channel's prefix; the script appends the address and `#`. */
  readonly channel: string;
  readonly head: string;
  readonly middle: string;
  readonly tail: string;
};

const ROOM = "@room@";
const LIST = "@list@";

export function pushTemplate(namespace = "/"): PushTemplate {
  const message = {
    uid: STORE_SCRIPT_UID,
    nsp: namespace,
    type: MessageType.BROADCAST,
    data: {
      opts: { rooms: [ROOM], except: [], flags: {} },
      packet: { type: PacketType.EVENT, nsp: namespace, data: ["envelopes", LIST] },
    },
  };
  const [head = "", rest = ""] = JSON.stringify(message).split(ROOM);
  const [middle = "", tail = ""] = rest.split(JSON.stringify(LIST));
  // Addresses, ids, versions and ciphertexts are validated base64url and numbers, so they need no JSON escaping.
  return { channel: `${PUSH_CHANNEL_PREFIX}#${namespace}#`, head, middle: `${middle}[`, tail: `]${tail}` };
}
