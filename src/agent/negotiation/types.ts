import type { Address } from "../../protocol/address";
import type { MessageId } from "../../protocol/envelope";
import type { AgentMessage, TaskState, TranscriptHash } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";

/** The state of one meeting negotiation on one side, and what each step of it returns. */

export type TranscriptEntry = {
  direction: "in" | "out";
  /** The other agent of this pairwise conversation. */
  peer: Address;
  /** This message's link in the pair's chain (docs/protocol.md, NG chain rules). */
  hash: TranscriptHash;
  message: AgentMessage;
};

/** Where one participant stands in the current round, as the organizer sees it. */
export type Answer = "pending" | "held" | "countered" | "declined" | "withdrew";

export type Party = {
  address: Address;
  name: string;
  /** Organizer side only; a participant's single party (the organizer) stays "pending". */
  answer: Answer;
  /** Held or accepted slots (answer "held"), or suggested ones ("countered"), for the current round. */
  slots: Slot[];
};

/**
 * One negotiation as this side sees it. Plain data (arrays, not sets) so the
 * app can store it as is. An organizer's `parties` are its participants; a
 * participant's only party is the organizer, the one agent it talks to.
 */
export type Meeting = {
  /** The A2A task id, shared by every side. */
  id: MessageId;
  role: "organizer" | "participant";
  parties: Party[];
  /** Participant only: the other invitees' names, as the organizer gave them. */
  others: string[];
  title: string;
  durationMinutes: number;
  state: TaskState;
  /** The current round (1 for the proposal; each counter or reschedule round adds one). */
  round: number;
  /** The round this negotiation (or this move of a confirmed meeting) began with; it gives up after ROUNDS_PER_NEGOTIATION. */
  firstRound: number;
  /** The current round's candidate slots. */
  proposed: Slot[];
  /** Participant only: the round's slots that were free for its owner when they arrived. */
  available: Slot[];
  /** Participant only: the slots this side holds for the round (sent in a hold or an accept). */
  held: Slot[];
  /** Participant only: when those holds stop blocking other negotiations (0: none). */
  heldUntil: number;
  /** Organizer only: every slot proposed in earlier rounds, so later rounds offer new ones. */
  tried: Slot[];
  // `| undefined` so rows read back from storage (where optional means "may be undefined") fit as they are.
  confirmed?: Slot | undefined;
  /** The VEVENT of the confirmed time, as the organizer sent it. */
  ical?: string | undefined;
  /** iCalendar SEQUENCE: how many times the meeting has been confirmed (or moved). */
  sequence: number;
  /** When the current round expires (a participant's is bounded, NG19). */
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  transcript: TranscriptEntry[];
};

export type Outgoing = { to: Address; message: AgentMessage };

export type Step = {
  meeting: Meeting;
  /**
   * Set when an incoming message was recorded in the transcript (it is part of the conversation, and later
   * messages link to it) but changed nothing, and why: an answer to an old round, a move that does not fit.
   */
  ignored?: NegotiationError;
  /** To send, in order. */
  outgoing: Outgoing[];
  /** One plain sentence for this side's human; may mention private things, as it never leaves the device. */
  notice?: string;
};

export type NegotiationContext = {
  now: number;
  newId: () => MessageId;
  /** Whether the owner is free for the slot, this meeting's own holds excluded. Only the answer is used, never why. */
  isFree: (slot: Slot) => boolean;
  /**
   * Whether the slot is free and also within the owner's preferences (working hours, buffers, notice, horizon,
   * daily cap, meeting-free days): what this side offers its human, holds or suggests. `isFree` alone guards
   * what is booked, so a time the human chose explicitly is not refused by a preference.
   */
  suits: (slot: Slot) => boolean;
  /** The owner's IANA zone, used to write times in the human-readable text. */
  timeZone: string;
  ownerName: string;
  /**
   * Participant: which of the round's available slots the contact's policy lets this side hold without
   * asking its human ([] means ask).
   */
  autoAccept: (durationMinutes: number, slots: readonly Slot[]) => Slot[];
  /**
   * Free slots of this length, best first, none of `exclude`: the organizer's next round, or what a
   * participant suggests in a counter (the app returns [] when policy allows only answers).
   */
  candidates: (durationMinutes: number, exclude: readonly Slot[]) => Slot[];
  /** The peer's display name, for a proposal that opens a new meeting; the app knows it from the contact. */
  peerName?: string;
};

export type NegotiationError =
  | { readonly code: "unknown-task"; readonly taskId: MessageId }
  | { readonly code: "wrong-peer"; readonly from: Address }
  | { readonly code: "wrong-state"; readonly state: TaskState; readonly event: string }
  | { readonly code: "duplicate"; readonly messageId: MessageId }
  /** The message links to one this side has not received yet: deliver it again after the ones before it. */
  | { readonly code: "out-of-order"; readonly messageId: MessageId }
  /** The conversation already holds `MAX_CONVERSATION_MESSAGES`: a peer this chatty is refused, not recorded. */
  | { readonly code: "conversation-full"; readonly messageId: MessageId }
  /** A message that claims to start a conversation already started: never valid. */
  | { readonly code: "broken-chain"; readonly messageId: MessageId }
  | { readonly code: "stale-round"; readonly round: number; readonly current: number }
  | { readonly code: "bad-ical" }
  /** The task has used up the rounds the wire allows; a booked meeting stays where it is. */
  | { readonly code: "too-many-rounds"; readonly round: number }
  | { readonly code: "slot-not-offered" }
  | { readonly code: "slot-taken" }
  | { readonly code: "expired"; readonly expiresAt: number };

/** Terminal states: nothing leaves them. */
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
    case "conversation-full":
      return "That conversation is already as long as a conversation about one meeting may be.";
    case "broken-chain":
      return "That message does not follow the conversation so far.";
    case "out-of-order":
      return "That message came before one it follows; it will be handled after it.";
    case "stale-round":
      return `That answer is for round ${error.round}, but the meeting is in round ${error.current}.`;
    case "too-many-rounds":
      return "This meeting has been renegotiated too many times; cancel it and arrange a new one instead.";
    case "bad-ical":
      return "The confirmation's calendar entry does not match the confirmed time.";
    case "slot-not-offered":
      return "That time was not one of the proposed times.";
    case "slot-taken":
      return "That time is no longer free in your calendar.";
    case "expired":
      return "This request has expired.";
  }
}
