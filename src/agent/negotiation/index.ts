/** The per-meeting negotiation state machine: pure functions from (meeting, event, context) to the next step. */
export { propose, DEFAULT_PROPOSAL_TTL_MINUTES, MAX_PROPOSAL_TTL_MS, type Invitee, type ProposeArgs } from "./propose";
export { MAX_CONVERSATION_MESSAGES, receive } from "./receive";
export { approve, decline, requestReschedule, organizerOf } from "./participant";
export { removeParty, reschedule, ROUNDS_PER_NEGOTIATION, ROUND_TTL_MS } from "./organizer";
export { cancel, expire, ACCEPT_GRACE_MS } from "./actions";
export { describeMessage, type DescribeView } from "./describe";
export { busyFromMeetings } from "./busy";
export { clashes, type Clash } from "./clashes";
export { chainLink, sameSlot, withWhom } from "./core";
export {
  describeNegotiationError,
  FINAL_STATES,
  type Answer,
  type Meeting,
  type NegotiationContext,
  type NegotiationError,
  type Outgoing,
  type Party,
  type Step,
  type TranscriptEntry,
} from "./types";
