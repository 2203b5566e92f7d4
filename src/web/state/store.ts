import { createStore } from "zustand/vanilla";
import type { Address } from "../../protocol/address";
import { DEFAULT_PREFERENCES, type ContactPolicy, type Preferences } from "../../agent";
import type { ChatRow, ContactRow, EventRow, MeetingRow } from "../storage/rows";

/**
 * Everything the screens show, in one vanilla store. Only the runtime writes
 * to it (after storage has the change); components read through `useApp`.
 */
import type { RelayStatus } from "../transport/relay-client";

export type PendingInvite = { readonly token: string; readonly inviterName: string };

/** A contact's policy as read from storage (the default when missing or damaged), with its sentence for the human. */
export type ContactPolicyView = { readonly policy: ContactPolicy; readonly description: string };

export type AppState = {
  /** The user's IANA zone: every time on screen is shown in it. */
  readonly timeZone: string;
  readonly phase: "loading" | "onboarding" | "ready" | "failed";
  readonly failure?: string | undefined;
  readonly self?: { readonly name: string; readonly address: Address } | undefined;
  readonly contacts: readonly ContactRow[];
  /** Each contact's policy, by address. */
  readonly contactPolicies: ReadonlyMap<Address, ContactPolicyView>;
  readonly events: readonly EventRow[];
  readonly meetings: readonly MeetingRow[];
  readonly chat: readonly ChatRow[];
  /** Meetings with a message still in the outbox, not yet taken by the relay. */
  readonly unsent: ReadonlySet<string>;
  readonly connection: RelayStatus;
  /** Another tab of this profile holds the relay connection; this one works through shared storage. */
  readonly otherTab: boolean;
  /** An invite link opened before an identity existed; accepted right after onboarding. */
  readonly pendingInvite?: PendingInvite | undefined;
  /** The most recent invite link this user created. */
  readonly inviteLink?: string | undefined;
  /** One line for the human: what just happened or what went wrong. */
  readonly notice?: string | undefined;
  /** Scheduling preferences as stored (or the defaults). */
  readonly preferences: Preferences;
  /** The runtime's clock at the last refresh: what "still held" and "still free" are judged against on screen. */
  readonly refreshedAt: number;
};

const initialState: Omit<AppState, "timeZone" | "preferences"> = {
  phase: "loading",
  contacts: [],
  contactPolicies: new Map(),
  events: [],
  meetings: [],
  chat: [],
  unsent: new Set(),
  connection: "offline",
  otherTab: false,
  refreshedAt: 0,
};

export const createAppStore = (timeZone: string) =>
  createStore<AppState>()(() => ({ ...initialState, timeZone, preferences: DEFAULT_PREFERENCES(timeZone) }));
export type AppStore = ReturnType<typeof createAppStore>;
