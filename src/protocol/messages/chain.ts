import { transcriptDigest } from "../crypto/digest";
import { encodeBase64Url, utf8 } from "../encoding";
import type { AgentMessage, TranscriptHash } from "./agent";

/**
 * The transcript hash chain. A message's hash covers every field, its own
 * `prev` included, in a canonical JSON form (object keys sorted, no spaces)
 * so both sides compute the same bytes from the parsed message whatever
 * order its keys arrived in.
 */

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const json = JSON.stringify(value);
    // Only what JSON can carry gets here from a parsed message; anything else is a caller's bug.
    if (json === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return json;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function transcriptHash(message: AgentMessage): TranscriptHash {
  return encodeBase64Url(transcriptDigest(utf8(canonicalJson(message)))) as TranscriptHash;
}

export type ChainEntry = { readonly message: AgentMessage; readonly hash: string };

export type ChainError =
  { readonly code: "bad-hash"; readonly index: number } | { readonly code: "bad-link"; readonly index: number };

/**
 * Checks one pairwise conversation as recorded: every stored hash matches its
 * message, the first message links to nothing, and every later one links to
 * a message recorded before it (two messages sent at once by the two sides
 * both link to the same earlier one).
 */
export function verifyChain(entries: readonly ChainEntry[]): { ok: true } | { ok: false; error: ChainError } {
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    if (transcriptHash(entry.message) !== entry.hash) return { ok: false, error: { code: "bad-hash", index } };
    const prev = entry.message.prev;
    const linked = index === 0 ? prev === null : prev !== null && seen.has(prev);
    if (!linked) return { ok: false, error: { code: "bad-link", index } };
    seen.add(entry.hash);
  }
  return { ok: true };
}
