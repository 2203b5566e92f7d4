"use client";
import { useEffect, useRef } from "react";
import { withWhom } from "../../agent";
import { waitingApprovals } from "../state/selectors";
import { useApp } from "../state/use-app";

/**
 * Requests waiting for this human show in the tab's title, and, when the tab
 * is in the background and the human allowed it, as a system notification.
 */
export function useApprovalAlerts(): void {
  const meetings = useApp((s) => s.meetings);
  const phase = useApp((s) => s.phase);
  const known = useRef<Set<string> | undefined>(undefined);

  useEffect(() => {
    const waiting = waitingApprovals(meetings);
    document.title = waiting.length > 0 ? `(${waiting.length}) Parley` : "Parley";
    if (phase !== "ready") return;
    // The first list after start-up is not news: only requests that arrive later are announced.
    const fresh = known.current === undefined ? [] : waiting.filter((m) => !known.current?.has(m.id));
    known.current = new Set(waiting.map((m) => m.id));
    if (fresh.length === 0 || document.visibilityState !== "hidden") return;
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    for (const meeting of fresh) {
      new Notification(`${withWhom(meeting)} asks to meet`, {
        body: `"${meeting.title}", ${meeting.durationMinutes} minutes. Open Parley to answer.`,
        tag: meeting.id,
      });
    }
  }, [meetings, phase]);
}
