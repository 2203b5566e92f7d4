"use client";
import { useMemo, useRef, useState } from "react";
import { INVITE_LIFETIME_MS } from "../runtime/invites";
import type { ContactRow } from "../storage/rows";
import { ContactPolicyForm } from "./ContactPolicy";
import { useApp, useParley } from "../state/use-app";
import { SafetyNumber } from "./SafetyNumber";
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
        Invite someone by sending them a link. It carries your public keys, not your calendar, works once, and expires
        in {LIFETIME_DAYS} days.
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
            <ContactItem key={c.address} contact={c} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ContactItem({ contact }: { contact: ContactRow }) {
  const parley = useParley();
  const { busy, run } = useAction();
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  // SHA-512 iterated 10,400 times: computed only when the human opens it, once per key.
  const number = useMemo(() => (open ? parley.safetyNumberWith(contact) : undefined), [open, parley, contact]);
  return (
    <li aria-label={contact.name}>
      <strong>{contact.name}</strong> <code title="Their address">{contact.address.slice(0, 12)}…</code>{" "}
      <VerificationBadge contact={contact} />
      {contact.keyChangedAt !== undefined && (
        <p role="alert" className="key-changed">
          {contact.name}&apos;s security key changed. Their agent&apos;s messages are held until you compare safety
          numbers again.
        </p>
      )}
      <div className="contact-actions">
        <button className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
          Safety number
        </button>
        {confirming ? (
          <>
            <span>Remove {contact.name}? Their agent will no longer reach yours.</span>{" "}
            <button disabled={busy} onClick={() => run(() => parley.removeContact(contact.address))}>
              Remove
            </button>{" "}
            <button className="secondary" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button className="secondary" onClick={() => setConfirming(true)}>
            Remove…
          </button>
        )}
      </div>
      {number && (
        <SafetyNumber
          name={contact.name}
          digits={number.digits}
          qrText={number.qrText}
          verified={contact.verified}
          busy={busy}
          onVerify={() => run(() => parley.verifyContact(contact.address))}
          onUnverify={() => run(() => parley.unverifyContact(contact.address))}
        />
      )}
      <ContactPolicyForm contact={contact} />
    </li>
  );
}

export function VerificationBadge({ contact }: { contact: ContactRow }) {
  if (contact.keyChangedAt !== undefined) return <span className="trust warning">Key changed</span>;
  return contact.verified ? (
    <span className="trust verified">Verified</span>
  ) : (
    <span className="trust">Not verified</span>
  );
}
