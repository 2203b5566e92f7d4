import { z } from "zod";
import { isAddress, type Address } from "../address";
import { isMessageId, type MessageId } from "../envelope";

/**
 * Building blocks shared by the plaintext message schemas. Every object schema
 * is strict: an unknown key (`__proto__` included) is an error, as in the
 * envelope, rather than silently dropped; a new field needs a new version.
 */

export const addressSchema = z.custom<Address>((value) => isAddress(value), "not an address");
export const messageIdSchema = z.custom<MessageId>((value) => isMessageId(value), "not a message id");

/** Epoch milliseconds, whole and within a sane range (1970..2200). */
export const instantSchema = z.number().int().min(0).max(7_258_118_400_000);

/** A half-open interval [start, end) in epoch milliseconds, at most 24 hours long. */
export const slotSchema = z
  .strictObject({ start: instantSchema, end: instantSchema })
  .refine((slot) => slot.end > slot.start && slot.end - slot.start <= 24 * 60 * 60 * 1000, "slot must be 1 ms to 24 h");
export type Slot = z.infer<typeof slotSchema>;

/** Human-readable text from a peer: bounded, and shown as text, never interpreted. */
export const humanTextSchema = z.string().max(2_000);
export const DISPLAY_NAME_MAX = 80;
export const displayNameSchema = z.string().trim().min(1).max(DISPLAY_NAME_MAX);
export const TITLE_MAX = 200;
