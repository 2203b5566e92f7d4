/**
 * Several tabs of one profile share one IndexedDB. One of them, the leader,
 * holds the relay connection, sends the outbox and runs the expiry clock; the
 * others only read and write storage. Every tab tells the others when it
 * changed something, so all screens stay current. Leadership is a Web Lock,
 * so it passes on by itself when the leader's tab closes.
 */
export type Tabs = {
  /** Runs `lead` once this tab is the leader; `lead` returns how to step down. Returns how to stop waiting or leading. */
  whenLeader(lead: () => () => void): () => void;
  /** Tells the other tabs that storage changed. */
  announce(): void;
  /** Calls `listener` when another tab changed storage. Returns how to stop listening. */
  onChange(listener: () => void): () => void;
};

/** For a single tab (and Node): always the leader, nobody to tell. */
export const singleTab: Tabs = {
  whenLeader(lead) {
    return lead();
  },
  announce() {},
  onChange() {
    return () => undefined;
  },
};

type LockManager = { request(name: string, callback: () => Promise<void>): Promise<void> };

/** Browser tabs coordinated through the Web Locks API and a BroadcastChannel; `singleTab` where either is missing. */
export function browserTabs(name: string): Tabs {
  // Typed locally: the DOM library's LockManager overloads are awkward to satisfy and only this call is needed.
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks === undefined || typeof BroadcastChannel === "undefined") return singleTab;
  const channel = new BroadcastChannel(`${name}:changes`);
  return {
    whenLeader(lead) {
      let release: (() => void) | undefined;
      let cancelled = false;
      void locks.request(`${name}:leader`, async () => {
        if (cancelled) return;
        const stepDown = lead();
        await new Promise<void>((resolve) => (release = resolve));
        stepDown();
      });
      return () => {
        cancelled = true;
        release?.();
      };
    },
    announce() {
      channel.postMessage("changed");
    },
    onChange(listener) {
      const handler = () => listener();
      channel.addEventListener("message", handler);
      return () => channel.removeEventListener("message", handler);
    },
  };
}
