import { isAddress, type Address } from "./address";
import { isBase64Url } from "./encoding";
import { relayError, type RelayError } from "./errors";
import { isPlainObject, ownField, unknownKey } from "./fields";
import { MAX_CIPHERTEXT_CHARS, MESSAGE_ID_CHARS } from "./limits";
import { err, ok, type Result } from "./result";
import { PROTOCOL_VERSION } from "./version";

/**
 * The routing header plus opaque ciphertext: everything the relay sees of a
 * message. The sender is not here (it travels inside the ciphertext), so the
 * relay learns who a message is for, its size and when, and nothing else.
 */
export type Envelope = {
  readonly v: typeof PROTOCOL_VERSION;
  /** Recipient address. */
  readonly to: Address;
  /** 16 random bytes, base64url; senders reuse it when they retry. */
  readonly id: MessageId;
  /** Padded ciphertext, base64url. */
  readonly ct: string;
};

export type MessageId = string & { readonly __brand: "MessageId" };

export type EnvelopeError =
  | { readonly code: "not-an-object" }
  | { readonly code: "unsupported-version"; readonly version: unknown }
  | { readonly code: "bad-field"; readonly field: "to" | "id" | "ct" }
  | { readonly code: "unknown-field"; readonly field: string }
  | { readonly code: "too-large"; readonly chars: number };

const FIELDS = new Set(["v", "to", "id", "ct"]);

export function isMessageId(value: unknown): value is MessageId {
  // 22 canonical characters are exactly 16 bytes; checked without decoding (every send and ack carries ids).
  return typeof value === "string" && value.length === MESSAGE_ID_CHARS && isBase64Url(value);
}

/** What an envelope weighs against the batch limit (MAX_BATCH_CHARS). */
export function ciphertextChars(envelope: Envelope): number {
  return envelope.ct.length;
}

/**
 * Validates an untrusted value as an envelope. Checks run cheapest first and
 * the ciphertext is never decoded beyond its alphabet check.
 */
export function validateEnvelope(value: unknown): Result<Envelope, EnvelopeError> {
  if (!isPlainObject(value)) return err({ code: "not-an-object" });
  // Own keys only: a `__proto__` key from JSON is an own key here and is refused as unknown.
  const extra = unknownKey(value, FIELDS);
  if (extra !== undefined) return err({ code: "unknown-field", field: extra.slice(0, 32) });
  const v = ownField(value, "v");
  if (v !== PROTOCOL_VERSION) return err({ code: "unsupported-version", version: typeof v === "number" ? v : null });
  const to = ownField(value, "to");
  if (!isAddress(to)) return err({ code: "bad-field", field: "to" });
  const id = ownField(value, "id");
  if (!isMessageId(id)) return err({ code: "bad-field", field: "id" });
  const ct = ownField(value, "ct");
  if (typeof ct !== "string" || ct.length === 0) return err({ code: "bad-field", field: "ct" });
  if (ct.length > MAX_CIPHERTEXT_CHARS) return err({ code: "too-large", chars: ct.length });
  if (!isBase64Url(ct)) return err({ code: "bad-field", field: "ct" });
  return ok({ v, to, id, ct });
}

export function describeEnvelopeError(error: EnvelopeError): string {
  switch (error.code) {
    case "not-an-object":
      return "envelope must be an object";
    case "unsupported-version":
      return `envelope version ${String(error.version)} is not supported (this relay speaks ${PROTOCOL_VERSION})`;
    case "bad-field":
      return `envelope field "${error.field}" is missing or malformed`;
    case "unknown-field":
      return `envelope has unknown field "${error.field}"`;
    case "too-large":
      return `envelope ciphertext is ${error.chars} characters; the limit is ${MAX_CIPHERTEXT_CHARS}`;
  }
}

/**
 * The relay's answer to an envelope that fails validation. Clients use the
 * same mapping to refuse locally what the relay would refuse.
 */
export function envelopeRelayError(error: EnvelopeError, id?: MessageId): RelayError {
  const extra = id === undefined ? { event: "send" } : { event: "send", id };
  const message = describeEnvelopeError(error);
  switch (error.code) {
    case "unsupported-version":
      return relayError("unsupported-version", message, extra);
    case "too-large":
      return relayError("too-large", message, extra);
    case "not-an-object":
    case "bad-field":
    case "unknown-field":
      return relayError("malformed", message, extra);
  }
}
