"use client";
import { useEffect, useState } from "react";
import { systemRandomBytes } from "../../protocol/crypto";
import { createParley, type Parley } from "../runtime/parley";
import { browserTabs } from "../runtime/tabs";
import { ParleyDb } from "../storage/db";
import { connectRelay } from "../transport/relay-client";
import { ParleyContext } from "../state/use-app";
import type { AppState } from "../state/store";
import { Shell } from "./Shell";
import { registerServiceWorker } from "../pwa/register";

const PENDING_INVITE = "parley.pendingInvite";

function createBrowserParley(): Parley {
  return createParley({
    db: new ParleyDb(),
    relayUrl: window.location.origin,
    appOrigin: window.location.origin,
    connect: connectRelay,
    now: Date.now,
    randomBytes: systemRandomBytes,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    tabs: browserTabs("parley"),
  });
}

/** The composition root in the browser: one runtime per tab, started once. */
export default function ClientApp() {
  const [parley] = useState(createBrowserParley);
  useEffect(() => {
    const fromLink = window.location.pathname.startsWith("/invite") ? window.location.hash.slice(1) : "";
    // Drop the invite from the address bar so a shared screen does not show it, but keep it for this tab
    // until it is handled: a reload during onboarding must not lose it.
    if (fromLink) {
      sessionStorage.setItem(PENDING_INVITE, fromLink);
      window.history.replaceState(null, "", "/");
    }
    const invite = fromLink || sessionStorage.getItem(PENDING_INVITE);
    let unsubscribe = (): void => undefined;
    // A remount (React's development double run) cleans up before this finishes: it must then do nothing more.
    let cancelled = false;
    void (async () => {
      await parley.start();
      if (cancelled) return;
      if (invite) await parley.openInvite(invite);
      if (cancelled) return;
      // Forget the saved invite once it is handled: accepted, refused, or (during onboarding) accepted later.
      const forgetWhenHandled = (state: AppState) => {
        if (state.pendingInvite === undefined) sessionStorage.removeItem(PENDING_INVITE);
      };
      forgetWhenHandled(parley.store.getState());
      unsubscribe = parley.store.subscribe(forgetWhenHandled);
    })().catch((error: unknown) => {
      parley.store.setState({
        notice: `Parley could not open: ${error instanceof Error ? error.message : String(error)}`,
      });
    });
    registerServiceWorker();
    return () => {
      cancelled = true;
      unsubscribe();
      parley.stop();
    };
  }, [parley]);
  return (
    <ParleyContext.Provider value={parley}>
      <Shell />
    </ParleyContext.Provider>
  );
}
