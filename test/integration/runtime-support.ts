import "fake-indexeddb/auto";
import { afterEach, beforeAll, expect } from "vitest";
import { sealFirstMessage, sealInSession } from "../../src/agent/wire";
import {
  generateIdentity,
  loadCrypto,
  publicIdentityOf,
  signPrekey,
  systemRandomBytes,
  x25519PublicKey,
  type IdentityKeyPair,
  type X25519SecretKey,
} from "../../src/protocol/crypto";
import type { Address } from "../../src/protocol/address";
import type { Envelope, MessageId } from "../../src/protocol/envelope";
import { parseInvite, type AgentMessage, type PeerMessage } from "../../src/protocol/messages";
import { startServer } from "../../src/relay/server";
import { createParley, type Parley } from "../../src/web/runtime/parley";
import type { AppState } from "../../src/web/state/store";
import { ParleyDb } from "../../src/web/storage/db";
import { connectRelay } from "../../src/web/transport/relay-client";
import type { ConnectRelay } from "../../src/web/runtime/relay";

/**
 * The browser runtime in Node: real relay, real relay client, real Dexie over
 * an in-memory IndexedDB. `useRuntimeHarness()` registers the hooks that load
 * crypto and stop every runtime and relay a test started.
 */
export const DAY = 86_400_000;
// A fixed Wednesday 09:00 UTC, so "tomorrow at 3pm" is a weekday whatever day the suite runs.
export const NOW = Date.UTC(2026, 10, 18, 9, 0);
const quiet = { debug() {}, info() {}, warn() {} };

let server: Awaited<ReturnType<typeof startServer>> | undefined;
const running: Parley[] = [];
let dbCount = 0;

export function useRuntimeHarness(): void {
  beforeAll(async () => {
    await loadCrypto();
  });
  afterEach(async () => {
    for (const parley of running.splice(0)) parley.stop();
    await server?.close();
    server = undefined;
  });
}

export async function start(): Promise<void> {
  server = await startServer({ port: 0, host: "127.0.0.1", logger: quiet });
}

/** Stops the relay (the runtimes see it go down); `start()` brings up another on a new port. */
export async function stopRelay(): Promise<void> {
  await server?.close();
}

function relayUrl(): string {
  if (server === undefined) throw new Error("test: start() the relay first");
  return server.url;
}

export function person(
  db = new ParleyDb(`runtime-test-${++dbCount}`),
  now = () => NOW,
  connect: ConnectRelay = connectRelay,
): { parley: Parley; db: ParleyDb } {
  const parley = createParley({
    db,
    relayUrl: relayUrl(),
    appOrigin: relayUrl(),
    connect,
    now,
    randomBytes: systemRandomBytes,
    timeZone: "Europe/London",
  });
  running.push(parley);
  return { parley, db };
}

/** Resolves when the store satisfies `predicate`; fails after `ms` instead of hanging. */
export function until(parley: Parley, predicate: (state: AppState) => boolean, ms = 5_000): Promise<AppState> {
  return new Promise((resolve, reject) => {
    const check = (state: AppState) => {
      if (!predicate(state)) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(state);
      return true;
    };
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`until: condition not met within ${ms} ms`));
    }, ms);
    const unsubscribe = parley.store.subscribe((state) => void check(state));
    check(parley.store.getState());
  });
}

export async function onboarded(name: string) {
  const p = person();
  await p.parley.start();
  await p.parley.createIdentity(name);
  await until(p.parley, (s) => s.connection === "online");
  return p;
}

export async function connectedPair() {
  const alice = await onboarded("Alice");
  const bob = await onboarded("Bob");
  const link = await alice.parley.createInviteLink();
  await bob.parley.openInvite(tokenOf(link));
  await until(alice.parley, (s) => s.contacts.some((c) => c.name === "Bob"));
  return { alice, bob };
}

export const tokenOf = (link: string): string => link.slice(link.indexOf("#") + 1);

/** The first message of a session started from an invite link: a contact request, as an invitee's app sends it. */
export function firstMessage(sender: IdentityKeyPair, link: string, name: string): Envelope {
  const invite = parseInvite(tokenOf(link), NOW);
  if (!invite.ok) throw new Error(`test: invite does not parse: ${invite.error.code}`);
  const message: PeerMessage = { v: 2, t: "contact-request", inviteId: invite.value.inviteId, name };
  const sealed = sealFirstMessage({
    ours: sender,
    bundle: invite.value.bundle,
    message,
    randomBytes: systemRandomBytes,
  });
  if (!sealed.ok) throw new Error("test: could not seal");
  return sealed.value.envelope;
}

/**
 * An agent message encrypted in a real session, but one Mallory has with somebody else (Carol), addressed to
 * `to`: the best a stranger without an invite can do.
 */
export function strangersAgentMessage(to: Address, message: AgentMessage): Envelope {
  const mallory = generateIdentity();
  const carol = generateIdentity();
  const secret = () => systemRandomBytes(32) as X25519SecretKey;
  const signed = secret();
  const oneTime = secret();
  const bundle = {
    identity: publicIdentityOf(carol),
    signedPrekey: x25519PublicKey(signed),
    signedPrekeySignature: signPrekey(carol, x25519PublicKey(signed)),
    oneTimePrekey: x25519PublicKey(oneTime),
    prekeyId: systemRandomBytes(16),
  };
  const hello: PeerMessage = { v: 2, t: "contact-request", inviteId: "AAAAAAAAAAAAAAAAAAAAAA" as MessageId, name: "M" };
  const first = sealFirstMessage({ ours: mallory, bundle, message: hello, randomBytes: systemRandomBytes });
  if (!first.ok) throw new Error("test: could not seal");
  const sealed = sealInSession({
    state: first.value.state,
    to,
    message: { v: 2, t: "agent", message },
    randomBytes: systemRandomBytes,
  });
  if (!sealed.ok) throw new Error("test: could not seal");
  return sealed.value.envelope;
}

/** Sends an envelope as a throwaway relay client: sealed sender means any authenticated socket may carry it. */
export async function deliverRaw(envelope: Envelope): Promise<void> {
  const client = connectRelay({ url: relayUrl(), identity: generateIdentity(), onEnvelope: async () => {} });
  try {
    const result = await client.send(envelope);
    expect(result.ok).toBe(true);
  } finally {
    client.close();
  }
}
