"use client";
import { useMemo } from "react";
import { formatSlot } from "../../agent";
import { useApp, useParley } from "../state/use-app";

export function Approvals() {
  const parley = useParley();
  const meetings = useApp((s) => s.meetings);
  // Filter outside the selector: a selector must return a stable value, or every store read looks like a change.
  const waiting = useMemo(
    () => meetings.filter((m) => m.role === "participant" && m.state === "input-required"),
    [meetings],
  );
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (waiting.length === 0) return <p>No requests are waiting for you.</p>;
  return (
    <section>
      <h2>Waiting for your approval</h2>
      <ul className="approvals">
        {waiting.map((m) => (
          <li key={m.id} className="approval" aria-label={`Request from ${m.peerName}`}>
            <p>
              <strong>{m.peerName}</strong> asks for <strong>{m.title}</strong> ({m.durationMinutes} minutes). These
              proposed times are free in your calendar:
            </p>
            <ul className="slots">
              {m.available.map((slot) => (
                <li key={slot.start}>
                  <span>{formatSlot(slot, tz)}</span>
                  <button onClick={() => parley.approve(m.id, slot)}>Approve {formatSlot(slot, tz)}</button>
                </li>
              ))}
            </ul>
            <button className="secondary" onClick={() => parley.decline(m.id)}>
              Decline
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
