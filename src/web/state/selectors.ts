import { busyFromMeetings, clashes, isFree, type Clash } from "../../agent";
import { verifyChain, type Slot } from "../../protocol/messages";
import type { EventRow, MeetingRow } from "../storage/rows";

/** Booked meetings the calendar has since filled, except those the human chose to keep alongside the event. */
export function openClashes(meetings: readonly MeetingRow[], events: readonly EventRow[]): Clash[] {
  const kept = new Map(events.map((e) => [e.id, new Set(e.keptWith ?? [])]));
  return clashes(meetings, events).filter((c) => kept.get(c.eventId)?.has(c.meetingId) !== true);
}

/**
 * The participants whose pairwise record with this side does not verify
 * (a hash that does not match its message, or a broken link): the stored
 * record was changed after it was written.
 */
export function unverifiedRecords(meeting: MeetingRow): MeetingRow["parties"] {
  return meeting.parties.filter((p) => !verifyChain(meeting.transcript.filter((e) => e.peer === p.address)).ok);
}

/** Requests from other agents waiting for this human's answer. */
export function waitingApprovals(meetings: readonly MeetingRow[]): MeetingRow[] {
  return meetings.filter((m) => m.role === "participant" && m.state === "input-required");
}

/**
 * The times a request offered, each with whether it is still free now: the
 * calendar may have filled since the request arrived (a new event, another
 * meeting confirmed), and the human should see that before choosing.
 */
export function offeredTimes(
  request: MeetingRow,
  events: readonly EventRow[],
  meetings: readonly MeetingRow[],
  now: number,
): { slot: Slot; free: boolean }[] {
  const busy = [
    ...events.map((e) => ({ start: e.start, end: e.end })),
    ...busyFromMeetings(
      meetings.filter((m) => m.id !== request.id),
      now,
    ),
  ];
  return request.available.map((slot) => ({ slot, free: isFree(slot, busy) }));
}
