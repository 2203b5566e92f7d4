import type { Slot } from "../../protocol/messages";
import type { EventRow, MeetingRow } from "../storage/rows";

/** One row of the calendar screen: a busy event, a confirmed meeting or one still being arranged. */
export type CalendarItem =
  | { readonly kind: "event"; readonly id: string; readonly title: string; readonly label: string; readonly slot: Slot }
  | {
      readonly kind: "meeting" | "pending";
      readonly id: string;
      readonly meetingId: string;
      readonly peerName: string;
      readonly title: string;
      readonly label: string;
      readonly slot: Slot;
    };

export function calendarItems(events: readonly EventRow[], meetings: readonly MeetingRow[]): CalendarItem[] {
  const items: CalendarItem[] = events.map((e) => ({
    id: e.id,
    kind: "event",
    title: e.title,
    label: "Busy",
    slot: { start: e.start, end: e.end },
  }));
  for (const m of meetings) {
    const common = { meetingId: m.id, peerName: m.peerName, title: m.title };
    if (m.state === "completed" && m.confirmed) {
      items.push({ ...common, id: m.id, kind: "meeting", label: `Confirmed with ${m.peerName}`, slot: m.confirmed });
    } else if (m.state === "working" || m.state === "input-required" || m.state === "submitted") {
      for (const slot of m.role === "participant" ? m.available : m.proposed) {
        items.push({
          ...common,
          id: `${m.id}:${slot.start}`,
          kind: "pending",
          label: `Proposed, with ${m.peerName}`,
          slot,
        });
      }
    }
  }
  return items.sort((a, b) => a.slot.start - b.slot.start);
}
