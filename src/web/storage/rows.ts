import { z } from "zod";
import { isEndedSession, isRatchetState, type EndedSession, type RatchetState } from "../../protocol/crypto";
import {
  DISPLAY_NAME_MAX,
  TITLE_MAX,
  addressSchema,
  messageIdSchema,
  slotSchema,
  agentMessageSchema,
  isTranscriptHash,
  TASK_STATES,
  type TranscriptHash,
} from "../../protocol/messages";

/**
 * What is stored in IndexedDB, with schemas: rows are read back through these,
 * since another tab, an older version or a damaged profile may have written them.
 */

const bytes = (length: number) =>
  z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === length, `expected ${length} bytes`);

export const identityRowSchema = z.object({
  id: z.literal("self"),
  name: z.string().min(1).max(DISPLAY_NAME_MAX),
  signingPublicKey: bytes(32),
  signingSecretKey: bytes(64),
  agreementPublicKey: bytes(32),
  agreementSecretKey: bytes(32),
  createdAt: z.number(),
});
export type IdentityRow = z.infer<typeof identityRowSchema>;

export const contactRowSchema = z.object({
  address: addressSchema,
  name: z.string().min(1).max(DISPLAY_NAME_MAX),
  signingKey: bytes(32),
  agreementKey: bytes(32),
  addedAt: z.number(),
  /** How the contact was made: we opened their invite, or they answered ours. */
  via: z.enum(["their-invite", "our-invite"]),
  /** The human compared safety numbers with them and said they match. */
  verified: z.boolean(),
  /**
   * Set when their identity key changed (a new session under the same address
   * with another agreement key): until the human verifies again, their agent's
   * messages are held rather than acted on.
   */
  keyChangedAt: z.number().optional(),
  /**
   * What the agent may do on its own for this contact, as plain data: checked by the engine's own parser where
   * it is read (`contactPolicyOf`), so a damaged one falls back to the default, which never accepts on its own,
   * rather than hiding the whole contact.
   */
  policy: z.unknown().optional(),
});
export type ContactRow = z.infer<typeof contactRowSchema>;

export const inviteRowSchema = z.object({
  id: messageIdSchema,
  createdAt: z.number(),
  expiresAt: z.number(),
  link: z.string(),
  /** base64url of the bundle's prekey id, which a first message names. */
  prekeyId: z.string(),
  signedPrekeyId: z.string(),
  /** The one-time prekey; null once a contact request used it, which is what makes the invite single-use. */
  oneTimePrekey: z.object({ secretKey: bytes(32) }).nullable(),
  usedAt: z.number().optional(),
});
export type InviteRow = z.infer<typeof inviteRowSchema>;

/** A signed prekey, shared by the invites made while it was current; deleted once none of them can be answered. */
export const signedPrekeyRowSchema = z.object({
  id: z.string(),
  /** Only the secret is stored: the public key and its signature are derived again, never trusted from storage. */
  secretKey: bytes(32),
  createdAt: z.number(),
});
export type SignedPrekeyRow = z.infer<typeof signedPrekeyRowSchema>;

/** The Double Ratchet session with one contact. */
export const sessionRowSchema = z.object({
  address: addressSchema,
  state: z.custom<RatchetState>(isRatchetState, "not a ratchet state"),
  updatedAt: z.number(),
});
export type SessionRow = z.infer<typeof sessionRowSchema>;

/** A removed contact: only header keys remain, to refuse its later messages by name. */
export const endedRowSchema = z.object({
  address: addressSchema,
  at: z.number(),
  session: z.custom<EndedSession>(isEndedSession, "not an ended session").nullable(),
});
export type EndedRow = z.infer<typeof endedRowSchema>;

/** An agent message from a contact whose key changed, waiting for the human to verify them again. */
export const heldRowSchema = z.object({
  id: z.string(),
  from: addressSchema,
  at: z.number(),
  message: agentMessageSchema,
});
export type HeldRow = z.infer<typeof heldRowSchema>;

export const EVENT_TITLE_MAX = TITLE_MAX;

export const eventRowSchema = z.object({
  id: z.string().min(1),
  title: z.string().max(EVENT_TITLE_MAX),
  start: z.number(),
  end: z.number(),
  /** Booked meetings the human chose to keep although this event overlaps them ("keep both"). */
  keptWith: z.array(z.string()).optional(),
});
export type EventRow = z.infer<typeof eventRowSchema>;

const partySchema = z.object({
  address: addressSchema,
  name: z.string(),
  answer: z.enum(["pending", "held", "countered", "declined", "withdrew"]),
  slots: z.array(slotSchema),
});

export const transcriptEntrySchema = z.object({
  direction: z.enum(["in", "out"]),
  peer: addressSchema,
  hash: z.custom<TranscriptHash>((value) => isTranscriptHash(value), "not a transcript hash"),
  message: agentMessageSchema,
});

/** A negotiation as the engine keeps it (src/agent/negotiation/types.ts `Meeting`). */
export const meetingRowSchema = z.object({
  id: messageIdSchema,
  role: z.enum(["organizer", "participant"]),
  parties: z.array(partySchema).min(1),
  others: z.array(z.string()),
  title: z.string(),
  durationMinutes: z.number(),
  state: z.enum(TASK_STATES),
  round: z.number().int(),
  firstRound: z.number().int(),
  proposed: z.array(slotSchema),
  available: z.array(slotSchema),
  held: z.array(slotSchema),
  heldUntil: z.number(),
  tried: z.array(slotSchema),
  confirmed: slotSchema.optional(),
  ical: z.string().optional(),
  sequence: z.number().int(),
  expiresAt: z.number(),
  createdAt: z.number(),
  updatedAt: z.number(),
  transcript: z.array(transcriptEntrySchema),
});
export type MeetingRow = z.infer<typeof meetingRowSchema>;

export const chatRowSchema = z.object({
  id: z.string(),
  at: z.number(),
  author: z.enum(["you", "agent"]),
  text: z.string(),
});
export type ChatRow = z.infer<typeof chatRowSchema>;

/** An envelope not yet acknowledged as stored by the relay; re-sent with the same id and bytes. */
export const outboxRowSchema = z.object({
  id: messageIdSchema,
  to: addressSchema,
  ct: z.string(),
  createdAt: z.number(),
  /** The meeting the message belongs to, so screens can say it is still waiting to be sent. */
  taskId: messageIdSchema.optional(),
});
export type OutboxRow = z.infer<typeof outboxRowSchema>;

/** Envelope ids already processed, so a redelivery is not acted on twice. */
export const seenRowSchema = z.object({ id: z.string(), at: z.number() });
export type SeenRow = z.infer<typeof seenRowSchema>;

/** Parses rows read back from storage, dropping (and reporting) any that do not match. */
export function parseRows<T>(schema: z.ZodType<T>, rows: readonly unknown[], table: string): T[] {
  const out: T[] = [];
  for (const row of rows) {
    const parsed = schema.safeParse(row);
    if (parsed.success) out.push(parsed.data);
    else console.warn(`storage: skipped a malformed ${table} row`, parsed.error.issues[0]?.message);
  }
  return out;
}

/** The human's scheduling preferences, checked by the engine's own parser when read (`parsePreferences`). */
export const settingsRowSchema = z.object({ id: z.literal("preferences"), value: z.unknown(), updatedAt: z.number() });
export type SettingsRow = z.infer<typeof settingsRowSchema>;
