/** The per-meeting negotiation state machine: pure functions from (meeting, event, context) to the next step. */
export { propose, DEFAULT_PROPOSAL_TTL_MINUTES, type ProposeArgs } from "./propose";
export { receive } from "./receive";
export { approve, decline, cancel, expire } from "./actions";
export { busyFromMeetings, acceptedSlot } from "./busy";
export {
  describeNegotiationError,
  FINAL_STATES,
  type Meeting,
  type NegotiationContext,
  type NegotiationError,
  type Step,
  type TranscriptEntry,
} from "./types";
