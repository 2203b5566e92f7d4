"use client";
import { useApp } from "../state/use-app";

const STATE_LABELS: Record<string, string> = {
  submitted: "Sent",
  working: "In progress",
  "input-required": "Waiting for you",
  completed: "Confirmed",
  canceled: "Canceled",
  rejected: "Declined",
  failed: "Failed",
};

/** Every message the agents exchanged, in plain words, for both humans to read. */
export function Conversations() {
  const meetings = useApp((s) => s.meetings);
  const self = useApp((s) => s.self);
  if (meetings.length === 0) return <p>Your agent has not talked to anyone yet.</p>;
  return (
    <section>
      <h2>Agent conversations</h2>
      {meetings.map((m) => (
        <article key={m.id} className="transcript" aria-label={`Conversation about ${m.title}`}>
          <h3>
            {m.title} <span className="state">{STATE_LABELS[m.state] ?? m.state}</span>
          </h3>
          <ol>
            {m.transcript.map((entry) => (
              <li key={entry.message.messageId} className={entry.direction}>
                <span className="from">
                  {entry.direction === "out" ? `Your agent (${self?.name ?? "you"})` : `${m.peerName}'s agent`}
                </span>
                <span className="text">{entry.message.text}</span>
              </li>
            ))}
          </ol>
        </article>
      ))}
    </section>
  );
}
