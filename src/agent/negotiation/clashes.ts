import { overlaps, type Interval } from "../scheduling/slots";
import { FINAL_STATES, type Meeting } from "./types";

/**
 * Booked meetings whose time the calendar has since filled (an event added
 * or moved onto it). The agent never moves a booked meeting on its own: each
 * clash becomes a question to the human (move, cancel or keep both).
 */

export type Clash = { readonly meetingId: string; readonly eventId: string };

export function clashes(
  meetings: readonly Meeting[],
  events: readonly (Interval & { readonly id: string })[],
): Clash[] {
  const found: Clash[] = [];
  for (const meeting of meetings) {
    const booked = meeting.confirmed;
    if (booked === undefined || FINAL_STATES.includes(meeting.state)) continue;
    for (const event of events) if (overlaps(booked, event)) found.push({ meetingId: meeting.id, eventId: event.id });
  }
  return found;
}
