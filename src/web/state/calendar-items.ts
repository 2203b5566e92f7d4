import { withWhom } from "../../agent";
import type { Slot } from "../../protocol/messages";
import type { EventRow, MeetingRow } from "../storage/rows";

/** One row of the calendar screen: a busy event, a confirmed meeting or one still being arranged. */
export type CalendarItem =
  | { readonly kind: "event"; readonly id: string; readonly title: string; readonly label: string; readonly slot: Slot }
  | {
      readonly kind: "meeting" | "pending";
      readonly id: string;
      readonly meetingId: string;
      /** Who the meeting is with ("Bob", "Bob and Carol"). */
      readonly withWhom: string;
      readonly title: string;
      readonly label: string;
      readonly slot: Slot;
      /** The first row of its meeting: the one that carries the meeting's button. */
      readonly first: boolean;
      /** A booked meeting that can be moved now (not already being moved). */
      readonly movable: boolean;
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
    const who = withWhom(m);
    const common = { meetingId: m.id, withWhom: who, title: m.title };
    const open = m.state === "working" || m.state === "input-required" || m.state === "submitted";
    if (m.confirmed !== undefined && (m.state === "completed" || open)) {
      // A booked meeting being moved keeps its time (and its row) until the move is settled.
      const label = m.state === "completed" ? `Confirmed with ${who}` : `Confirmed with ${who}; moving it`;
      const movable = m.state === "completed";
      items.push({ ...common, id: m.id, kind: "meeting", label, slot: m.confirmed, first: true, movable });
    } else if (open) {
      // Once this side holds times, only those are held; before, every time still on offer.
      const holding = m.role === "participant" && m.state === "working" && m.held.length > 0;
      const slots = holding ? m.held : m.role === "participant" ? m.available : m.proposed;
      const label = holding ? `Held for ${who}, waiting to be confirmed` : `Proposed, with ${who}`;
      slots.forEach((slot, index) => {
        // One button per meeting: it withdraws the whole proposal, not one time.
        const id = `${m.id}:${slot.start}`;
        items.push({ ...common, id, kind: "pending", label, slot, first: index === 0, movable: false });
      });
    }
  }
  return items.sort((a, b) => a.slot.start - b.slot.start);
}
