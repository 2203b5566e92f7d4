import type { Slot } from "../../protocol/messages/schema";
import type { Interval, PartOfDay } from "../scheduling/slots";

/** What the human asked for, and the typed ways a command can fail to mean anything. */

export type Contact = { readonly id: string; readonly name: string };

export type ParseContext = {
  readonly now: number;
  /** The owner's IANA zone: "tomorrow at 3pm" means 15:00 there, whatever the machine's zone. */
  readonly timeZone: string;
  readonly contacts: readonly Contact[];
};

export type ScheduleIntent = {
  readonly kind: "schedule";
  readonly contactId: string;
  readonly contactName: string;
  /** Further contacts the command named ("meet Bob and Carol"): a meeting of several people. */
  readonly others: readonly Contact[];
  readonly durationMinutes: number;
  readonly title: string;
  /** Set when the human named a time; `window` is then that local day, from now on. */
  readonly exact?: Slot;
  readonly window: Interval;
  readonly partOfDay?: PartOfDay;
};

/** The owner asks why a time was not offered (or is not free): answered with private reasons, to them only. */
export type ExplainIntent = { readonly kind: "explain"; readonly slot: Slot };

/**
 * The owner cancels or moves a meeting from the chat ("cancel my meeting with Bob", "move Friday's lunch with
 * Alice"): which one is found among the owner's meetings by the people and the time named.
 */
export type ManageIntent = {
  readonly kind: "cancel" | "reschedule";
  /** Contacts named; the meeting must include all of them. */
  readonly contactIds: readonly string[];
  /** The time or day named, if any: the meeting's time must fall in it. */
  readonly when?: Interval;
};

export type Intent = ScheduleIntent | ExplainIntent | ManageIntent | { readonly kind: "help" };

/** Every error carries a `hint`: one sentence the assistant can show as is. */
export type IntentError =
  | { readonly code: "not-understood"; readonly hint: string }
  | { readonly code: "unknown-contact"; readonly name: string; readonly hint: string }
  | {
      readonly code: "ambiguous-contact";
      readonly name: string;
      readonly candidates: readonly string[];
      readonly hint: string;
    }
  | { readonly code: "no-contact"; readonly hint: string }
  | { readonly code: "bad-duration"; readonly hint: string }
  | { readonly code: "in-the-past"; readonly hint: string };

export type IntentErrorCode = IntentError["code"];
