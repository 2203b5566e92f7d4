import { z } from "zod";
import { decodeBase64Url } from "../encoding";
import { TITLE_MAX, displayNameSchema, humanTextSchema, instantSchema, messageIdSchema, slotSchema } from "./schema";

/**
 * Agent-to-agent scheduling messages, shaped after A2A: one task per meeting
 * negotiation, each message a human-readable `text` part plus a `data` part
 * that is the machine-readable truth. Only the data part is ever acted on.
 *
 * A meeting of several people is a star: the organizer's agent talks to each
 * participant's agent in its own pairwise conversation (its own encryption
 * session and its own hash chain) under the one task id; participants never
 * talk to each other.
 */

export const TASK_STATES = [
  "submitted",
  "working",
  "input-required",
  "completed",
  "canceled",
  "rejected",
  "failed",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Why a participant says no. Deliberately coarse: the other side learns nothing of the calendar. */
export const DECLINE_REASONS = ["not-available", "declined", "expired"] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export const MAX_PROPOSED_SLOTS = 10;
/** People a meeting may invite besides its organizer. */
export const MAX_PARTICIPANTS = 10;
/** The highest round number on the wire: a bound for validation; the engine gives up far sooner (NG rules). */
export const MAX_ROUNDS = 100;
/** An iCalendar object for one meeting is a few hundred bytes; this bounds what a peer can make us store. */
export const ICAL_MAX_CHARS = 4_000;

/** base64url of a 32-byte transcript hash (43 characters, no padding). */
export type TranscriptHash = string & { readonly __brand: "TranscriptHash" };
export const TRANSCRIPT_HASH_CHARS = 43;
export function isTranscriptHash(value: unknown): value is TranscriptHash {
  return typeof value === "string" && value.length === TRANSCRIPT_HASH_CHARS && decodeBase64Url(value)?.length === 32;
}
const transcriptHashSchema = z.custom<TranscriptHash>((value) => isTranscriptHash(value), "not a transcript hash");

const roundSchema = z.number().int().min(1).max(MAX_ROUNDS);
const titleSchema = z.string().trim().min(1).max(TITLE_MAX);
const slotsSchema = z.array(slotSchema).min(1).max(MAX_PROPOSED_SLOTS);

/** Organizer → participant: opens the task with round 1's candidate slots. */
const proposeSchema = z.strictObject({
  type: z.literal("propose"),
  round: z.literal(1),
  title: titleSchema,
  durationMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60),
  slots: slotsSchema,
  expiresAt: instantSchema,
  /** The other invitees' names, for the human; empty for a meeting of two. */
  others: z.array(displayNameSchema).max(MAX_PARTICIPANTS - 1),
});
/**
 * Organizer → participant: a new round of candidate slots for the same task.
 * Participant → organizer: none of the round's slots fit; these candidate slots would.
 */
const counterSchema = z.strictObject({
  type: z.literal("counter"),
  round: roundSchema,
  // Empty from a participant with nothing to suggest (or allowed to suggest nothing).
  slots: z.array(slotSchema).max(MAX_PROPOSED_SLOTS),
  expiresAt: instantSchema,
});
/** Participant → organizer: these of the round's slots fit, and are held for this task until `until`. */
const holdSchema = z.strictObject({
  type: z.literal("hold"),
  round: roundSchema,
  slots: slotsSchema,
  until: instantSchema,
});
/** Participant → organizer: the human chose this one slot of the round; it is held until confirmed or called off. */
const acceptSchema = z.strictObject({ type: z.literal("accept"), round: roundSchema, slot: slotSchema });
const declineSchema = z.strictObject({
  type: z.literal("decline"),
  round: roundSchema,
  reason: z.enum(DECLINE_REASONS),
});
/** Organizer → participant: the meeting is booked for `slot`; `ical` is the VEVENT to put in any calendar. */
const confirmSchema = z.strictObject({
  type: z.literal("confirm"),
  round: roundSchema,
  slot: slotSchema,
  title: titleSchema,
  ical: z.string().min(1).max(ICAL_MAX_CHARS),
});
const cancelSchema = z.strictObject({ type: z.literal("cancel") });
/**
 * Organizer → participant: move a confirmed meeting; a new round with these slots (the old time stands until
 * a new one is confirmed). Participant → organizer: please move it; `slots` are times that would suit (maybe none).
 */
const rescheduleSchema = z.strictObject({
  type: z.literal("reschedule"),
  round: roundSchema,
  slots: z.array(slotSchema).max(MAX_PROPOSED_SLOTS),
  expiresAt: instantSchema,
});

export const schedulingDataSchema = z.discriminatedUnion("type", [
  proposeSchema,
  counterSchema,
  holdSchema,
  acceptSchema,
  declineSchema,
  confirmSchema,
  cancelSchema,
  rescheduleSchema,
]);
export type SchedulingData = z.infer<typeof schedulingDataSchema>;
export type SchedulingType = SchedulingData["type"];

export const agentMessageSchema = z.strictObject({
  taskId: messageIdSchema,
  messageId: messageIdSchema,
  sentAt: instantSchema,
  /**
   * The hash of the sender's previous message to this agent in this task, or of the proposal before it has sent
   * any (null for the proposal itself): each side's messages form a tamper-evident chain, and a receiver can tell
   * when one of the sender's messages has not arrived yet.
   */
  prev: transcriptHashSchema.nullable(),
  text: humanTextSchema,
  data: schedulingDataSchema,
});
export type AgentMessage = z.infer<typeof agentMessageSchema>;
