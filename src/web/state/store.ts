import { createStore } from "zustand/vanilla";
import type { Address } from "../../protocol/address";
import type { ChatRow, ContactRow, EventRow, MeetingRow } from "../storage/rows";

/**
 * Everything the screens show, in one vanilla store. Only the runtime writes
 * to it (after storage has the change); components read through `useApp`.
 */
export type ConnectionStatus = "offline" | "connecting" | "online";

export type PendingInvite = { readonly token: string; readonly inviterName: string };

export type AppState = {
  readonly phase: "loading" | "onboarding" | "ready" | "failed";
  readonly failure?: string | undefined;
  readonly self?: { readonly name: string; readonly address: Address } | undefined;
  readonly contacts: readonly ContactRow[];
  readonly events: readonly EventRow[];
  readonly meetings: readonly MeetingRow[];
  readonly chat: readonly ChatRow[];
  readonly connection: ConnectionStatus;
  /** An invite link opened before an identity existed; accepted right after onboarding. */
  readonly pendingInvite?: PendingInvite | undefined;
  /** The most recent invite link this user created. */
  readonly inviteLink?: string | undefined;
  /** One line for the human: what just happened or what went wrong. */
  readonly notice?: string | undefined;
};

export const initialState: AppState = {
  phase: "loading",
  contacts: [],
  events: [],
  meetings: [],
  chat: [],
  connection: "offline",
};

export const createAppStore = () => createStore<AppState>()(() => initialState);
export type AppStore = ReturnType<typeof createAppStore>;
