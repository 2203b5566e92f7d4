import { busyFromMeetings, isFree } from "../../agent";
import type { Slot } from "../../protocol/messages";
import type { EventRow, MeetingRow } from "../storage/rows";

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
