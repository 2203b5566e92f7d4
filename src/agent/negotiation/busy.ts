import type { Slot } from "../../protocol/messages/schema";
import type { Interval } from "../scheduling/slots";
import type { Meeting } from "./types";

/** What negotiations already claim of the owner's time, for the app to add to calendar busy time. */

/** The slot this side accepted and awaits confirmation for: the last `accept` it sent. */
export function acceptedSlot(meeting: Meeting): Slot | undefined {
  for (let i = meeting.transcript.length - 1; i >= 0; i--) {
    const entry = meeting.transcript[i]!;
    if (entry.direction === "out" && entry.message.data.type === "accept") return entry.message.data.slot;
  }
  return undefined;
}

/**
 * Confirmed meetings, plus each slot this side has accepted and not yet
 * heard back about: an acceptance is a promise, so the same time must not be
 * offered or accepted elsewhere meanwhile.
 */
export function busyFromMeetings(meetings: readonly Meeting[]): Interval[] {
  const busy: Interval[] = [];
  for (const meeting of meetings) {
    if (meeting.state === "completed" && meeting.confirmed !== undefined) busy.push(meeting.confirmed);
    else if (meeting.state === "working" && meeting.role === "participant") {
      const accepted = acceptedSlot(meeting);
      if (accepted !== undefined) busy.push(accepted);
    }
  }
  return busy;
}
