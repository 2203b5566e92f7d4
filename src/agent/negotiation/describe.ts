import type { DeclineReason } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { formatSlot } from "../scheduling/format";
import { durationLabel } from "./text";
import type { Meeting, TranscriptEntry } from "./types";

/**
 * A transcript entry in plain words, for the app to show instead of the
 * message's own `text`. The peer writes that text and may write anything
 * ("Confirmed Tue 15:00" on a decline); only the data part is acted on, so
 * only the data part is described, together with what this side knows itself
 * (the peer's name from the contact, the title it recorded) and in the
 * viewer's time zone.
 */

export type DescribeView = {
  /** The IANA zone to write times in. */
  timeZone: string;
  /** The owner's name. Not written today (their agent is "Your agent"); kept so the wording can name them. */
  ownerName: string;
};

const REASONS: Readonly<Record<DeclineReason, string>> = {
  "not-available": ": not available",
  declined: "",
  expired: ": the proposal had expired",
};

/** A peer-chosen string inside a sentence: one line, quoted. */
const quoted = (text: string): string => `"${text.replace(/\s+/g, " ").trim()}"`;

export function describeMessage(entry: TranscriptEntry, meeting: Meeting, view: DescribeView): string {
  const peer = meeting.parties.find((p) => p.address === entry.peer)?.name ?? "Someone";
  // With several participants, say which conversation an outgoing message belongs to.
  const who =
    entry.direction === "in"
      ? `${peer}'s agent`
      : meeting.parties.length > 1
        ? `Your agent (to ${peer})`
        : "Your agent";
  const data = entry.message.data;
  const slotText = (slot: Slot): string => formatSlot(slot, view.timeZone);
  const list = (slots: readonly Slot[]): string => slots.map(slotText).join(", ");
  switch (data.type) {
    case "propose": {
      const others = data.others.length === 0 ? "" : ` (also invited: ${data.others.map(quoted).join(", ")})`;
      return `${who} proposed a ${durationLabel(data.durationMinutes)} meeting ${quoted(data.title)}${others}: ${list(data.slots)}.`;
    }
    case "counter":
      if (entry.direction === "in" ? meeting.role === "participant" : meeting.role === "organizer") {
        return `${who} proposed new times (round ${data.round}): ${list(data.slots)}.`;
      }
      return data.slots.length === 0
        ? `${who} said none of those times suit.`
        : `${who} said none of those times suit, and suggested ${list(data.slots)}.`;
    case "hold":
      return `${who} can make ${list(data.slots)} and is holding them.`;
    case "accept":
      return `${who} accepted ${slotText(data.slot)}.`;
    case "decline":
      return `${who} declined${REASONS[data.reason]}.`;
    case "confirm":
      return `${who} confirmed ${quoted(data.title)} for ${slotText(data.slot)}.`;
    case "cancel":
      return `${who} canceled ${quoted(meeting.title)}.`;
    case "reschedule":
      return data.slots.length === 0
        ? `${who} asked to move ${quoted(meeting.title)}.`
        : `${who} asked to move ${quoted(meeting.title)} to one of ${list(data.slots)}.`;
  }
}
