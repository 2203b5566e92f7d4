import { isAddress } from "../../protocol/address";
import { AUTH_CHALLENGE_BYTES } from "../../protocol/auth";
import { decodeBase64Url } from "../../protocol/encoding";
import { isMessageId } from "../../protocol/envelope";
import { RELAY_ERROR_CODES, type RelayError } from "../../protocol/errors";
import type { AuthResult, SendResult } from "../../protocol/events";
import { PROTOCOL_VERSION } from "../../protocol/version";

/**
 * What the relay sends back is checked like any other input: a relay is
 * trusted to route, not to be well-formed, so a broken or hostile one cannot
 * put unexpected shapes into the app.
 */

const MAX_TEXT_CHARS = 2_048;

function field(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
  return (value as Record<string, unknown>)[key];
}

function shortText(value: unknown): string | undefined {
  return typeof value === "string" ? value.slice(0, MAX_TEXT_CHARS) : undefined;
}

export function parseRelayError(value: unknown): RelayError | undefined {
  const code = RELAY_ERROR_CODES.find((known) => known === field(value, "code"));
  const message = shortText(field(value, "message"));
  if (code === undefined || message === undefined) return undefined;
  const event = shortText(field(value, "event"));
  const id = field(value, "id");
  return {
    code,
    message,
    ...(event === undefined ? {} : { event }),
    ...(isMessageId(id) ? { id } : {}),
  };
}

function parseFailure(value: unknown): { readonly ok: false; readonly error: RelayError } | undefined {
  if (field(value, "ok") !== false) return undefined;
  const error = parseRelayError(field(value, "error"));
  return error === undefined ? undefined : { ok: false, error };
}

export function parseSendResult(value: unknown, expectedId: string): SendResult | undefined {
  if (field(value, "ok") === true) {
    const stored = field(value, "id") === expectedId && field(value, "status") === "stored";
    return stored ? { ok: true, id: expectedId, status: "stored" } : undefined;
  }
  return parseFailure(value);
}

export function parseAuthResult(value: unknown, expectedAddress: string): AuthResult | undefined {
  if (field(value, "ok") === true) {
    const address = field(value, "address");
    return isAddress(address) && address === expectedAddress ? { ok: true, address } : undefined;
  }
  return parseFailure(value);
}

export type Challenge = { readonly nonce: string; readonly origin: string };

export type ChallengeProblem = "unsupported-version" | "malformed";

export function parseChallenge(value: unknown): Challenge | ChallengeProblem {
  if (field(value, "v") !== PROTOCOL_VERSION) return "unsupported-version";
  const nonce = field(value, "nonce");
  const origin = shortText(field(value, "origin"));
  if (typeof nonce !== "string" || decodeBase64Url(nonce)?.length !== AUTH_CHALLENGE_BYTES || origin === undefined) {
    return "malformed";
  }
  return { nonce, origin };
}

const WEB_SCHEMES: Readonly<Record<string, string>> = {
  "http:": "http:",
  "ws:": "http:",
  "https:": "https:",
  "wss:": "https:",
};

/** The origin a client expects the relay to claim: the one of the URL it dialled (ws/wss count as http/https). */
export function relayOriginOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = WEB_SCHEMES[parsed.protocol];
  if (scheme === undefined) return undefined;
  return new URL(`${scheme}//${parsed.host}`).origin;
}
