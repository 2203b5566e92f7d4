import {
  addressOf,
  identityFromBytes,
  loadCrypto,
  publicIdentityOf,
  safetyNumber,
  type RandomBytes,
  type SafetyNumber,
} from "../../protocol/crypto";
import type { ContactRow } from "../storage/rows";
import { contactIdentity } from "./sessions";
import type { Address } from "../../protocol/address";
import type { Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";
import { relayError } from "../../protocol/errors";
import { DISPLAY_NAME_MAX, parseInvite } from "../../protocol/messages";
import { MAILBOX_TTL_MS } from "../../protocol/limits";
import type { Slot } from "../../protocol/messages";
import { createAppStore, type AppStore } from "../state/store";
import type { ParleyDb } from "../storage/db";
import { describeRelayProblem, type RelayConnection, type ConnectRelay } from "./relay";
import type { Runtime, Session } from "./context";
import { handleCommand } from "./assistant";
import { handleEnvelope } from "./inbound";
import { removeContact, setContactPolicy, unverifyContact, verifyContact } from "./contacts";
import { savePreferences } from "./preferences";
import { approveMeeting, cancelMeeting, declineMeeting, expireDue, rescheduleMeeting } from "./meetings";
import { flushOutbox } from "./outbound";
import { loadIdentityRow, refresh } from "./view";
import { acceptInvite, createInviteLink, describeInviteError } from "./invites";
import { createIdentityRow } from "./identity";
import { addEvent, keepBoth, removeEvent } from "./calendar";
import { singleTab, type Tabs } from "./tabs";

/** How often open negotiations are checked for expiry; proposals live for days, so a minute is plenty. */
const EXPIRY_CHECK_MS = 60_000;

export type ParleyDeps = {
  readonly db: ParleyDb;
  /** The relay every agent of this deployment uses; the app is served by it, so usually `location.origin`. */
  readonly relayUrl: string;
  /** Where invite links point: the origin serving the app. */
  readonly appOrigin: string;
  readonly connect: ConnectRelay;
  readonly now: () => number;
  readonly randomBytes: RandomBytes;
  readonly timeZone: string;
  /** The other tabs of this profile; a single tab when absent. */
  readonly tabs?: Tabs;
};

/**
 * The browser runtime: the one I/O adapter around the pure agent engine. It
 * owns storage, the relay connection and the store; screens only call these
 * actions and read the store.
 */
export type Parley = ReturnType<typeof createParley>;

export function createParley(deps: ParleyDeps) {
  const store: AppStore = createAppStore(deps.timeZone);
  const tabs = deps.tabs ?? singleTab;
  let connection: RelayConnection | undefined;
  let session: Session | undefined;
  /** Undoes what begin() set up: leadership (connection, clock) and listening to other tabs. */
  let teardown: (() => void) | undefined;
  // Each start() gets a number and stop() moves it on, so a start still awaiting when stop() came (a React
  // effect cleaned up early) sets nothing up, while a later start() works again.
  let generation = 0;

  const runtime: Runtime = {
    db: deps.db,
    store,
    now: deps.now,
    randomBytes: deps.randomBytes,
    timeZone: deps.timeZone,
    tabs,
    send: (envelope: Envelope): Promise<SendResult> =>
      connection
        ? connection.send(envelope)
        : Promise.resolve({ ok: false, error: relayError("unauthenticated", "not connected to the relay") }),
  };

  function requireSession(action: string): Session {
    if (session === undefined) throw new Error(`parley.${action}: no identity yet; finish onboarding first`);
    return session;
  }

  /**
   * What only the leading tab does: hold the relay connection, send the outbox, run the clock. Every minute it
   * also sends what the outbox still holds, so a message is never left waiting for an event that was missed.
   */
  function lead(current: Session): () => void {
    const tick = () => {
      void expireDue(current).catch((error: unknown) => console.warn("parley: expiry check failed", error));
      if (connection !== undefined) void flushOutbox(current);
    };
    const timer = setInterval(tick, EXPIRY_CHECK_MS);
    store.setState({ otherTab: false });
    connection = deps.connect({
      url: deps.relayUrl,
      identity: current.identity,
      onEnvelope: async (envelope) => {
        await handleEnvelope(current, envelope);
      },
      onStatus: (status) => {
        store.setState({ connection: status });
        tabs.announceStatus(status);
        if (status === "online") void flushOutbox(current);
      },
      onError: (error) => {
        const notice = describeRelayProblem(error);
        if (notice !== undefined) store.setState({ notice });
      },
    });
    tick();
    return () => {
      clearInterval(timer);
      connection?.close();
      connection = undefined;
      store.setState({ connection: "offline", otherTab: true });
      tabs.announceStatus("offline");
    };
  }

  async function begin(name: string, identityRow: Parameters<typeof identityFromBytes>[0], mine: number) {
    const identity = identityFromBytes(identityRow);
    if (identity === undefined) throw new Error("parley.begin: stored identity keys have the wrong lengths");
    if (mine !== generation || session !== undefined) return;
    const current: Session = { ...runtime, identity, name };
    session = current;
    // "ready" only once the data is in the store: screens and alerts must not take an empty first view for news.
    await refresh(current, { announce: false });
    store.setState({ self: { name, address: addressOf(identity.signing.publicKey) }, phase: "ready" });
    // Ids older than any mailbox keeps an envelope cannot come again.
    await current.db.seen
      .where("at")
      .below(deps.now() - MAILBOX_TTL_MS - 86_400_000)
      .delete();
    if (mine !== generation) return;
    let leading = false;
    store.setState({ otherTab: true });
    const stopListening = tabs.listen({
      onChange: () => {
        void refresh(current, { announce: false });
        // Another tab stored outgoing messages: the leader sends them.
        if (leading) void flushOutbox(current);
      },
      onStatus: (status) => {
        if (!leading) store.setState({ connection: status });
      },
      onAsk: () => {
        if (leading) tabs.announceStatus(store.getState().connection);
      },
    });
    const stopLeading = tabs.whenLeader(() => {
      leading = true;
      const stepDown = lead(current);
      return () => {
        leading = false;
        stepDown();
      };
    });
    teardown = () => {
      stopLeading();
      stopListening();
    };
  }

  return {
    store,

    async start(): Promise<void> {
      // Numbered before the first await, so a stop() while crypto loads cancels this start.
      const mine = ++generation;
      try {
        await loadCrypto();
        if (mine !== generation) return;
        const row = await loadIdentityRow(runtime);
        if (row === undefined) store.setState({ phase: "onboarding" });
        else await begin(row.name, row, mine);
      } catch (error) {
        store.setState({ phase: "failed", failure: error instanceof Error ? error.message : String(error) });
      }
    },

    async createIdentity(name: string): Promise<void> {
      const made = await createIdentityRow(runtime, name);
      if (made.code === "bad-name") {
        store.setState({ notice: `Choose a name of 1 to ${DISPLAY_NAME_MAX} characters.` });
        return;
      }
      if (made.code === "adopted") {
        store.setState({ notice: `This browser already has an agent, ${made.row.name}, made in another tab.` });
      }
      await begin(made.row.name, made.row, generation);
      const pending = store.getState().pendingInvite;
      if (pending !== undefined) await this.openInvite(pending.token);
    },

    /** Handles an invite token from a link's fragment: remembered until onboarding is done, then accepted. */
    async openInvite(token: string): Promise<void> {
      const parsed = parseInvite(token, deps.now());
      if (!parsed.ok) {
        store.setState({ notice: describeInviteError(parsed.error), pendingInvite: undefined });
      } else if (session === undefined) {
        store.setState({ pendingInvite: { token, inviterName: parsed.value.name } });
      } else {
        const notice = await acceptInvite(session, parsed.value, deps.relayUrl);
        store.setState({ pendingInvite: undefined, notice });
      }
    },

    async createInviteLink(): Promise<string> {
      const link = await createInviteLink(requireSession("createInviteLink"), deps.relayUrl, deps.appOrigin);
      store.setState({ inviteLink: link });
      return link;
    },

    async addEvent(input: { title: string; start: number; end: number }): Promise<void> {
      const problem = await addEvent(requireSession("addEvent"), input);
      if (problem !== undefined) store.setState({ notice: problem });
    },

    removeEvent: (id: string) => removeEvent(requireSession("removeEvent"), id),
    keepBoth: (eventId: string, meetingId: string) => keepBoth(requireSession("keepBoth"), eventId, meetingId),
    say: (text: string) => handleCommand(requireSession("say"), text),
    approve: (meetingId: string, slot: Slot) => approveMeeting(requireSession("approve"), meetingId, slot),
    decline: (meetingId: string) => declineMeeting(requireSession("decline"), meetingId),
    cancel: (meetingId: string) => cancelMeeting(requireSession("cancel"), meetingId),
    reschedule: (meetingId: string) => rescheduleMeeting(requireSession("reschedule"), meetingId),
    dismissNotice: () => store.setState({ notice: undefined }),
    savePreferences: async (value: unknown) => {
      store.setState({ notice: await savePreferences(requireSession("savePreferences"), value) });
    },
    verifyContact: async (address: Address) => {
      store.setState({ notice: await verifyContact(requireSession("verifyContact"), address) });
    },
    unverifyContact: (address: Address) => unverifyContact(requireSession("unverifyContact"), address),
    /** Validates and stores what the agent may do on its own for a contact; the notice says what was saved, or why not. */
    setContactPolicy: async (address: Address, value: unknown) => {
      store.setState({ notice: await setContactPolicy(requireSession("setContactPolicy"), address, value) });
    },
    /** The safety number with a contact: about 10 ms of hashing, so screens compute it on demand. */
    safetyNumberWith(contact: ContactRow): SafetyNumber {
      const current = requireSession("safetyNumberWith");
      return safetyNumber(
        { identity: publicIdentityOf(current.identity), address: addressOf(current.identity.signing.publicKey) },
        { identity: contactIdentity(contact), address: contact.address },
      );
    },
    removeContact: async (address: Address) => {
      store.setState({ notice: await removeContact(requireSession("removeContact"), address) });
    },

    /** Sends what the outbox holds now (the leading tab only); resolves when the relay has taken it or sending stopped. */
    async flush(): Promise<void> {
      if (session !== undefined && connection !== undefined) await flushOutbox(session);
    },

    stop(): void {
      generation += 1;
      teardown?.();
      teardown = undefined;
      session = undefined;
    },
  };
}
