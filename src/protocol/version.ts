/**
 * Versions of the wire. A peer that speaks another version gets a typed
 * `unsupported-version` answer instead of a silent misparse.
 */

/** The envelope's `v` and the version bound into session keys; changing it would strand stored envelopes and sessions. */
export const PROTOCOL_VERSION = 1;
export type ProtocolVersion = typeof PROTOCOL_VERSION;

/**
 * The relay's events (`challenge` and `auth` carry it). Version 2 carries envelopes in batches: `send` takes a
 * list and is answered per envelope, and the relay pushes `envelopes`. A client of version 1 cannot answer the
 * challenge, so it stops with `bad-challenge` rather than sending what this relay would misread.
 */
export const RELAY_EVENTS_VERSION = 2;
export type RelayEventsVersion = typeof RELAY_EVENTS_VERSION;
