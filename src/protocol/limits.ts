/**
 * Hard limits shared by relay and clients. The relay enforces them (socket.io's
 * `maxHttpBufferSize` and per-event checks); clients refuse to build anything
 * larger, so a well-behaved client never meets a rejection.
 */

/** Largest ciphertext an envelope may carry, in base64url characters (48 KiB of bytes). */
export const MAX_CIPHERTEXT_CHARS = 65_536;

/** Largest socket.io frame the relay accepts; leaves room for the envelope header. */
export const MAX_FRAME_BYTES = 72 * 1024;

/**
 * Envelopes one `send` or `envelopes` event carries at most. Batching is what makes the relay cheap per message
 * under load: one frame, one parse and one storage round trip for many envelopes.
 */
export const MAX_BATCH_ENVELOPES = 32;

/**
 * Ciphertext characters one batch carries at most (a single envelope may be that large by itself). With
 * MAX_BATCH_ENVELOPES headers of about a hundred characters each, a full batch stays under MAX_FRAME_BYTES.
 */
export const MAX_BATCH_CHARS = MAX_CIPHERTEXT_CHARS;

/** Message ids are 16 random bytes in base64url. */
export const MESSAGE_ID_CHARS = 22;

/** How many ids one `ack` event may carry. */
export const MAX_ACK_IDS = 256;

/**
 * How long a client holds an ack for others (RL8): a recipient receiving a stream of envelopes acks a handful
 * per event rather than one each. Acks are the relay's second event per delivered envelope; holding them this
 * long costs nothing but a redelivery (dropped by id) when the connection fails in between.
 */
export const ACK_DELAY_MS = 250;

/** Envelopes one address may have waiting in its mailbox. */
export const MAX_MAILBOX_ENVELOPES = 1_000;

/** Bytes (ciphertext characters) one address may have waiting. */
export const MAX_MAILBOX_CHARS = 16 * 1024 * 1024;

/** Undelivered envelopes are dropped after this long. */
export const MAILBOX_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A socket must authenticate within this long or is disconnected. */
export const AUTH_TIMEOUT_MS = 10_000;

/** Token bucket per socket: sustained events per second and burst size. */
export const SOCKET_EVENTS_PER_SECOND = 50;
export const SOCKET_EVENT_BURST = 200;

/** Token bucket per address, shared by its sockets on one relay instance: sends per second and burst size. */
export const ADDRESS_SENDS_PER_SECOND = 100;
export const ADDRESS_SEND_BURST = 400;

/** Open sockets one client IP may hold on one relay instance (configurable by the operator). */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 20;
