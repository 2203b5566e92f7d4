import type { Address } from "../../protocol/address";
import { MAX_PROPOSED_SLOTS } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { HOUR_MS, MINUTE_MS } from "../scheduling/zoned";
import { message, step, when } from "./core";
import { outgoingText } from "./text";
import type { Meeting, NegotiationContext, Step } from "./types";

/** The organizer's first move: a new meeting and the proposal that opens it. */

export const DEFAULT_PROPOSAL_TTL_MINUTES = 7 * 24 * 60;

/**
 * The longest a received proposal may stay open, counted from its arrival:
 * a peer's later `expiresAt` is cut down to this, so a request cannot sit
 * waiting for an answer for years.
 */
export const MAX_PROPOSAL_TTL_MS = 30 * 24 * HOUR_MS;

export type ProposeArgs = {
  peer: Address;
  peerName: string;
  title: string;
  durationMinutes: number;
  slots: readonly Slot[];
  ttlMinutes?: number;
};

export function propose(args: ProposeArgs, ctx: NegotiationContext): Step {
  const { peer, peerName, durationMinutes, slots } = args;
  const title = args.title.trim();
  // The caller chose these slots with findFreeSlots; anything else is a bug, not a peer's doing.
  if (slots.length === 0 || slots.length > MAX_PROPOSED_SLOTS) {
    throw new Error(`propose: needs 1..${MAX_PROPOSED_SLOTS} slots, got ${slots.length}`);
  }
  if (slots.some((s) => s.end - s.start !== durationMinutes * MINUTE_MS)) {
    throw new Error(`propose: every slot must last exactly ${durationMinutes} minutes`);
  }
  const expiresAt = ctx.now + (args.ttlMinutes ?? DEFAULT_PROPOSAL_TTL_MINUTES) * MINUTE_MS;
  const meeting: Meeting = {
    id: ctx.newId(),
    role: "organizer",
    peer,
    peerName,
    title,
    durationMinutes,
    state: "working",
    proposed: [...slots],
    available: [],
    expiresAt,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    transcript: [],
  };
  const outgoing = message(
    meeting,
    { type: "propose", title, durationMinutes, slots: [...slots], expiresAt },
    outgoingText.propose(ctx.ownerName, title, durationMinutes, slots, ctx.timeZone),
    ctx,
  );
  const listed = slots.map((s) => when(s, ctx)).join(", ");
  return step(
    meeting,
    {},
    undefined,
    [outgoing],
    ctx,
    `Asked ${peerName}'s agent about "${title}": ${listed}. I'll tell you when they answer.`,
  );
}
