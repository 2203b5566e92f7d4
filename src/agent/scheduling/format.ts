import type { Slot } from "../../protocol/messages/schema";
import { instantToLocal, type LocalDateTime } from "./zoned";

/**
 * Short English renderings of instants and slots ("Tue 24 Nov 15:00") for the
 * human-readable part of agent messages. Fixed names rather than
 * `toLocaleString`, so both sides of a negotiation and every test see the same
 * text whatever the machine's locale.
 */

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

const pad = (n: number): string => String(n).padStart(2, "0");

function dayLabel(local: LocalDateTime): string {
  return `${WEEKDAYS[local.weekday] ?? "?"} ${local.day} ${MONTHS[local.month - 1] ?? "?"}`;
}

function timeLabel(local: LocalDateTime): string {
  return `${pad(local.hour)}:${pad(local.minute)}`;
}

/** "Tue 24 Nov 15:00" */
export function formatInstant(ms: number, timeZone: string): string {
  const local = instantToLocal(ms, timeZone);
  return `${dayLabel(local)} ${timeLabel(local)}`;
}

/** "Tue 24 Nov 15:00–15:30", or with both days when the slot crosses midnight. */
export function formatSlot(slot: Slot, timeZone: string): string {
  const start = instantToLocal(slot.start, timeZone);
  const end = instantToLocal(slot.end, timeZone);
  const sameDay = start.year === end.year && start.month === end.month && start.day === end.day;
  return `${dayLabel(start)} ${timeLabel(start)}–${sameDay ? "" : `${dayLabel(end)} `}${timeLabel(end)}`;
}
