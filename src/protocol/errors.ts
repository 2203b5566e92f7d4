/**
 * Every rejection the relay can give, as a closed set of codes. Clients switch
 * on these; the message text is for humans and logs only.
 */
export const RELAY_ERROR_CODES = [
  "unauthenticated", // an event other than `auth` before authentication
  "auth-failed", // bad signature, wrong key format or replayed challenge
  "already-authenticated",
  "unsupported-version",
  "malformed", // payload does not match the event's schema
  "too-large",
  "unknown-event",
  "mailbox-full",
  "rate-limited",
  "unavailable", // the relay failed to handle the event (storage down, bug); retrying later may succeed
] as const;

export type RelayErrorCode = (typeof RELAY_ERROR_CODES)[number];

export type RelayError = {
  readonly code: RelayErrorCode;
  readonly message: string;
  /** The event that was rejected, when known. */
  readonly event?: string;
  /** The envelope id the error refers to, when there is one. */
  readonly id?: string;
};

export function relayError(
  code: RelayErrorCode,
  message: string,
  extra: { event?: string; id?: string } = {},
): RelayError {
  return { code, message, ...extra };
}
