import type { IdentityKeyPair, RandomBytes } from "../../protocol/crypto";
import type { Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";
import type { ParleyDb } from "../storage/db";
import type { AppStore } from "../state/store";
import type { Tabs } from "./tabs";

/** What every runtime module works with: storage, the store, the clock and, once onboarded, the identity. */
export type Runtime = {
  readonly db: ParleyDb;
  readonly store: AppStore;
  readonly now: () => number;
  readonly randomBytes: RandomBytes;
  readonly timeZone: string;
  /** Sends an envelope through the relay; resolves when the relay stored it or refused it. */
  readonly send: (envelope: Envelope) => Promise<SendResult>;
  /** The other tabs of this profile, told after every change this tab stores. */
  readonly tabs: Tabs;
};

export type Session = Runtime & { readonly identity: IdentityKeyPair; readonly name: string };
