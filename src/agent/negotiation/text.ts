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

export const outgoingText = {
  propose: (owner: string, title: string, minutes: number, slots: readonly Slot[], timeZone: string): string =>
    clip(
      `${owner}'s agent proposes a ${durationLabel(minutes)} meeting "${title}": ` +
        `${slots.map((s) => formatInstant(s.start, timeZone)).join(", ")} (${timeZone}).`,
    ),
  accept: (owner: string, slot: Slot, timeZone: string): string => clip(`${owner} accepted ${slotIn(slot, timeZone)}.`),
  confirm: (title: string, slot: Slot, timeZone: string): string =>
    clip(`Confirmed: "${title}", ${slotIn(slot, timeZone)}.`),
  noneAvailable: (owner: string): string => clip(`${owner} is not available at any of the proposed times.`),
  declined: (owner: string, title: string): string => clip(`${owner} declined "${title}".`),
  proposalExpired: (owner: string, title: string): string =>
    clip(`The proposal "${title}" expired before ${owner} answered.`),
  noLongerAvailable: (owner: string, title: string, slot: Slot, timeZone: string): string =>
    clip(`${owner} is no longer available at ${slotIn(slot, timeZone)}, so "${title}" was not booked.`),
  acceptedTooLate: (title: string): string =>
    clip(`The acceptance arrived after the proposal "${title}" expired, so nothing was booked.`),
  cancel: (owner: string, title: string, confirmed: Slot | undefined, timeZone: string): string =>
    clip(`${owner} canceled "${title}"${confirmed === undefined ? "" : `, ${slotIn(confirmed, timeZone)}`}.`),
  withdrawn: (owner: string, title: string): string =>
    clip(`${owner}'s agent withdrew "${title}": no answer came before the proposal expired.`),
  gaveUp: (owner: string, title: string): string =>
    clip(`${owner}'s agent called off "${title}": no confirmation came for the acceptance.`),
};
