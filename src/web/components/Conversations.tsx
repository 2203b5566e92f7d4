"use client";
import { describeMessage } from "../../agent";
import type { TaskState } from "../../protocol/messages";
import { useApp } from "../state/use-app";
import type { ContactRow } from "../storage/rows";
import { VerificationBadge } from "./Contacts";

const STATE_LABELS: Record<TaskState, string> = {
  submitted: "Sent",
  working: "In progress",
  "input-required": "Waiting for you",
  completed: "Confirmed",
  canceled: "Canceled",
  rejected: "Declined",
  failed: "Failed",
};

/**
 * Every message the agents exchanged, for both humans to read. Each line is
 * written here from the message's data part, which is what the agents acted
 * on; the other agent's own words are shown beneath, quoted, so a peer cannot
 * make its text say something its data does not.
 */
export function Conversations() {
  const meetings = useApp((s) => s.meetings);
  const self = useApp((s) => s.self);
  const timeZone = useApp((s) => s.timeZone);
  const unsent = useApp((s) => s.unsent);
  const contacts = useApp((s) => s.contacts);
  if (meetings.length === 0) return <p>Your agent has not talked to anyone yet.</p>;
  const view = { timeZone, ownerName: self?.name ?? "you" };
  return (
    <section>
      <h2>Agent conversations</h2>
      {meetings.map((m) => (
        <article key={m.id} className="transcript" aria-label={`Conversation about ${m.title}`}>
          <h3>
            {m.title} <span className="state">{STATE_LABELS[m.state]}</span>
            {unsent.has(m.id) && <span className="state unsent">· waiting to be sent</span>}
          </h3>
          <PeerTrust name={m.peerName} contact={contacts.find((c) => c.address === m.peer)} />
          <ol>
            {m.transcript.map((entry) => (
              <li key={entry.message.messageId} className={entry.direction}>
                <span className="from">
                  {entry.direction === "out" ? `Your agent (${view.ownerName})` : `${m.peerName}'s agent`}
                </span>
                <span className="text">
                  {describeMessage(entry, m, view)}
                  {entry.direction === "in" && <q className="their-words">{entry.message.text}</q>}
                </span>
              </li>
            ))}
          </ol>
        </article>
      ))}
    </section>
  );
}

/** Who the transcript is with, and whether their key was verified: shown with every conversation. */
function PeerTrust({ name, contact }: { name: string; contact: ContactRow | undefined }) {
  return (
    <p className="with">
      With {name}
      {contact === undefined ? <span className="trust">Removed</span> : <VerificationBadge contact={contact} />}
    </p>
  );
}
