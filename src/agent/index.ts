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
// Multi-party slot search and ranking (docs/protocol.md §3, SR).
export {
  DEFAULT_SEARCH_STEP_MINUTES,
  fitSlots,
  intersectFree,
  MIN_USEFUL_GAP_MINUTES,
  pickBest,
  SCORE_WEIGHTS,
  searchSlots,
  SOONNESS_HALF_LIFE_DAYS,
  toSlots,
  type RankedSlot,
  type SearchSlotsOptions,
} from "./scheduling/search";
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
// Availability: preferences, calendar expansion, free time and the owner's explanations (docs/protocol.md §3, AV).
export {
  computeAvailability,
  DEFAULT_PREFERENCES,
  describeUnavailability,
  expandEvents,
  explain,
  MAX_OCCURRENCES_PER_EVENT,
  parsePreferences,
  PREFERENCE_LIMITS,
  WEEKDAYS,
  redactedReason,
  type Availability,
  type AvailabilityInput,
  type BusyInterval,
  type CalendarEvent,
  type EventTime,
  type ExpandOptions,
  type ExplainInput,
  type MeetingTime,
  type MinuteRange,
  type Preferences,
  type PreferencesError,
  type Recurrence,
  type Transparency,
  type Unavailability,
  type Weekday,
} from "./availability";
// iCalendar for confirmed meetings (docs/protocol.md §3, IC).
export { escapeText, meetingToICalendar, utcDateTime, type VEventInput } from "./calendar/ical";
