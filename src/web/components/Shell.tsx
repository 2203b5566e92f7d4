"use client";
import { useState } from "react";
import { useApp } from "../state/use-app";
import { Onboarding } from "./Onboarding";
import { Assistant } from "./Assistant";
import { CalendarView } from "./CalendarView";
import { Approvals } from "./Approvals";
import { Conversations } from "./Conversations";
import { Contacts } from "./Contacts";
import { Notice } from "./Notice";
import { useApprovalAlerts } from "./use-approval-alerts";
import { waitingApprovals } from "../state/selectors";

const TABS = ["Assistant", "Calendar", "Approvals", "Conversations", "Contacts"] as const;
type Tab = (typeof TABS)[number];

export function Shell() {
  const phase = useApp((s) => s.phase);
  const failure = useApp((s) => s.failure);
  const [tab, setTab] = useState<Tab>("Assistant");
  useApprovalAlerts();
  const approvals = useApp((s) => waitingApprovals(s.meetings).length);

  if (phase === "loading") return <p className="loading">Loading Parley…</p>;
  if (phase === "failed") return <p role="alert">Parley could not start: {failure}</p>;
  if (phase === "onboarding") return <Onboarding />;

  return (
    <div className="app">
      <Header />
      <nav aria-label="Sections" className="tabs" role="tablist">
        {TABS.map((name) => (
          <button
            key={name}
            role="tab"
            aria-selected={tab === name}
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
      <main role="tabpanel" aria-label={tab}>
        {tab === "Assistant" && <Assistant />}
        {tab === "Calendar" && <CalendarView />}
        {tab === "Approvals" && <Approvals />}
        {tab === "Conversations" && <Conversations />}
        {tab === "Contacts" && <Contacts />}
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
        <span className="status" role="status" aria-label="Relay via another tab">
          Connected through your other Parley tab
        </span>
      ) : (
        <span className={`status ${connection}`} role="status" aria-label={`Relay ${connection}`}>
          {connection === "online" ? "Connected" : connection === "connecting" ? "Connecting…" : "Offline"}
        </span>
      )}
    </header>
  );
}
