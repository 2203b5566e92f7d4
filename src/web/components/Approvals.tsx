"use client";
import { useMemo, useState } from "react";
import { formatSlot, withWhom } from "../../agent";
import { offeredTimes, openClashes, waitingApprovals } from "../state/selectors";
import { useApp, useParley } from "../state/use-app";
import type { EventRow, MeetingRow } from "../storage/rows";
import { useAction } from "./use-action";

export function Approvals() {
  const meetings = useApp((s) => s.meetings);
  // Filter outside the selector: a selector must return a stable value, or every store read looks like a change.
  const events = useApp((s) => s.events);
  const waiting = useMemo(() => waitingApprovals(meetings), [meetings]);
  const clashing = useMemo(() => openClashes(meetings, events), [meetings, events]);
  return (
    <section>
      <AskToNotify />
      {waiting.length === 0 ? <p>No requests are waiting for you.</p> : <Waiting waiting={waiting} />}
      {clashing.length > 0 && (
        <>
          <h2>Meetings your calendar now clashes with</h2>
          <ul className="approvals">
            {clashing.map((c) => {
              const meeting = meetings.find((m) => m.id === c.meetingId);
              const event = events.find((e) => e.id === c.eventId);
              return meeting === undefined || event === undefined ? null : (
                <ClashItem key={`${c.meetingId}:${c.eventId}`} meeting={meeting} event={event} />
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}

/** A booked meeting an event now overlaps: the human decides; the agent never moves it silently. */
function ClashItem({ meeting: m, event }: { meeting: MeetingRow; event: EventRow }) {
  const parley = useParley();
  const tz = useApp((s) => s.timeZone);
  const { busy, run } = useAction();
  if (m.confirmed === undefined) return null;
  return (
    <li className="approval" aria-label={`Clash: ${m.title}`}>
      <p>
        <strong>{m.title}</strong> with {withWhom(m)}, booked for {formatSlot(m.confirmed, tz)}, now overlaps{" "}
        <strong>{event.title}</strong> ({formatSlot(event, tz)}) in your calendar.
      </p>
      {m.state === "completed" && (
        <button disabled={busy} onClick={() => run(() => parley.reschedule(m.id))}>
          Move the meeting
        </button>
      )}{" "}
      <button className="secondary" disabled={busy} onClick={() => run(() => parley.cancel(m.id))}>
        Cancel the meeting
      </button>{" "}
      <button className="secondary" disabled={busy} onClick={() => run(() => parley.keepBoth(event.id, m.id))}>
        Keep both
      </button>
    </li>
  );
}

/** Offers system notifications for new requests, once, where the browser supports them and nobody decided yet. */
function AskToNotify() {
  const [permission, setPermission] = useState(() =>
    typeof Notification === "undefined" ? "denied" : Notification.permission,
  );
  if (permission !== "default") return null;
  return (
    <p className="notify">
      <button className="secondary" onClick={() => void Notification.requestPermission().then(setPermission)}>
        Notify me when a request arrives
      </button>
    </p>
  );
}

function Waiting({ waiting }: { waiting: readonly MeetingRow[] }) {
  return (
    <>
      <h2>Waiting for your approval</h2>
      <ul className="approvals">
        {waiting.map((m) => (
          <Request key={m.id} meeting={m} />
        ))}
      </ul>
    </>
  );
}

function Request({ meeting: m }: { meeting: MeetingRow }) {
  const parley = useParley();
  const tz = useApp((s) => s.timeZone);
  const events = useApp((s) => s.events);
  const meetings = useApp((s) => s.meetings);
  const now = useApp((s) => s.refreshedAt);
  const times = useMemo(() => offeredTimes(m, events, meetings, now), [m, events, meetings, now]);
  const others = m.others.length === 0 ? "" : `; also invited: ${m.others.join(", ")}`;
  const moving = m.confirmed === undefined ? "asks for" : "wants to move";
  const { busy, run } = useAction();
  return (
    <li className="approval" aria-label={`Request from ${withWhom(m)}`}>
      <p>
        <strong>{withWhom(m)}</strong> {moving} <strong>{m.title}</strong> ({m.durationMinutes} minutes{others}). Of the
        proposed times, these were free in your calendar:
      </p>
      <ul className="slots">
        {times.map(({ slot, free }) => (
          <li key={slot.start}>
            <span>{formatSlot(slot, tz)}</span>
            {free ? (
              <button
                disabled={busy}
                aria-label={`Approve ${formatSlot(slot, tz)}`}
                onClick={() => run(() => parley.approve(m.id, slot))}
              >
                Approve
              </button>
            ) : (
              <span className="taken">No longer free</span>
            )}
          </li>
        ))}
      </ul>
      <button className="secondary" disabled={busy} onClick={() => run(() => parley.decline(m.id))}>
        Decline
      </button>
    </li>
  );
}
