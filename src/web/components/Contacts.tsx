"use client";
import { useRef, useState } from "react";
import { INVITE_LIFETIME_MS } from "../runtime/invites";
import { useApp, useParley } from "../state/use-app";
import { useAction } from "./use-action";

const LIFETIME_DAYS = Math.round(INVITE_LIFETIME_MS / 86_400_000);

export function Contacts() {
  const parley = useParley();
  const contacts = useApp((s) => s.contacts);
  const link = useApp((s) => s.inviteLink);
  const [copy, setCopy] = useState<"idle" | "copied" | "manual">("idle");
  const field = useRef<HTMLInputElement>(null);
  const { busy, run } = useAction();

  async function copyLink() {
    if (link === undefined) return;
    // The clipboard API exists only in secure contexts (https or localhost); elsewhere the human copies by hand.
    const copied = await (navigator.clipboard?.writeText(link).then(
      () => true,
      () => false,
    ) ?? Promise.resolve(false));
    if (!copied) field.current?.select();
    setCopy(copied ? "copied" : "manual");
  }

  return (
    <section className="contacts">
      <h2>Contacts</h2>
      <p>
        Invite someone by sending them a link. It carries your public keys, not your calendar, and expires in{" "}
        {LIFETIME_DAYS} days.
      </p>
      <button
        disabled={busy}
        onClick={() =>
          run(async () => {
            await parley.createInviteLink();
            setCopy("idle");
          })
        }
      >
        Create invite link
      </button>
      {link && (
        <div className="invite-link">
          <label htmlFor="invite-link">Invite link</label>
          <input id="invite-link" ref={field} readOnly value={link} onFocus={(e) => e.target.select()} />
          <button onClick={() => void copyLink()}>{copy === "copied" ? "Copied" : "Copy"}</button>
          {copy === "manual" && <span role="status">Selected: press Ctrl+C (⌘C) to copy.</span>}
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
