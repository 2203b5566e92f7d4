"use client";
import { useState, type KeyboardEvent } from "react";
import { useApp } from "../state/use-app";
import { Onboarding } from "./Onboarding";
import { Assistant } from "./Assistant";
import { CalendarView } from "./CalendarView";
import { Approvals } from "./Approvals";
import { Conversations } from "./Conversations";
import { Contacts } from "./Contacts";
import { Settings } from "./Settings";
import { Notice } from "./Notice";
import { SectionBoundary } from "./SectionBoundary";
import { useApprovalAlerts } from "./use-approval-alerts";
import { openClashes, waitingApprovals } from "../state/selectors";

const TABS = ["Assistant", "Calendar", "Approvals", "Conversations", "Contacts", "Settings"] as const;
type Tab = (typeof TABS)[number];

/** Left/Right (and Home/End) move between sections and focus the new tab. */
function moveFocus(event: KeyboardEvent, current: Tab, select: (tab: Tab) => void): void {
  const index = TABS.indexOf(current);
  const next =
    event.key === "ArrowRight"
      ? TABS[(index + 1) % TABS.length]
      : event.key === "ArrowLeft"
        ? TABS[(index - 1 + TABS.length) % TABS.length]
        : event.key === "Home"
          ? TABS[0]
          : event.key === "End"
            ? TABS[TABS.length - 1]
            : undefined;
  if (next === undefined) return;
  event.preventDefault();
  select(next);
  document.getElementById(`tab-${next}`)?.focus();
}

export function Shell() {
  const phase = useApp((s) => s.phase);
  const failure = useApp((s) => s.failure);
  const [tab, setTab] = useState<Tab>("Assistant");
  useApprovalAlerts();
  // Requests and clashes both wait for the human in Approvals.
  const approvals = useApp((s) => waitingApprovals(s.meetings).length + openClashes(s.meetings, s.events).length);

  if (phase === "loading") return <p className="loading">Loading Parley…</p>;
  if (phase === "failed") {
    return (
      <div role="alert" className="onboarding">
        <p>Parley could not start: {failure}</p>
        <button onClick={() => window.location.reload()}>Try again</button>
      </div>
    );
  }
  if (phase === "onboarding") return <Onboarding />;

  return (
    <div className="app">
      <Header />
      <nav aria-label="Sections" className="tabs" role="tablist" onKeyDown={(event) => moveFocus(event, tab, setTab)}>
        {TABS.map((name) => (
          <button
            key={name}
            id={`tab-${name}`}
            role="tab"
            aria-selected={tab === name}
            aria-controls="section"
            // Roving focus, as the ARIA tabs pattern has it: Tab enters the list once, arrows move within.
            tabIndex={tab === name ? 0 : -1}
            className={tab === name ? "tab active" : "tab"}
            onClick={() => setTab(name)}
          >
            {name}
            {name === "Approvals" && approvals > 0 ? (
              <span className="badge" aria-label={`${approvals} waiting`}>
                {approvals}
              </span>
            ) : null}
          </button>
        ))}
      </nav>
      <Notice />
      <main id="section" role="tabpanel" aria-labelledby={`tab-${tab}`} aria-label={tab}>
        <SectionBoundary key={tab}>
          {tab === "Assistant" && <Assistant />}
          {tab === "Calendar" && <CalendarView />}
          {tab === "Approvals" && <Approvals />}
          {tab === "Conversations" && <Conversations />}
          {tab === "Contacts" && <Contacts />}
          {tab === "Settings" && <Settings />}
        </SectionBoundary>
      </main>
    </div>
  );
}

function Header() {
  const self = useApp((s) => s.self);
  const connection = useApp((s) => s.connection);
  const otherTab = useApp((s) => s.otherTab);
  return (
    <header className="header">
      <h1>Parley</h1>
      <span className="who">{self?.name}</span>
      {otherTab ? (
        <span className={`status ${connection}`} role="status" aria-label={`Relay via another tab, ${connection}`}>
          {connection === "online" ? "Connected" : connection === "connecting" ? "Connecting…" : "Offline"} through your
          other Parley tab
        </span>
      ) : (
        <span className={`status ${connection}`} role="status" aria-label={`Relay ${connection}`}>
          {connection === "online" ? "Connected" : connection === "connecting" ? "Connecting…" : "Offline"}
        </span>
      )}
    </header>
  );
}
