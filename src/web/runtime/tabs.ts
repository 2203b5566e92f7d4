import type { RelayStatus } from "../transport/relay-client";

/**
 * Several tabs of one profile share one IndexedDB. One of them, the leader,
 * holds the relay connection, sends the outbox and runs the clock; the others
 * only read and write storage. Tabs tell each other when they stored a change
 * (so every screen stays current) and the leader tells the others how its
 * connection is. Leadership is a Web Lock: it passes on by itself when the
 * leader's tab closes, and a tab the human brings to the front takes it over,
 * since a background tab may be suspended while still holding the lock.
 */
export type Tabs = {
  /** Runs `lead` whenever this tab becomes the leader; `lead` returns how to step down. Returns how to stop. */
  whenLeader(lead: () => () => void): () => void;
  /** Tells the other tabs that storage changed. */
  announceChange(): void;
  /** The leader tells the other tabs how its relay connection is. */
  announceStatus(status: RelayStatus): void;
  /** Listens to the other tabs. Returns how to stop listening. */
  listen(handlers: TabHandlers): () => void;
  /**
   * Runs `work` while no other tab of this profile runs exclusive work: the
   * ratchet's read-advance-write. Never stolen, unlike the lead.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
};

export type TabHandlers = {
  readonly onChange: () => void;
  readonly onStatus: (status: RelayStatus) => void;
  /** Another tab asks the leader for its status (a tab that just started). */
  readonly onAsk: () => void;
};

/** For a single tab (and Node): always the leader, nobody to tell, and exclusive work queued in this process. */
export const singleTab: Tabs = {
  whenLeader: (lead) => lead(),
  announceChange() {},
  announceStatus() {},
  listen: () => () => undefined,
  exclusive: inProcessQueue(),
};

function inProcessQueue(): Tabs["exclusive"] {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

type LockOptions = { steal?: boolean; signal?: AbortSignal };
type LockManager = {
  request<T>(name: string, options: LockOptions, callback: () => Promise<T>): Promise<T>;
};
type TabMessage = { kind: "changed" } | { kind: "status"; status: RelayStatus } | { kind: "ask" };

const STATUSES: ReadonlySet<unknown> = new Set(["offline", "connecting", "online"]);

const isStatus = (value: unknown): value is RelayStatus => STATUSES.has(value);

/** Other tabs are this origin's own code, but a message is still checked before use. */
function parseMessage(data: unknown): TabMessage | undefined {
  if (typeof data !== "object" || data === null || !("kind" in data)) return undefined;
  if (data.kind === "changed" || data.kind === "ask") return { kind: data.kind };
  if (data.kind === "status" && "status" in data && isStatus(data.status))
    return { kind: "status", status: data.status };
  return undefined;
}

/** Browser tabs coordinated through the Web Locks API and a BroadcastChannel; `singleTab` where either is missing. */
export function browserTabs(name: string): Tabs {
  // Typed locally: the DOM library's LockManager overloads are awkward to satisfy and only this call is needed.
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks === undefined || typeof BroadcastChannel === "undefined") return singleTab;
  const channel = new BroadcastChannel(`${name}:tabs`);
  const post = (message: TabMessage): void => channel.postMessage(message);
  const lockName = `${name}:leader`;
  const ratchetLock = `${name}:ratchet`;

  return {
    whenLeader(lead) {
      let stopped = false;
      let stepDown: (() => void) | undefined;
      let release: (() => void) | undefined;
      let waiting: AbortController | undefined;

      const request = (steal: boolean): void => {
        waiting?.abort();
        const controller = new AbortController();
        waiting = steal ? undefined : controller;
        locks
          .request(lockName, steal ? { steal: true } : { signal: controller.signal }, async () => {
            if (stopped || stepDown !== undefined) return;
            waiting = undefined;
            try {
              stepDown = lead();
            } catch (error) {
              console.warn("tabs: could not take the lead", error);
              return;
            }
            await new Promise<void>((resolve) => (release = resolve));
          })
          .catch(() => {
            // Our own wait was aborted (nothing to do), or another tab took the lock from us: step down, queue again.
            if (stepDown === undefined) return;
            stepDown();
            stepDown = undefined;
            release = undefined;
            if (!stopped) request(false);
          });
      };

      const onVisible = (): void => {
        if (document.visibilityState === "visible" && stepDown === undefined && !stopped) request(true);
      };
      document.addEventListener("visibilitychange", onVisible);
      request(false);

      return () => {
        stopped = true;
        document.removeEventListener("visibilitychange", onVisible);
        waiting?.abort();
        stepDown?.();
        stepDown = undefined;
        release?.();
      };
    },
    exclusive: (work) => locks.request(ratchetLock, {}, work),
    announceChange: () => post({ kind: "changed" }),
    announceStatus: (status) => post({ kind: "status", status }),
    listen(handlers) {
      const onMessage = (event: MessageEvent<unknown>): void => {
        const message = parseMessage(event.data);
        if (message?.kind === "changed") handlers.onChange();
        else if (message?.kind === "status") handlers.onStatus(message.status);
        else if (message?.kind === "ask") handlers.onAsk();
      };
      channel.addEventListener("message", onMessage);
      post({ kind: "ask" });
      return () => channel.removeEventListener("message", onMessage);
    },
  };
}
