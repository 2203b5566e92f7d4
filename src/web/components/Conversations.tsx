"use client";
import { describeMessage, withWhom } from "../../agent";
import type { TaskState } from "../../protocol/messages";
import { unverifiedRecords } from "../state/selectors";
import { useApp } from "../state/use-app";
import type { ContactRow, MeetingRow } from "../storage/rows";
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
          {m.parties.map((p) => (
            <PeerTrust key={p.address} name={p.name} contact={contacts.find((c) => c.address === p.address)} />
          ))}
          <ChainStatus meeting={m} />
          {m.ical !== undefined && m.confirmed !== undefined && (
            <p>
              <a
                href={`data:text/calendar;charset=utf-8,${encodeURIComponent(m.ical)}`}
                download={`${m.title.replace(/[^\p{L}\p{N} _-]/gu, "").trim() || "meeting"}.ics`}
              >
                Add to my calendar (.ics)
              </a>
            </p>
          )}
          <ol>
            {m.transcript.map((entry) => (
              <li key={entry.message.messageId} className={entry.direction}>
                <span className="from">
                  {entry.direction === "out"
                    ? `Your agent (${view.ownerName})`
                    : `${m.parties.find((p) => p.address === entry.peer)?.name ?? "Someone"}'s agent`}
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

/**
 * Whether each pairwise record still hangs together: every message's hash
 * matches and links to one before it. A break means the stored record was
 * altered (or damaged) after the fact.
 */
function ChainStatus({ meeting }: { meeting: MeetingRow }) {
  const broken = unverifiedRecords(meeting);
  return broken.length === 0 ? (
    <p className="chain ok">Record intact: every message is linked to the one before it.</p>
  ) : (
    <p className="chain broken" role="alert">
      The record with {withWhom({ parties: broken })} does not verify: it was changed after it was written.
    </p>
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
