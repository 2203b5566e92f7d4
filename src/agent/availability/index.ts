/** Preferences, calendar expansion and free time per person, with the owner's explanations. */
export * from "./types";
export * from "./preferences";
export {
  expandEvents,
  forEachBusyInterval,
  MAX_OCCURRENCES_PER_EVENT,
  type BusyVisitor,
  type ExpandOptions,
} from "./expand";
export { parseRule, type ParsedRule } from "./recurrence";
export {
  computeAvailability,
  describeUnavailability,
  explain,
  redactedReason,
  type AvailabilityInput,
  type ExplainInput,
  type MeetingTime,
} from "./availability";
