import type { Slot } from "../../protocol/messages/schema";
import { formatInstant, formatSlot } from "../scheduling/format";

/**
 * The human-readable part of outgoing messages. These sentences are built
 * only from what the data part already says (title, slots, a coarse reason)
 * and the owner's name: nothing about the calendar behind a decision, so the
 * text can never leak more than the machine-readable part.
 */

const MAX_TEXT_CHARS = 2_000;

function clip(text: string): string {
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS - 1)}…`;
}

export function durationLabel(minutes: number): string {
  return minutes % 60 === 0 && minutes > 0 ? `${minutes / 60}-hour` : `${minutes}-minute`;
}

const slotIn = (slot: Slot, timeZone: string): string => `${formatSlot(slot, timeZone)} (${timeZone})`;
const starts = (slots: readonly Slot[], timeZone: string): string =>
  `${slots.map((s) => formatInstant(s.start, timeZone)).join(", ")} (${timeZone})`;

export const outgoingText = {
  propose: (owner: string, title: string, minutes: number, slots: readonly Slot[], timeZone: string): string =>
    clip(`${owner}'s agent proposes a ${durationLabel(minutes)} meeting "${title}": ${starts(slots, timeZone)}.`),
  newRound: (owner: string, title: string, slots: readonly Slot[], timeZone: string): string =>
    clip(
      `No time suited everyone yet; ${owner}'s agent proposes new times for "${title}": ${starts(slots, timeZone)}.`,
    ),
  suggest: (owner: string, slots: readonly Slot[], timeZone: string): string =>
    slots.length === 0
      ? clip(`None of those times suit ${owner}.`)
      : clip(`None of those times suit ${owner}; these would: ${starts(slots, timeZone)}.`),
  hold: (owner: string, slots: readonly Slot[], timeZone: string): string =>
    clip(`${owner} can make ${starts(slots, timeZone)} and is holding them for now.`),
  accept: (owner: string, slot: Slot, timeZone: string): string => clip(`${owner} accepted ${slotIn(slot, timeZone)}.`),
  confirm: (title: string, slot: Slot, timeZone: string): string =>
    clip(`Confirmed: "${title}", ${slotIn(slot, timeZone)}.`),
  stays: (title: string, slot: Slot, timeZone: string): string =>
    clip(`No new time suited everyone, so "${title}" stays at ${slotIn(slot, timeZone)}.`),
  declined: (owner: string, title: string): string => clip(`${owner} declined "${title}".`),
  proposalExpired: (owner: string, title: string): string =>
    clip(`The proposal "${title}" expired before ${owner} answered.`),
  noLongerAvailable: (owner: string, title: string, slot: Slot, timeZone: string): string =>
    clip(`${owner} is no longer available at ${slotIn(slot, timeZone)}, so cannot attend "${title}" then.`),
  cancel: (owner: string, title: string, confirmed: Slot | undefined, timeZone: string): string =>
    clip(`${owner} canceled "${title}"${confirmed === undefined ? "" : `, ${slotIn(confirmed, timeZone)}`}.`),
  calledOff: (owner: string, title: string): string =>
    clip(`${owner}'s agent called off "${title}": no time suited everyone.`),
  withdrawn: (owner: string, title: string): string =>
    clip(`${owner}'s agent withdrew "${title}": not every answer came before the proposal expired.`),
  gaveUp: (owner: string, title: string): string =>
    clip(`${owner}'s agent called off "${title}": no confirmation came for the held times.`),
  reschedule: (owner: string, title: string, slots: readonly Slot[], timeZone: string): string =>
    clip(`${owner}'s agent would like to move "${title}" to one of ${starts(slots, timeZone)}.`),
  askMove: (owner: string, title: string, slots: readonly Slot[], timeZone: string): string =>
    slots.length === 0
      ? clip(`${owner} asks to move "${title}".`)
      : clip(`${owner} asks to move "${title}"; these would suit: ${starts(slots, timeZone)}.`),
};
