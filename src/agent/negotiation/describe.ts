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
  const who = entry.direction === "out" ? "Your agent" : `${meeting.peerName}'s agent`;
  const data = entry.message.data;
  const slotText = (slot: Slot): string => formatSlot(slot, view.timeZone);
  switch (data.type) {
    case "propose": {
      const slots = data.slots.map(slotText).join(", ");
      return `${who} proposed a ${durationLabel(data.durationMinutes)} meeting ${quoted(data.title)}: ${slots}.`;
    }
    case "accept":
      return `${who} accepted ${slotText(data.slot)}.`;
    case "decline":
      return `${who} declined${REASONS[data.reason]}.`;
    case "confirm":
      return `${who} confirmed ${quoted(data.title)} for ${slotText(data.slot)}.`;
    case "cancel":
      return `${who} canceled ${quoted(meeting.title)}.`;
  }
}
