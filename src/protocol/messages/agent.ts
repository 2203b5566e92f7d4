import { z } from "zod";
import { TITLE_MAX, humanTextSchema, instantSchema, messageIdSchema, slotSchema } from "./schema";

/**
 * Agent-to-agent scheduling messages, shaped after A2A: one task per meeting
 * negotiation, each message a human-readable `text` part plus a `data` part
 * that is the machine-readable truth. Only the data part is ever acted on.
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

const proposeSchema = z.strictObject({
  type: z.literal("propose"),
  title: z.string().trim().min(1).max(TITLE_MAX),
  durationMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60),
  slots: z.array(slotSchema).min(1).max(MAX_PROPOSED_SLOTS),
  expiresAt: instantSchema,
});
const acceptSchema = z.strictObject({ type: z.literal("accept"), slot: slotSchema });
const declineSchema = z.strictObject({ type: z.literal("decline"), reason: z.enum(DECLINE_REASONS) });
const confirmSchema = z.strictObject({
  type: z.literal("confirm"),
  slot: slotSchema,
  title: z.string().trim().min(1).max(TITLE_MAX),
});
const cancelSchema = z.strictObject({ type: z.literal("cancel") });

export const schedulingDataSchema = z.discriminatedUnion("type", [
  proposeSchema,
  acceptSchema,
  declineSchema,
  confirmSchema,
  cancelSchema,
]);
export type SchedulingData = z.infer<typeof schedulingDataSchema>;
export type SchedulingType = SchedulingData["type"];

export const agentMessageSchema = z.strictObject({
  taskId: messageIdSchema,
  messageId: messageIdSchema,
  sentAt: instantSchema,
  text: humanTextSchema,
  data: schedulingDataSchema,
});
export type AgentMessage = z.infer<typeof agentMessageSchema>;
