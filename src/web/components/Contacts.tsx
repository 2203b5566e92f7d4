"use client";
import { useState } from "react";
import { useApp, useParley } from "../state/use-app";

export function Contacts() {
  const parley = useParley();
  const contacts = useApp((s) => s.contacts);
  const link = useApp((s) => s.inviteLink);
  const [copied, setCopied] = useState(false);

  async function copy() {
    if (link === undefined) return;
    await navigator.clipboard?.writeText(link).catch(() => undefined);
    setCopied(true);
  }

  return (
    <section className="contacts">
      <h2>Contacts</h2>
      <p>
        Invite someone by sending them a link. It carries your public keys, not your calendar, and expires in 7 days.
      </p>
      <button onClick={() => void parley.createInviteLink().then(() => setCopied(false))}>Create invite link</button>
      {link && (
        <div className="invite-link">
          <label htmlFor="invite-link">Invite link</label>
          <input id="invite-link" readOnly value={link} onFocus={(e) => e.target.select()} />
          <button onClick={copy}>{copied ? "Copied" : "Copy"}</button>
        </div>
      )}
      {contacts.length === 0 ? (
        <p>No contacts yet.</p>
      ) : (
        <ul aria-label="Your contacts" className="contact-list">
          {contacts.map((c) => (
            <li key={c.address}>
              <strong>{c.name}</strong> <code title="Their address">{c.address.slice(0, 12)}…</code>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
