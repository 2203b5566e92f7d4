import { MAX_RETIRED_HEADER_KEYS, MAX_SKIPPED_KEYS, type EndedSession, type RatchetState } from "./ratchet";

/** Ratchet states and tombstones come back from storage as plain data: these check them before use. */

/**
 * Checks a state read back from storage field by field, so a damaged or
 * foreign row is refused rather than used as keys.
 */
export function isRatchetState(value: unknown): value is RatchetState {
  if (!isRecord(value) || value["v"] !== 1 || !isKey(value["ad"])) return false;
  const pair = value["sendingKeyPair"];
  if (!isRecord(pair) || !isKey(pair["publicKey"]) || !isKey(pair["secretKey"])) return false;
  const keys = ["rootKey", "nextSendingHeaderKey", "nextReceivingHeaderKey"];
  const nullableKeys = ["receivingKey", "sendingChain", "receivingChain", "sendingHeaderKey", "receivingHeaderKey"];
  const counters = ["sent", "received", "previousChainLength"];
  const skipped = value["skipped"];
  const retired = value["retiredHeaderKeys"];
  return (
    keys.every((k) => isKey(value[k])) &&
    nullableKeys.every((k) => value[k] === null || isKey(value[k])) &&
    counters.every((k) => isCounter(value[k])) &&
    Array.isArray(skipped) &&
    skipped.length <= MAX_SKIPPED_KEYS &&
    skipped.every((e) => isRecord(e) && isKey(e["headerKey"]) && isCounter(e["n"]) && isKey(e["messageKey"])) &&
    Array.isArray(retired) &&
    retired.length <= MAX_RETIRED_HEADER_KEYS &&
    retired.every(isKey)
  );
}

export function isEndedSession(value: unknown): value is EndedSession {
  return (
    isRecord(value) &&
    isKey(value["ad"]) &&
    Array.isArray(value["headerKeys"]) &&
    value["headerKeys"].length <= MAX_SKIPPED_KEYS + MAX_RETIRED_HEADER_KEYS + 2 &&
    value["headerKeys"].every(isKey)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isKey(value: unknown): boolean {
  return value instanceof Uint8Array && value.length === 32;
}

function isCounter(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}
