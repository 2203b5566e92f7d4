/**
 * The wire protocol's version. Both the relay and every client send it; a peer
 * that speaks another version gets a typed `unsupported-version` answer
 * instead of a silent misparse.
 */
export const PROTOCOL_VERSION = 1;
export type ProtocolVersion = typeof PROTOCOL_VERSION;
