import { acceptedSlot } from "../../agent";
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
      /** The first row of its meeting: the one that carries the meeting's button. */
      readonly first: boolean;
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
      const label = `Confirmed with ${m.peerName}`;
      items.push({ ...common, id: m.id, kind: "meeting", label, slot: m.confirmed, first: true });
    } else if (m.state === "working" || m.state === "input-required" || m.state === "submitted") {
      // Once this side accepted a time, only that time is held; before, every time still on offer.
      const accepted = m.role === "participant" && m.state === "working" ? acceptedSlot(m) : undefined;
      const slots = accepted !== undefined ? [accepted] : m.role === "participant" ? m.available : m.proposed;
      const label = accepted !== undefined ? `Accepted, waiting for ${m.peerName}` : `Proposed, with ${m.peerName}`;
      slots.forEach((slot, index) => {
        // One button per meeting: it withdraws the whole proposal, not one time.
        items.push({ ...common, id: `${m.id}:${slot.start}`, kind: "pending", label, slot, first: index === 0 });
      });
    }
  }
  return items.sort((a, b) => a.slot.start - b.slot.start);
}
