"use client";
import { useState } from "react";
import { PARTS_OF_DAY, type PartOfDay, type Preferences, type Weekday } from "../../agent";
import { useApp, useParley } from "../state/use-app";
import { useAction } from "./use-action";

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
/** Monday first, as calendars here show weeks. */
const WEEK: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 0];

const toTime = (minute: number): string =>
  `${String(Math.floor(minute / 60) % 24).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
const toMinute = (time: string): number => {
  const [h, m] = time.split(":").map(Number);
  // 00:00 as an end means midnight at the end of the day.
  return (h ?? 0) * 60 + (m ?? 0);
};

function zones(current: string): string[] {
  const supported = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return supported.includes(current) ? supported : [current, ...supported];
}

/**
 * The human's scheduling preferences. Edits a draft and saves it whole; the
 * engine's parser checks it, so a value the form lets through but the engine
 * refuses comes back as a notice rather than being stored.
 */
export function Settings() {
  const parley = useParley();
  const stored = useApp((s) => s.preferences);
  const [draft, setDraft] = useState<Preferences>(stored);
  const { busy, run } = useAction();
  const set = (change: Partial<Preferences>) => setDraft({ ...draft, ...change });
  const number = (value: string): number => (value === "" ? Number.NaN : Number(value));

  const setDay = (day: Weekday, range: { startMinute: number; endMinute: number } | undefined) =>
    set({ workingHours: { ...draft.workingHours, [day]: range === undefined ? [] : [range] } });
  const toggle = <T,>(list: readonly T[], value: T): T[] =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];

  return (
    <section className="settings">
      <h2>Settings</h2>
      <p>How your agent schedules. These stay on this device; others only ever see the times your agent offers.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          run(() => parley.savePreferences(draft));
        }}
      >
        <label>
          Time zone{" "}
          <select value={draft.timeZone} onChange={(e) => set({ timeZone: e.target.value })}>
            {zones(draft.timeZone).map((zone) => (
              <option key={zone}>{zone}</option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Working hours</legend>
          {WEEK.map((day) => {
            const range = draft.workingHours[day][0];
            return (
              <div key={day} className="working-day">
                <label>
                  <input
                    type="checkbox"
                    checked={range !== undefined}
                    onChange={(e) => setDay(day, e.target.checked ? { startMinute: 540, endMinute: 1020 } : undefined)}
                  />{" "}
                  {DAY_NAMES[day]}
                </label>
                {range !== undefined && (
                  <>
                    <input
                      type="time"
                      aria-label={`${DAY_NAMES[day]} from`}
                      value={toTime(range.startMinute)}
                      onChange={(e) => setDay(day, { ...range, startMinute: toMinute(e.target.value) })}
                    />
                    –
                    <input
                      type="time"
                      aria-label={`${DAY_NAMES[day]} until`}
                      value={toTime(range.endMinute)}
                      onChange={(e) => setDay(day, { ...range, endMinute: toMinute(e.target.value) || 1440 })}
                    />
                  </>
                )}
              </div>
            );
          })}
        </fieldset>
        <fieldset>
          <legend>Around meetings</legend>
          {(
            [
              ["bufferBeforeMinutes", "Free minutes before a meeting"],
              ["bufferAfterMinutes", "Free minutes after a meeting"],
              ["minNoticeMinutes", "Minimum notice (minutes)"],
              ["horizonDays", "Book at most this many days ahead"],
              ["maxMeetingsPerDay", "Meetings per day at most"],
            ] as const
          ).map(([key, label]) => (
            <label key={key} className="number-field">
              {label}{" "}
              <input
                type="number"
                min={0}
                value={Number.isNaN(draft[key]) ? "" : draft[key]}
                onChange={(e) => set({ [key]: number(e.target.value) })}
              />
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Preferred parts of the day</legend>
          {PARTS_OF_DAY.map((part: PartOfDay) => (
            <label key={part}>
              <input
                type="checkbox"
                checked={draft.preferredParts.includes(part)}
                onChange={() => set({ preferredParts: toggle(draft.preferredParts, part) })}
              />{" "}
              {part}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Meeting-free days</legend>
          {WEEK.map((day) => (
            <label key={day}>
              <input
                type="checkbox"
                checked={draft.meetingFreeDays.includes(day)}
                onChange={() => set({ meetingFreeDays: toggle(draft.meetingFreeDays, day) })}
              />{" "}
              {DAY_NAMES[day]}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={busy}>
          Save preferences
        </button>{" "}
        <button type="button" className="secondary" onClick={() => setDraft(stored)}>
          Undo changes
        </button>
      </form>
    </section>
  );
}
