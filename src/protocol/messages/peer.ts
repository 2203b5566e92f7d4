import { z } from "zod";
import { decodeUtf8, utf8 } from "../encoding";
import { err, ok, type Result } from "../result";
import { agentMessageSchema } from "./agent";
import { displayNameSchema, messageIdSchema } from "./schema";

/**
 * Everything one agent sends another, inside the encryption. The sender's
 * identity is not repeated here: it is what the decryption proved.
 */
// 2: N-party scheduling (rounds, holds, counters, reschedule) and the transcript hash chain.
export const PEER_MESSAGE_VERSION = 2;

const contactRequestSchema = z.strictObject({
  v: z.literal(PEER_MESSAGE_VERSION),
  t: z.literal("contact-request"),
  /** The invite this request answers; the inviter accepts only invites it issued. */
  inviteId: messageIdSchema,
  name: displayNameSchema,
});

const agentEnvelopeSchema = z.strictObject({
  v: z.literal(PEER_MESSAGE_VERSION),
  t: z.literal("agent"),
  message: agentMessageSchema,
});

export const peerMessageSchema = z.discriminatedUnion("t", [contactRequestSchema, agentEnvelopeSchema]);
export type PeerMessage = z.infer<typeof peerMessageSchema>;
export type ContactRequest = z.infer<typeof contactRequestSchema>;

export type PeerMessageError =
  | { readonly code: "not-utf8" }
  | { readonly code: "not-json" }
  | { readonly code: "invalid"; readonly issues: readonly string[] };

export function encodePeerMessage(message: PeerMessage): Uint8Array {
  return utf8(JSON.stringify(message));
}

/** Decrypted bytes from a peer are untrusted: parsed, then validated field by field. */
export function decodePeerMessage(bytes: Uint8Array): Result<PeerMessage, PeerMessageError> {
  const text = decodeUtf8(bytes);
  if (text === undefined) return err({ code: "not-utf8" });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err({ code: "not-json" });
  }
  const parsed = peerMessageSchema.safeParse(json);
  if (!parsed.success) {
    return err({
      code: "invalid",
      // Issues can quote the peer's own keys (unrecognized-key messages): bounded, since they end up in logs.
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`.slice(0, 200)),
    });
  }
  return ok(parsed.data);
}
