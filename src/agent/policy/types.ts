import type { Preferences, Weekday } from "../availability/types";

/**
 * What the owner lets their agent do on its own for one contact. Pure data,
 * stored on the owner's device with the contact and never sent: the contact
 * only ever sees the answers the agent gives.
 */

/**
 * What the agent may reveal when none of a contact's proposed times fits:
 * "slots" lets it suggest other free times (which says a little about the
 * owner's calendar), "answers-only" limits it to yes or no on the times proposed.
 */
export type Disclosure = "slots" | "answers-only";

export type ContactPolicy = {
  /** Whether the agent may answer this contact's proposals on its own; otherwise every request waits for the owner. */
  readonly autoAccept: boolean;
  /** Only meetings up to this long, in whole minutes (5..480). */
  readonly maxMinutes: number;
  /** Only on these days, read in the owner's time zone; unique and sorted. */
  readonly weekdays: readonly Weekday[];
  /** Only inside the owner's working hours. */
  readonly withinWorkingHours: boolean;
  /** Only while the owner has verified the contact's safety number: a changed key must not inherit trust. */
  readonly verifiedOnly: boolean;
  readonly disclose: Disclosure;
};

/** What the policy is checked against: facts the owner's device knows, never anything the contact claims. */
export type PolicyFacts = { readonly verified: boolean; readonly preferences: Preferences };

export type PolicyError = { readonly code: "invalid"; readonly issues: string[] };
