/** The per-meeting negotiation state machine: pure functions from (meeting, event, context) to the next step. */
export { propose, DEFAULT_PROPOSAL_TTL_MINUTES, MAX_PROPOSAL_TTL_MS, type ProposeArgs } from "./propose";
export { receive } from "./receive";
export { approve, decline, cancel, expire, ACCEPT_GRACE_MS } from "./actions";
export { describeMessage, type DescribeView } from "./describe";
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
