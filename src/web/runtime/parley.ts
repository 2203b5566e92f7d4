import { newMessageId, wrapPeerMessage } from "../../agent/wire";
import { addressOf, generateIdentity, identityFromBytes, loadCrypto, type RandomBytes } from "../../protocol/crypto";
import type { Envelope } from "../../protocol/envelope";
import type { SendResult } from "../../protocol/events";
import { relayError } from "../../protocol/errors";
import { createInvite, parseInvite, PEER_MESSAGE_VERSION, type Invite } from "../../protocol/messages";
import { MAILBOX_TTL_MS } from "../../protocol/limits";
import type { Slot } from "../../protocol/messages";
import { createAppStore, type AppStore } from "../state/store";
import type { ParleyDb } from "../storage/db";
import type { RelayConnection, ConnectRelay } from "./relay";
import type { Runtime, Session } from "./context";
import { handleCommand } from "./assistant";
import { handleEnvelope } from "./inbound";
import { approveMeeting, cancelMeeting, declineMeeting, expireDue } from "./meetings";
import { flushOutbox, toOutboxRow } from "./outbound";
import { addChat, loadIdentityRow, refresh } from "./view";

export const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
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
};

/**
 * The browser runtime: the one I/O adapter around the pure agent engine. It
 * owns storage, the relay connection and the store; screens only call these
 * actions and read the store.
 */
export type Parley = ReturnType<typeof createParley>;

export function createParley(deps: ParleyDeps) {
  const store: AppStore = createAppStore(deps.timeZone);
  let connection: RelayConnection | undefined;
  let session: Session | undefined;
  let expiryTimer: ReturnType<typeof setInterval> | undefined;
  // stop() may come while start() is still awaiting (a React effect cleaned up early): nothing may start after it.
  let stopped = false;

  const runtime: Runtime = {
    db: deps.db,
    store,
    now: deps.now,
    randomBytes: deps.randomBytes,
    timeZone: deps.timeZone,
    send: (envelope: Envelope): Promise<SendResult> =>
      connection
        ? connection.send(envelope)
        : Promise.resolve({ ok: false, error: relayError("unauthenticated", "not connected to the relay") }),
  };

  function requireSession(action: string): Session {
    if (session === undefined) throw new Error(`parley.${action}: no identity yet; finish onboarding first`);
    return session;
  }

  async function begin(name: string, identityRow: Parameters<typeof identityFromBytes>[0]): Promise<void> {
    const identity = identityFromBytes(identityRow);
    if (identity === undefined) throw new Error("parley.begin: stored identity keys have the wrong lengths");
    if (stopped) return;
    const current: Session = { ...runtime, identity, name };
    session = current;
    store.setState({ self: { name, address: addressOf(identity.signing.publicKey) }, phase: "ready" });
    await refresh(current);
    // Ids older than any mailbox keeps an envelope cannot come again.
    await current.db.seen
      .where("at")
      .below(deps.now() - MAILBOX_TTL_MS - 86_400_000)
      .delete();
    if (stopped) return;
    const runExpiry = () =>
      void expireDue(current).catch((error: unknown) => console.warn("parley: expiry check failed", error));
    runExpiry();
    expiryTimer = setInterval(runExpiry, EXPIRY_CHECK_MS);
    connection = deps.connect({
      url: deps.relayUrl,
      identity,
      onEnvelope: (envelope) => handleEnvelope(current, envelope),
      onStatus: (status) => {
        store.setState({ connection: status });
        if (status === "online") void flushOutbox(current);
      },
      onError: (error) => {
        // Only what the human can act on; transient refusals are retried by the client itself.
        if (error.code === "origin-mismatch") {
          store.setState({
            notice: `The relay asked to be trusted as ${error.received}, not ${error.expected}; not connecting.`,
          });
        } else if (error.code === "relay-error" && error.error.code === "auth-failed") {
          store.setState({ notice: "The relay refused this agent's identity." });
        }
      },
    });
  }

  async function acceptInvite(current: Session, invite: Invite): Promise<void> {
    if (invite.address === addressOf(current.identity.signing.publicKey)) {
      store.setState({ notice: "This is your own invite link: send it to someone else." });
      return;
    }
    if (originOf(invite.relay) !== originOf(deps.relayUrl)) {
      // Agents on different relays cannot reach each other yet; adding the contact would fail silently later.
      store.setState({
        notice: `${invite.name} uses another relay (${invite.relay}); this app is connected to ${deps.relayUrl}. Open the invite in the app served by their relay.`,
      });
      return;
    }
    const wrapped = wrapPeerMessage({
      sender: current.identity,
      recipient: invite.identity,
      message: { v: PEER_MESSAGE_VERSION, t: "contact-request", inviteId: invite.inviteId, name: current.name },
      randomBytes: current.randomBytes,
    });
    if (!wrapped.ok) throw new Error("parley.acceptInvite: a contact request cannot exceed the size limit");
    const row = toOutboxRow(wrapped.value, current.now());
    const db = current.db;
    await db.transaction("rw", [db.contacts, db.outbox, db.chat], async () => {
      await db.contacts.put({
        address: invite.address,
        name: invite.name,
        signingKey: invite.identity.signingKey,
        agreementKey: invite.identity.agreementKey,
        addedAt: current.now(),
        via: "their-invite",
      });
      await db.outbox.put(row);
      await addChat(current, "agent", `${invite.name} is now a contact. I let their agent know.`);
    });
    store.setState({ pendingInvite: undefined, notice: `${invite.name} added to your contacts.` });
    await refresh(current);
    void flushOutbox(current);
  }

  return {
    store,

    async start(): Promise<void> {
      try {
        await loadCrypto();
        const row = await loadIdentityRow(runtime);
        if (row === undefined) store.setState({ phase: "onboarding" });
        else await begin(row.name, row);
      } catch (error) {
        store.setState({ phase: "failed", failure: error instanceof Error ? error.message : String(error) });
      }
    },

    async createIdentity(name: string): Promise<void> {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > 80) {
        store.setState({ notice: "Choose a name of 1 to 80 characters." });
        return;
      }
      const identity = generateIdentity();
      const row = {
        id: "self" as const,
        name: trimmed,
        signingPublicKey: identity.signing.publicKey,
        signingSecretKey: identity.signing.secretKey,
        agreementPublicKey: identity.agreement.publicKey,
        agreementSecretKey: identity.agreement.secretKey,
        createdAt: deps.now(),
      };
      // `add`, not `put`: a second tab that onboarded first must not have its keys overwritten; use that one.
      const added = await deps.db.identity.add(row).then(
        () => true,
        (error: unknown) => {
          if (error instanceof Error && error.name === "ConstraintError") return false;
          throw error;
        },
      );
      const stored = added ? row : await loadIdentityRow(runtime);
      if (stored === undefined)
        throw new Error("parley.createIdentity: the identity vanished after a conflicting write");
      if (!added) store.setState({ notice: `This browser already has an agent, ${stored.name}, made in another tab.` });
      await begin(stored.name, stored);
      void requestPersistentStorage();
      const pending = store.getState().pendingInvite;
      if (pending !== undefined) await this.openInvite(pending.token);
    },

    /** Handles an invite token from a link's fragment: remembered until onboarding is done, then accepted. */
    async openInvite(token: string): Promise<void> {
      const parsed = parseInvite(token, deps.now());
      if (!parsed.ok) {
        const why = {
          malformed: "This invite link is damaged. Ask for a new one.",
          "bad-signature": "This invite link was altered after it was made. Ask for a new one.",
          expired: "This invite link has expired. Ask for a new one.",
        }[parsed.error.code];
        store.setState({ notice: why, pendingInvite: undefined });
        return;
      }
      if (session === undefined) store.setState({ pendingInvite: { token, inviterName: parsed.value.name } });
      else await acceptInvite(session, parsed.value);
    },

    async createInviteLink(): Promise<string> {
      const current = requireSession("createInviteLink");
      const inviteId = newMessageId(current.randomBytes);
      const expiresAt = current.now() + INVITE_LIFETIME_MS;
      const token = createInvite({
        identity: current.identity,
        name: current.name,
        relay: deps.relayUrl,
        inviteId,
        expiresAt,
      });
      const link = `${deps.appOrigin}/invite#${token}`;
      await current.db.invites.put({ id: inviteId, createdAt: current.now(), expiresAt, link });
      store.setState({ inviteLink: link });
      return link;
    },

    async addEvent(input: { title: string; start: number; end: number }): Promise<void> {
      const current = requireSession("addEvent");
      if (!Number.isFinite(input.start) || !Number.isFinite(input.end) || input.end <= input.start) {
        store.setState({ notice: "An event must end after it starts." });
        return;
      }
      const title = input.title.trim().slice(0, 200) || "Busy";
      await current.db.events.put({ id: newMessageId(current.randomBytes), title, start: input.start, end: input.end });
      await refresh(current);
    },

    async removeEvent(id: string): Promise<void> {
      const current = requireSession("removeEvent");
      await current.db.events.delete(id);
      await refresh(current);
    },

    say: (text: string) => handleCommand(requireSession("say"), text),
    approve: (meetingId: string, slot: Slot) => approveMeeting(requireSession("approve"), meetingId, slot),
    decline: (meetingId: string) => declineMeeting(requireSession("decline"), meetingId),
    cancel: (meetingId: string) => cancelMeeting(requireSession("cancel"), meetingId),
    dismissNotice: () => store.setState({ notice: undefined }),

    stop(): void {
      stopped = true;
      clearInterval(expiryTimer);
      connection?.close();
      connection = undefined;
    },
  };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Asks the browser not to evict this origin's storage: it holds the only copy of the identity keys. */
async function requestPersistentStorage(): Promise<void> {
  const storage = (globalThis as { navigator?: { storage?: { persist?: () => Promise<boolean> } } }).navigator?.storage;
  await storage?.persist?.().catch(() => false);
}
