/** What the agent may do on its own for each contact (docs/protocol.md §3, PO). */
export * from "./types";
export {
  autoAcceptableSlots,
  CONTACT_POLICY_LIMITS,
  DEFAULT_CONTACT_POLICY,
  describePolicy,
  DISCLOSURES,
  parseContactPolicy,
  slotWithinWorkingHours,
} from "./policy";
