import type { Interval } from "../scheduling/slots";
import { FINAL_STATES, type Meeting } from "./types";

/** What negotiations already claim of the owner's time, for the app to add to calendar busy time. */

/**
 * Booked meetings (a meeting being moved keeps its booked time until the
 * move is settled), plus each slot this side holds for a pending negotiation
 * until the hold expires: a hold is a promise, so the same time must not be
 * offered or accepted elsewhere meanwhile, and an expired one releases itself.
 */
export function busyFromMeetings(meetings: readonly Meeting[], now: number): Interval[] {
  const busy: Interval[] = [];
  for (const meeting of meetings) {
    if (FINAL_STATES.includes(meeting.state)) continue;
    if (meeting.confirmed !== undefined) busy.push(meeting.confirmed);
    if (meeting.state === "working" && now < meeting.heldUntil) busy.push(...meeting.held);
  }
  return busy;
}
