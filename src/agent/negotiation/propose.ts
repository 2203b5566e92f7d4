import type { Address } from "../../protocol/address";
import { MAX_PARTICIPANTS, MAX_PROPOSED_SLOTS } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { HOUR_MS, MINUTE_MS } from "../scheduling/zoned";
import { names, StepBuilder, when } from "./core";
import { outgoingText } from "./text";
import type { Meeting, NegotiationContext, Party, Step } from "./types";

/** The organizer's first move: a new meeting and the proposal that opens it with every participant. */

export const DEFAULT_PROPOSAL_TTL_MINUTES = 7 * 24 * 60;

/**
 * The longest a received proposal (or round) may stay open, counted from its
 * arrival: a peer's later `expiresAt` is cut down to this, so a request
 * cannot sit waiting for an answer for years.
 */
export const MAX_PROPOSAL_TTL_MS = 30 * 24 * HOUR_MS;

export type Invitee = { address: Address; name: string };

export type ProposeArgs = {
  participants: readonly Invitee[];
  title: string;
  durationMinutes: number;
  slots: readonly Slot[];
  ttlMinutes?: number;
};

export function propose(args: ProposeArgs, ctx: NegotiationContext): Step {
  const { participants, durationMinutes, slots } = args;
  const title = args.title.trim();
  // The caller chose these with the slot search and the contacts list; anything else is a bug, not a peer's doing.
  if (slots.length === 0 || slots.length > MAX_PROPOSED_SLOTS) {
    throw new Error(`propose: needs 1..${MAX_PROPOSED_SLOTS} slots, got ${slots.length}`);
  }
  if (slots.some((s) => s.end - s.start !== durationMinutes * MINUTE_MS)) {
    throw new Error(`propose: every slot must last exactly ${durationMinutes} minutes`);
  }
  const addresses = new Set(participants.map((p) => p.address));
  if (participants.length === 0 || participants.length > MAX_PARTICIPANTS || addresses.size !== participants.length) {
    throw new Error(`propose: needs 1..${MAX_PARTICIPANTS} distinct participants, got ${participants.length}`);
  }
  const expiresAt = ctx.now + (args.ttlMinutes ?? DEFAULT_PROPOSAL_TTL_MINUTES) * MINUTE_MS;
  const parties: Party[] = participants.map((p) => ({ ...p, answer: "pending", slots: [] }));
  const meeting: Meeting = {
    id: ctx.newId(),
    role: "organizer",
    parties,
    others: [],
    title,
    durationMinutes,
    state: "working",
    round: 1,
    firstRound: 1,
    proposed: [...slots],
    available: [],
    held: [],
    heldUntil: 0,
    tried: [],
    sequence: 0,
    expiresAt,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    transcript: [],
  };
  const text = outgoingText.propose(ctx.ownerName, title, durationMinutes, slots, ctx.timeZone);
  const builder = new StepBuilder(meeting, ctx);
  for (const party of parties) {
    const others = parties.filter((p) => p !== party).map((p) => p.name);
    builder.send(
      party.address,
      { type: "propose", round: 1, title, durationMinutes, slots: [...slots], expiresAt, others },
      text,
    );
  }
  const listed = slots.map((s) => when(s, ctx)).join(", ");
  const asked = parties.length === 1 ? `${names(parties)}'s agent` : `the agents of ${names(parties)}`;
  return builder.done({}, `Asked ${asked} about "${title}": ${listed}. I'll tell you when they answer.`);
}
