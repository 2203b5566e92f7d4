import type { AuthChallenge, AuthResponse } from "./auth";
import type { Envelope } from "./envelope";
import type { RelayError } from "./errors";
import type { Address } from "./address";

/**
 * The one definition of the relay's Socket.io events, used as the type
 * parameters of both `Server` (relay) and `Socket` (web client). Payloads from
 * the other side are still validated at runtime: these types describe what a
 * well-behaved peer sends, not what arrives.
 */

export type AuthResult =
  { readonly ok: true; readonly address: Address } | { readonly ok: false; readonly error: RelayError };

/** The answer for one envelope of a `send`: `stored` means it is in the recipient's mailbox and will be delivered at least once. */
export type SendResult =
  | { readonly ok: true; readonly id: string; readonly status: "stored" }
  | { readonly ok: false; readonly error: RelayError };

/** The answer to a `send`: one result per envelope, in the order sent; or the whole batch refused. */
export type SendBatchResult =
  { readonly ok: true; readonly results: readonly SendResult[] } | { readonly ok: false; readonly error: RelayError };

export interface ServerToClientEvents {
  challenge: (challenge: AuthChallenge) => void;
  /** 1 to MAX_BATCH_ENVELOPES envelopes for this socket's address, oldest first. */
  envelopes: (envelopes: readonly Envelope[]) => void;
  "relay:error": (error: RelayError) => void;
}

export interface ClientToServerEvents {
  auth: (response: AuthResponse, reply: (result: AuthResult) => void) => void;
  /** 1 to MAX_BATCH_ENVELOPES envelopes, MAX_BATCH_CHARS of ciphertext at most (a lone envelope may be that large). */
  send: (envelopes: readonly Envelope[], reply: (result: SendBatchResult) => void) => void;
  /** The recipient confirms it has safely stored these envelope ids; the relay deletes them. */
  ack: (ids: readonly string[]) => void;
}

export const CLIENT_EVENTS = ["auth", "send", "ack"] as const satisfies readonly (keyof ClientToServerEvents)[];
export type ClientEventName = (typeof CLIENT_EVENTS)[number];
