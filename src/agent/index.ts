/**
 * The agent engine: pure TypeScript with no I/O, run by the web app and by a
 * headless Node agent alike. Time, ids and the time zone are passed in.
 */
export {
  addLocalDays,
  instantToLocal,
  isValidTimeZone,
  localDay,
  localToInstant,
  offsetAt,
  startOfLocalDay,
  type LocalDateTime,
  type LocalFields,
} from "./scheduling/zoned";
export {
  DEFAULT_WORKING_HOURS,
  findFreeSlots,
  isFree,
  mergeIntervals,
  overlaps,
  PARTS_OF_DAY,
  type FindFreeSlotsOptions,
  type Interval,
  type PartOfDay,
  type WorkingHours,
} from "./scheduling/slots";
export { formatInstant, formatSlot } from "./scheduling/format";
export {
  parseCommand,
  type Contact,
  type Intent,
  type IntentError,
  type ParseContext,
  type ScheduleIntent,
} from "./intent";
export {
  ACCEPT_GRACE_MS,
  acceptedSlot,
  approve,
  busyFromMeetings,
  cancel,
  decline,
  describeMessage,
  describeNegotiationError,
  expire,
  MAX_PROPOSAL_TTL_MS,
  propose,
  receive,
  type DescribeView,
  type Meeting,
  type NegotiationContext,
  type NegotiationError,
  type ProposeArgs,
  type Step,
  type TranscriptEntry,
} from "./negotiation";
