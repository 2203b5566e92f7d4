"use client";
import { useState } from "react";
import { CONTACT_POLICY_LIMITS, DISCLOSURES, type ContactPolicy, type Disclosure, type Weekday } from "../../agent";
import { contactPolicyView } from "../runtime/policy";
import type { ContactRow } from "../storage/rows";
import { useApp, useParley } from "../state/use-app";
import { useAction } from "./use-action";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
/** Monday first, as calendars here show weeks. */
const WEEK: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 0];
const DISCLOSURE_LABELS: Readonly<Record<Disclosure, string>> = {
  slots: "Suggest other free times",
  "answers-only": "Only answer the proposed times",
};

/**
 * What the agent may do on its own for one contact. Edits a draft and saves
 * it whole; the engine's parser checks it, so a value the form lets through
 * but the engine refuses comes back as a notice rather than being stored.
 */
export function ContactPolicyForm({ contact }: { contact: ContactRow }) {
  const parley = useParley();
  // The store holds every contact's view; reading the row again covers a contact the store has not caught up with.
  const view = useApp((s) => s.contactPolicies.get(contact.address)) ?? contactPolicyView(contact);
  const [draft, setDraft] = useState<ContactPolicy>(view.policy);
  const { busy, run } = useAction();
  const set = (change: Partial<ContactPolicy>) => setDraft({ ...draft, ...change });
  const toggleDay = (day: Weekday) =>
    set({
      weekdays: draft.weekdays.includes(day)
        ? draft.weekdays.filter((d) => d !== day)
        : [...draft.weekdays, day].sort((a, b) => a - b),
    });

  return (
    <details className="contact-policy">
      <summary>What my agent may do</summary>
      <p>{view.description}</p>
      <form
        aria-label={`What my agent may do for ${contact.name}`}
        onSubmit={(event) => {
          event.preventDefault();
          run(() => parley.setContactPolicy(contact.address, draft));
        }}
      >
        <label>
          <input type="checkbox" checked={draft.autoAccept} onChange={(e) => set({ autoAccept: e.target.checked })} />{" "}
          Accept on its own
        </label>
        <label className="number-field">
          Meetings up to (minutes){" "}
          <input
            type="number"
            min={CONTACT_POLICY_LIMITS.minMinutes}
            max={CONTACT_POLICY_LIMITS.maxMinutes}
            step={1}
            value={Number.isNaN(draft.maxMinutes) ? "" : draft.maxMinutes}
            onChange={(e) => set({ maxMinutes: e.target.value === "" ? Number.NaN : Number(e.target.value) })}
          />
        </label>
        <fieldset>
          <legend>On these days</legend>
          {WEEK.map((day) => (
            <label key={day}>
              <input type="checkbox" checked={draft.weekdays.includes(day)} onChange={() => toggleDay(day)} />{" "}
              {DAY_NAMES[day]}
            </label>
          ))}
        </fieldset>
        <label>
          <input
            type="checkbox"
            checked={draft.withinWorkingHours}
            onChange={(e) => set({ withinWorkingHours: e.target.checked })}
          />{" "}
          Only within my working hours
        </label>
        <label>
          <input
            type="checkbox"
            checked={draft.verifiedOnly}
            onChange={(e) => set({ verifiedOnly: e.target.checked })}
          />{" "}
          Only while verified
        </label>
        <label>
          When no proposed time fits{" "}
          <select
            value={draft.disclose}
            onChange={(e) => {
              const disclose = DISCLOSURES.find((d) => d === e.target.value);
              if (disclose !== undefined) set({ disclose });
            }}
          >
            {DISCLOSURES.map((d) => (
              <option key={d} value={d}>
                {DISCLOSURE_LABELS[d]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy}>
          Save
        </button>{" "}
        <button type="button" className="secondary" onClick={() => setDraft(view.policy)}>
          Undo changes
        </button>
      </form>
    </details>
  );
}
