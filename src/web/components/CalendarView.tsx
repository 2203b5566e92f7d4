"use client";
import { useMemo, useState, type FormEvent } from "react";
import { formatSlot, localToInstant } from "../../agent";
import { localDateKey } from "../format";
import { calendarItems, type CalendarItem } from "../state/calendar-items";
import { useApp, useParley } from "../state/use-app";
import { useAction } from "./use-action";
import { EVENT_TITLE_MAX } from "../storage/rows";

/** The form's date ("2026-11-24") and time ("09:30") as an instant in the user's zone, or NaN. */
function parseLocal(date: string, time: string, timeZone: string): number {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})$/.exec(time);
  if (!d || !t) return Number.NaN;
  return localToInstant(
    { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), hour: Number(t[1]), minute: Number(t[2]) },
    timeZone,
  );
}

export function CalendarView() {
  const parley = useParley();
  const tz = useApp((s) => s.timeZone);
  const events = useApp((s) => s.events);
  const meetings = useApp((s) => s.meetings);
  const [title, setTitle] = useState("");
  const [date, setDate] = useState(() => localDateKey(Date.now() + 86_400_000, tz));
  const [from, setFrom] = useState("09:00");
  const [to, setTo] = useState("10:00");
  const { busy, run } = useAction();

  function add(event: FormEvent) {
    event.preventDefault();
    run(async () => {
      await parley.addEvent({ title, start: parseLocal(date, from, tz), end: parseLocal(date, to, tz) });
      setTitle("");
    });
  }

  // Past entries stay stored (they are history) but the calendar shows what is still ahead.
  const items = useMemo(
    () => calendarItems(events, meetings).filter((i) => i.slot.end > Date.now()),
    [events, meetings],
  );
  return (
    <section className="calendar">
      <h2>Calendar</h2>
      <form onSubmit={add} className="add-event" aria-label="Add a busy time">
        <label>
          What
          <input
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="Busy"
            maxLength={EVENT_TITLE_MAX}
          />
        </label>
        <label>
          Date
          <input type="date" value={date} onChange={(e) => setDate(e.target.value)} required />
        </label>
        <label>
          From
          <input type="time" value={from} onChange={(e) => setFrom(e.target.value)} required />
        </label>
        <label>
          To
          <input type="time" value={to} onChange={(e) => setTo(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          Add busy time
        </button>
      </form>
      {items.length === 0 ? (
        <p>Nothing ahead in your calendar.</p>
      ) : (
        <ul className="items" aria-label="Calendar entries">
          {items.map((item) => (
            <Entry key={item.id} item={item} timeZone={tz} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Entry({ item, timeZone }: { item: CalendarItem; timeZone: string }) {
  const parley = useParley();
  const { busy, run } = useAction();
  const [confirming, setConfirming] = useState(false);
  return (
    <li className={`item ${item.kind}`}>
      <span className="when">{formatSlot(item.slot, timeZone)}</span>
      <span className="what">{item.title}</span>
      <span className="kind">{item.label}</span>
      {item.kind === "event" && (
        <button
          className="secondary"
          disabled={busy}
          onClick={() => run(() => parley.removeEvent(item.id))}
          aria-label={`Remove ${item.title}`}
        >
          Remove
        </button>
      )}
      {item.kind !== "event" &&
        item.first &&
        (confirming ? (
          <span className="confirm">
            {item.kind === "meeting" ? "Cancel and tell " : "Withdraw and tell "}
            {item.withWhom}?{" "}
            <button disabled={busy} onClick={() => run(() => parley.cancel(item.meetingId))}>
              Yes
            </button>{" "}
            <button className="secondary" onClick={() => setConfirming(false)}>
              No
            </button>
          </span>
        ) : (
          <span className="actions">
            {item.kind === "meeting" && item.movable && (
              <button
                className="secondary"
                disabled={busy}
                onClick={() => run(() => parley.reschedule(item.meetingId))}
                aria-label={`Move ${item.title}`}
              >
                Move
              </button>
            )}
            <button className="secondary" onClick={() => setConfirming(true)} aria-label={`Cancel ${item.title}`}>
              {item.kind === "meeting" ? "Cancel" : "Withdraw"}
            </button>
          </span>
        ))}
    </li>
  );
}
