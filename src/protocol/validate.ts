import { isAddress, type Address } from "./address";
import { AUTH_CHALLENGE_BYTES, type AuthChallenge } from "./auth";
import { ED25519_SIGNATURE_BYTES } from "./crypto/types";
import { decodeBase64Url } from "./encoding";
import { isMessageId, type MessageId } from "./envelope";
import { RELAY_ERROR_CODES, relayError, type RelayError } from "./errors";
import type { AuthResult, SendBatchResult, SendResult } from "./events";
import { isPlainObject, ownField, unknownKey } from "./fields";
import { MAX_ACK_IDS, MAX_BATCH_CHARS, MAX_BATCH_ENVELOPES } from "./limits";
import { err, ok, type Result } from "./result";
import { RELAY_EVENTS_VERSION } from "./version";

/**
 * Runtime checks for every event payload of `events.ts` (envelopes: see
 * `validateEnvelope` in envelope.ts). The event maps say what a well-behaved
 * peer sends; these functions decide what actually arrived. The relay uses the
 * first group on what clients send, clients the second on what the relay
 * sends: a relay is trusted to route, not to be well-formed, so a broken or
 * hostile one cannot put unexpected shapes into the app either.
 */

// What clients send (checked by the relay). Errors are the relay's answers.

/** A well-formed `auth` payload; whether the signature verifies is the relay's to check. */
export type AuthAttempt = { readonly address: Address; readonly signature: Uint8Array };

const AUTH_FIELDS = new Set(["v", "address", "signature"]);

export function parseAuthResponse(value: unknown): Result<AuthAttempt, RelayError> {
  const malformed = (why: string) => err(relayError("malformed", `auth: ${why}`, { event: "auth" }));
  if (!isPlainObject(value)) return malformed("payload must be an object");
  if (unknownKey(value, AUTH_FIELDS) !== undefined) return malformed("unknown field");
  if (ownField(value, "v") !== RELAY_EVENTS_VERSION) {
    return err(
      relayError("unsupported-version", `auth: this relay speaks protocol version ${RELAY_EVENTS_VERSION}`, {
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

/**
 * A `send` payload as a list of 1 to MAX_BATCH_ENVELOPES candidates with MAX_BATCH_CHARS of ciphertext at most
 * (one envelope alone may be that large); each candidate is then validated on its own, so one bad envelope does
 * not sink the others.
 */
export function parseSendBatch(value: unknown): Result<readonly unknown[], RelayError> {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BATCH_ENVELOPES) {
    return err(
      relayError("malformed", `send: expected an array of 1 to ${MAX_BATCH_ENVELOPES} envelopes`, { event: "send" }),
    );
  }
  if (value.length > 1) {
    let chars = 0;
    for (const item of value) {
      const ct = ownField(item, "ct");
      if (typeof ct === "string") chars += ct.length;
    }
    if (chars > MAX_BATCH_CHARS) {
      return err(
        relayError("too-large", `send: a batch carries at most ${MAX_BATCH_CHARS} ciphertext characters`, {
          event: "send",
        }),
      );
    }
  }
  return ok(value);
}

/** The id of a rejected `send` payload, when it has a well-formed one, so the sender can match the error. */
export function envelopeIdOf(value: unknown): MessageId | undefined {
  const id = ownField(value, "id");
  return isMessageId(id) ? id : undefined;
}

// What the relay sends (checked by clients).

/** Not the contract's shape. */
export type MalformedError = { readonly code: "malformed" };

/** Why a `challenge` cannot be answered. */
export type ChallengeError = { readonly code: "unsupported-version" } | MalformedError;

/** Why an answer to `auth` or `send` is unusable: malformed, or well-formed but about another address or envelope. */
export type ReplyError = MalformedError | { readonly code: "mismatch" };

/** Free text from the relay (messages, event names, origins) is cut to this many characters. */
export const MAX_RELAY_TEXT_CHARS = 2_048;

function shortText(value: unknown): string | undefined {
  return typeof value === "string" ? value.slice(0, MAX_RELAY_TEXT_CHARS) : undefined;
}

export function parseChallenge(value: unknown): Result<AuthChallenge, ChallengeError> {
  if (ownField(value, "v") !== RELAY_EVENTS_VERSION) return err({ code: "unsupported-version" });
  const nonce = ownField(value, "nonce");
  const origin = shortText(ownField(value, "origin"));
  if (typeof nonce !== "string" || decodeBase64Url(nonce)?.length !== AUTH_CHALLENGE_BYTES || origin === undefined) {
    return err({ code: "malformed" });
  }
  return ok({ v: RELAY_EVENTS_VERSION, nonce, origin });
}

/** A `relay:error` payload, or the `error` of a refusal: a known code and a message; `event` and `id` when valid. */
export function parseRelayError(value: unknown): Result<RelayError, MalformedError> {
  const code = RELAY_ERROR_CODES.find((known) => known === ownField(value, "code"));
  const message = shortText(ownField(value, "message"));
  if (code === undefined || message === undefined) return err({ code: "malformed" });
  const event = shortText(ownField(value, "event"));
  const id = ownField(value, "id");
  return ok({
    code,
    message,
    ...(event === undefined ? {} : { event }),
    ...(isMessageId(id) ? { id } : {}),
  });
}

function parseRefusal(value: unknown): Result<{ readonly ok: false; readonly error: RelayError }, ReplyError> {
  if (ownField(value, "ok") !== false) return err({ code: "malformed" });
  const error = parseRelayError(ownField(value, "error"));
  return error.ok ? ok({ ok: false, error: error.value }) : error;
}

/** The answer for envelope `expectedId`: stored (that id) or refused. */
function parseSendResult(value: unknown, expectedId: string): Result<SendResult, ReplyError> {
  if (ownField(value, "ok") !== true) return parseRefusal(value);
  if (ownField(value, "status") !== "stored") return err({ code: "malformed" });
  if (ownField(value, "id") !== expectedId) return err({ code: "mismatch" });
  return ok({ ok: true, id: expectedId, status: "stored" });
}

/** The answer to a `send` of envelopes `expectedIds`: a result for each, in that order, or the batch refused. */
export function parseSendBatchResult(
  value: unknown,
  expectedIds: readonly string[],
): Result<SendBatchResult, ReplyError> {
  if (ownField(value, "ok") !== true) return parseRefusal(value);
  const answers = ownField(value, "results");
  if (!Array.isArray(answers)) return err({ code: "malformed" });
  if (answers.length !== expectedIds.length) return err({ code: "mismatch" });
  const results: SendResult[] = [];
  for (const [i, expectedId] of expectedIds.entries()) {
    const result = parseSendResult(answers[i], expectedId);
    if (!result.ok) return result;
    results.push(result.value);
  }
  return ok({ ok: true, results });
}

/** An `envelopes` push: 1 to MAX_BATCH_ENVELOPES candidates, each still to be validated as an envelope. */
export function parsePushedEnvelopes(value: unknown): Result<readonly unknown[], MalformedError> {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BATCH_ENVELOPES) {
    return err({ code: "malformed" });
  }
  return ok(value);
}

/** The answer to an `auth` as `expectedAddress`: accepted (as that address) or refused. */
export function parseAuthResult(value: unknown, expectedAddress: string): Result<AuthResult, ReplyError> {
  if (ownField(value, "ok") !== true) return parseRefusal(value);
  const address = ownField(value, "address");
  if (!isAddress(address)) return err({ code: "malformed" });
  if (address !== expectedAddress) return err({ code: "mismatch" });
  return ok({ ok: true, address });
}
