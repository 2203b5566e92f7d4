import { isAddress, type Address } from "../protocol/address";
import { ED25519_SIGNATURE_BYTES } from "../protocol/crypto";
import { decodeBase64Url } from "../protocol/encoding";
import { isMessageId, type MessageId } from "../protocol/envelope";
import { relayError, type RelayError } from "../protocol/errors";
import { MAX_ACK_IDS } from "../protocol/limits";
import { err, ok, type Result } from "../protocol/result";
import { PROTOCOL_VERSION } from "../protocol/version";

/**
 * Runtime checks for what clients send. The event maps say what a
 * well-behaved client sends; these functions decide what actually arrived.
 */

/** socket.io's acknowledgement callback: present iff the client asked for an answer. */
export type Reply = (result: unknown) => void;

export type InboundEvent = {
  /** The event name, shortened and stringified (socket.io also allows numbers). */
  readonly name: string;
  readonly payloads: readonly unknown[];
  readonly reply: Reply | undefined;
};

const MAX_EVENT_NAME_CHARS = 64;

function isReply(value: unknown): value is Reply {
  return typeof value === "function";
}

/** socket.io appends the ack callback as the last argument; JSON cannot carry a function, so only it can be one. */
export function splitEvent(event: unknown, args: readonly unknown[]): InboundEvent {
  const last = args.at(-1);
  const reply = isReply(last) ? last : undefined;
  return {
    name: String(event).slice(0, MAX_EVENT_NAME_CHARS),
    payloads: reply === undefined ? args : args.slice(0, -1),
    reply,
  };
}

/** Every event of the contract takes exactly one payload. */
export function singlePayload(event: InboundEvent): Result<unknown, RelayError> {
  if (event.payloads.length !== 1) {
    return err(relayError("malformed", `"${event.name}" takes exactly one argument`, { event: event.name }));
  }
  return ok(event.payloads[0]);
}

/** An own field of a plain object, never one inherited through `__proto__`. */
function ownField(value: object, key: string): unknown {
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export type AuthAttempt = { readonly address: Address; readonly signature: Uint8Array };

const AUTH_FIELDS = new Set(["v", "address", "signature"]);

export function parseAuthResponse(value: unknown): Result<AuthAttempt, RelayError> {
  const malformed = (why: string) => err(relayError("malformed", `auth: ${why}`, { event: "auth" }));
  if (!isPlainObject(value)) return malformed("payload must be an object");
  if (Object.keys(value).some((key) => !AUTH_FIELDS.has(key))) return malformed("unknown field");
  if (ownField(value, "v") !== PROTOCOL_VERSION) {
    return err(
      relayError("unsupported-version", `auth: this relay speaks protocol version ${PROTOCOL_VERSION}`, {
        event: "auth",
      }),
    );
  }
  const address = ownField(value, "address");
  if (!isAddress(address)) return malformed("address is not an Ed25519 public key in base64url");
  const signatureText = ownField(value, "signature");
  const signature = typeof signatureText === "string" ? decodeBase64Url(signatureText) : undefined;
  if (signature?.length !== ED25519_SIGNATURE_BYTES) return malformed("signature is not 64 bytes of base64url");
  return ok({ address, signature });
}

export function parseAckIds(value: unknown): Result<readonly MessageId[], RelayError> {
  if (!Array.isArray(value) || value.length > MAX_ACK_IDS) {
    return err(relayError("malformed", `ack: expected an array of at most ${MAX_ACK_IDS} ids`, { event: "ack" }));
  }
  const ids: MessageId[] = [];
  for (const id of value) {
    if (!isMessageId(id)) return err(relayError("malformed", "ack: every id must be a message id", { event: "ack" }));
    ids.push(id);
  }
  return ok(ids);
}

/** The id of a rejected envelope, when it has a well-formed one, so the sender can match the error. */
export function envelopeIdOf(value: unknown): MessageId | undefined {
  if (!isPlainObject(value)) return undefined;
  const id = ownField(value, "id");
  return isMessageId(id) ? id : undefined;
}
