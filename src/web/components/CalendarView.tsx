"use client";
import { useState, type FormEvent } from "react";
import { formatSlot } from "../../agent";
import { localDateKey } from "../format";
import { useApp, useParley } from "../state/use-app";
import { calendarItems } from "../state/calendar-items";

const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Parses the form's local date and times; the browser's own zone is the user's. */
function parseLocal(date: string, time: string): number {
  return new Date(`${date}T${time}`).getTime();
}

export function CalendarView() {
  const parley = useParley();
  const events = useApp((s) => s.events);
  const meetings = useApp((s) => s.meetings);
  const [title, setTitle] = useState("");
  const [date, setDate] = useState(() => localDateKey(Date.now() + 86_400_000, timeZone()));
  const [from, setFrom] = useState("09:00");
  const [to, setTo] = useState("10:00");

  async function add(event: FormEvent) {
    event.preventDefault();
    await parley.addEvent({ title, start: parseLocal(date, from), end: parseLocal(date, to) });
    setTitle("");
  }

  const items = calendarItems(events, meetings);
  const tz = timeZone();
  return (
    <section className="calendar">
      <h2>Calendar</h2>
      <form onSubmit={add} className="add-event" aria-label="Add a busy time">
        <label>
          What
          <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Busy" maxLength={200} />
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
        <button type="submit">Add busy time</button>
      </form>
      {items.length === 0 ? (
        <p>Nothing in your calendar yet.</p>
      ) : (
        <ul className="items" aria-label="Calendar entries">
          {items.map((item) => (
            <li key={item.id} className={`item ${item.kind}`}>
              <span className="when">{formatSlot(item.slot, tz)}</span>
              <span className="what">{item.title}</span>
              <span className="kind">{item.label}</span>
              {item.kind === "event" && (
                <button onClick={() => parley.removeEvent(item.id)} aria-label={`Remove ${item.title}`}>
                  Remove
                </button>
              )}
              {item.kind === "meeting" && (
                <button
                  className="secondary"
                  onClick={() => parley.cancel(item.id)}
                  aria-label={`Cancel ${item.title}`}
                >
                  Cancel
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
