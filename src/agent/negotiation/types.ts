import type { Address } from "../../protocol/address";
import type { MessageId } from "../../protocol/envelope";
import type { AgentMessage, TaskState } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";

/** The state of one meeting negotiation on one side, and what each step of it returns. */

export type TranscriptEntry = { direction: "in" | "out"; message: AgentMessage };

/**
 * One negotiation as this side sees it. Plain data (arrays, not sets) so the
 * app can store it as is. The participant's pending acceptance is not a field:
 * it is the last `accept` it sent, read from the transcript.
 */
export type Meeting = {
  /** The A2A task id, shared by both sides. */
  id: MessageId;
  role: "organizer" | "participant";
  peer: Address;
  peerName: string;
  title: string;
  durationMinutes: number;
  state: TaskState;
  proposed: Slot[];
  /** Participant only: the proposed slots that were free for its owner when the proposal arrived. */
  available: Slot[];
  // `| undefined` so rows read back from storage (where optional means "may be undefined") fit as they are.
  confirmed?: Slot | undefined;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  transcript: TranscriptEntry[];
};

export type Step = {
  meeting: Meeting;
  /** To send to `meeting.peer`, in order. */
  outgoing: AgentMessage[];
  /** One plain sentence for this side's human; may mention private things, as it never leaves the device. */
  notice?: string;
};

export type NegotiationContext = {
  now: number;
  newId: () => MessageId;
  /** Whether the owner is free for the slot, this meeting's own hold excluded. Only the answer is used, never why. */
  isFree: (slot: Slot) => boolean;
  /** The owner's IANA zone, used to write times in the human-readable text. */
  timeZone: string;
  ownerName: string;
  policy: { autoAccept: boolean };
  /** The peer's display name, for a proposal that opens a new meeting; the app knows it from the contact. */
  peerName?: string;
};

export type NegotiationError =
  | { readonly code: "unknown-task"; readonly taskId: MessageId }
  | { readonly code: "wrong-peer"; readonly from: Address }
  | { readonly code: "wrong-state"; readonly state: TaskState; readonly event: string }
  | { readonly code: "duplicate"; readonly messageId: MessageId }
  | { readonly code: "slot-not-offered" }
  | { readonly code: "slot-taken" }
  | { readonly code: "expired"; readonly expiresAt: number };

/** Terminal states: nothing but a `cancel` of a completed meeting leaves them. */
export const FINAL_STATES: readonly TaskState[] = ["canceled", "rejected", "failed"];

export function describeNegotiationError(error: NegotiationError): string {
  switch (error.code) {
    case "unknown-task":
      return "That message belongs to no meeting this agent knows.";
    case "wrong-peer":
      return "That message came from someone who is not part of this meeting.";
    case "wrong-state":
      return `A "${error.event}" does not fit a meeting that is ${error.state}.`;
    case "duplicate":
      return "That message was already handled.";
    case "slot-not-offered":
      return "That time was not one of the proposed times.";
    case "slot-taken":
      return "That time is no longer free in your calendar.";
    case "expired":
      return "This request has expired.";
  }
}
