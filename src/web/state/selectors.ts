import type { MeetingRow } from "../storage/rows";

/** Requests from other agents waiting for this human's answer. */
export function waitingApprovals(meetings: readonly MeetingRow[]): MeetingRow[] {
  return meetings.filter((m) => m.role === "participant" && m.state === "input-required");
}
