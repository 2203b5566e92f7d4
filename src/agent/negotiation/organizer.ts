import type { Address } from "../../protocol/address";
import { MAX_PROPOSED_SLOTS, MAX_ROUNDS, type AgentMessage, type SchedulingData } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { err, ok, type Result } from "../../protocol/result";
import { meetingToICalendar } from "../calendar/ical";
import { HOUR_MS, MINUTE_MS } from "../scheduling/zoned";
import { includesSlot, names, StepBuilder, uniqueSlots, when } from "./core";
import { uid } from "./participant";
import { outgoingText } from "./text";
import {
  FINAL_STATES,
  type Answer,
  type Meeting,
  type NegotiationContext,
  type NegotiationError,
  type Party,
  type Step,
} from "./types";

/**
 * The organizer's side: it collects every participant's answer to a round,
 * confirms the best slot all of them hold, or runs a new round with other
 * times (the participants' suggestions first); a negotiation that cannot
 * succeed ends with a message to everyone.
 */

type Data<T extends SchedulingData["type"]> = Extract<SchedulingData, { type: T }>;

/** Rounds one negotiation (or one move of a confirmed meeting) runs before it gives up. */
export const ROUNDS_PER_NEGOTIATION = 4;
/** How long participants have to answer a later round. */
export const ROUND_TTL_MS = 3 * 24 * HOUR_MS;

const ENDED: readonly Answer[] = ["declined", "withdrew"];
export const activeParties = (meeting: Meeting): Party[] => meeting.parties.filter((p) => !ENDED.includes(p.answer));

function withAnswer(meeting: Meeting, address: Address, answer: Answer, slots: readonly Slot[]): Party[] {
  return meeting.parties.map((p) => (p.address === address ? { ...p, answer, slots: [...slots] } : p));
}

const ended = (meeting: Meeting, address: Address): boolean =>
  meeting.parties.some((p) => p.address === address && ENDED.includes(p.answer));

const partyName = (meeting: Meeting, address: Address): string =>
  meeting.parties.find((p) => p.address === address)?.name ?? "A participant";

function checkRound(meeting: Meeting, from: Address, event: string, round: number): NegotiationError | undefined {
  if (meeting.state !== "working") return { code: "wrong-state", state: meeting.state, event };
  // A participant who declined or withdrew is out of the meeting: a later answer does not bring them back.
  if (ended(meeting, from)) return { code: "wrong-state", state: meeting.state, event };
  if (round !== meeting.round) return { code: "stale-round", round, current: meeting.round };
  return undefined;
}

/** A hold (several slots) or an accept (the one a human chose): the slots this participant can make. */
export function onAnswer(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  data: Data<"hold"> | Data<"accept">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  const problem = checkRound(meeting, from, data.type, data.round);
  if (problem !== undefined) return err(problem);
  const slots = data.type === "hold" ? uniqueSlots(data.slots) : [data.slot];
  if (!slots.every((s) => includesSlot(meeting.proposed, s))) return err({ code: "slot-not-offered" });
  const next = { ...meeting, parties: withAnswer(meeting, from, "held", slots) };
  return ok(settle(next, new StepBuilder(meeting, ctx).received(from, incoming), ctx));
}

/** None of the round's slots fit this participant; its suggestions (maybe none) seed the next round. */
export function onCounter(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  data: Data<"counter">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  const problem = checkRound(meeting, from, "counter", data.round);
  if (problem !== undefined) return err(problem);
  const next = { ...meeting, parties: withAnswer(meeting, from, "countered", uniqueSlots(data.slots)) };
  return ok(settle(next, new StepBuilder(meeting, ctx).received(from, incoming), ctx));
}

/**
 * A participant's no. Before the meeting is booked it ends the negotiation
 * for everyone (every invitee is needed); during a move it only turns the new
 * times down; after the booking it means that participant cannot attend.
 */
export function onDecline(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  data: Data<"decline">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if ((meeting.state !== "working" && meeting.state !== "completed") || ended(meeting, from)) {
    return err({ code: "wrong-state", state: meeting.state, event: "decline" });
  }
  const builder = new StepBuilder(meeting, ctx).received(from, incoming);
  const name = partyName(meeting, from);
  if (meeting.state === "working" && meeting.confirmed !== undefined) {
    // During a move: a no to the new times leaves the booked time standing; a no to an earlier confirm means
    // they cannot attend at all, and the move goes on with the others.
    if (data.round === meeting.round) {
      return ok(settle({ ...meeting, parties: withAnswer(meeting, from, "countered", []) }, builder, ctx));
    }
    return ok(dropDuringMove(meeting, from, "declined", builder, ctx, `${name} cannot attend`));
  }
  const parties = withAnswer(meeting, from, "declined", []);
  if (meeting.state === "completed") return ok(leaveBooked(meeting, parties, builder, ctx, `${name} cannot attend`));
  if (data.round !== meeting.round) return err({ code: "stale-round", round: data.round, current: meeting.round });
  const rest = parties.filter((p) => !ENDED.includes(p.answer));
  builder.sendAll(rest, { type: "cancel" }, outgoingText.calledOff(ctx.ownerName, meeting.title));
  const why =
    data.reason === "declined" ? "declined" : data.reason === "expired" ? "let it expire" : "is not available";
  const others = rest.length === 0 ? "" : `; I told ${names(rest)}`;
  return ok(
    builder.done(
      { parties, state: "rejected" },
      `${name} ${why}, so "${meeting.title}" was called off${others}. Ask me again to meet without them.`,
    ),
  );
}

/** A participant withdraws: before the booking that calls the negotiation off; after it, only they drop out. */
export function onParticipantCancel(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if ((meeting.state !== "working" && meeting.state !== "completed") || ended(meeting, from)) {
    return err({ code: "wrong-state", state: meeting.state, event: "cancel" });
  }
  return ok(partyLeaves(meeting, from, new StepBuilder(meeting, ctx).received(from, incoming), ctx, "withdrew"));
}

/**
 * The owner removed a participant from their contacts: they can no longer be
 * told anything, so they leave the meeting as if they had withdrawn, and the
 * others hear what that means for them (NG26).
 */
export function removeParty(meeting: Meeting, address: Address, ctx: NegotiationContext): Step | undefined {
  if (meeting.role !== "organizer" || FINAL_STATES.includes(meeting.state) || ended(meeting, address)) return undefined;
  if (!meeting.parties.some((p) => p.address === address)) return undefined;
  return partyLeaves(meeting, address, new StepBuilder(meeting, ctx), ctx, "was removed from your contacts, so left");
}

/** A participant leaves: a pending negotiation is called off for all; a booked meeting goes on without them. */
function partyLeaves(
  meeting: Meeting,
  from: Address,
  builder: StepBuilder,
  ctx: NegotiationContext,
  how: string,
): Step {
  const name = partyName(meeting, from);
  const parties = withAnswer(meeting, from, "withdrew", []);
  const what = `${name} ${how === "withdrew" ? "withdrew from" : how}`;
  if (meeting.state === "working" && meeting.confirmed !== undefined) {
    return dropDuringMove(meeting, from, "withdrew", builder, ctx, what);
  }
  if (meeting.confirmed !== undefined) return leaveBooked(meeting, parties, builder, ctx, what);
  const rest = parties.filter((p) => !ENDED.includes(p.answer));
  builder.sendAll(rest, { type: "cancel" }, outgoingText.calledOff(ctx.ownerName, meeting.title));
  const others = rest.length === 0 ? "" : `; I told ${names(rest)}`;
  return builder.done({ parties, state: "canceled" }, `${what} "${meeting.title}", so it was called off${others}.`);
}

/** A participant drops out while a booked meeting is being moved: the move goes on with whoever is left. */
function dropDuringMove(
  meeting: Meeting,
  from: Address,
  answer: "declined" | "withdrew",
  builder: StepBuilder,
  ctx: NegotiationContext,
  what: string,
): Step {
  const parties = withAnswer(meeting, from, answer, []);
  if (parties.every((p) => ENDED.includes(p.answer))) return leaveBooked(meeting, parties, builder, ctx, what);
  const step = settle({ ...meeting, parties }, builder, ctx);
  const at = meeting.confirmed === undefined ? "" : ` at ${when(meeting.confirmed, ctx)}`;
  const dropped = `${what} "${meeting.title}"${at}.`;
  return { ...step, notice: step.notice === undefined ? dropped : `${dropped} ${step.notice}` };
}

/** A booked meeting that lost a participant: it goes on with the others, or ends when nobody is left. */
function leaveBooked(
  meeting: Meeting,
  parties: Party[],
  builder: StepBuilder,
  ctx: NegotiationContext,
  what: string,
): Step {
  const at = meeting.confirmed === undefined ? "" : ` at ${when(meeting.confirmed, ctx)}`;
  const rest = parties.filter((p) => !ENDED.includes(p.answer));
  if (rest.length === 0) {
    return builder.done(
      { parties, state: "canceled" },
      `${what} "${meeting.title}"${at}; nobody else was invited, so it is canceled.`,
    );
  }
  return builder.done(
    { parties, state: meeting.state },
    `${what} "${meeting.title}"${at}; it stays booked with ${names(rest)}. Ask me to move or cancel it.`,
  );
}

/** A participant asks to move the booked meeting: a new round, its suggestions first. */
export function onRescheduleRequest(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  data: Data<"reschedule">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (meeting.state !== "completed" || meeting.confirmed === undefined || ended(meeting, from) || !canMove(meeting)) {
    return err({ code: "wrong-state", state: meeting.state, event: "reschedule" });
  }
  const builder = new StepBuilder(meeting, ctx).received(from, incoming);
  const asked = `${partyName(meeting, from)} asked to move "${meeting.title}"`;
  return ok(startMove(meeting, builder, ctx, uniqueSlots(data.slots), asked));
}

/** The organizer's human moves a booked meeting. */
export function reschedule(meeting: Meeting, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (meeting.role !== "organizer" || meeting.state !== "completed" || meeting.confirmed === undefined) {
    return err({ code: "wrong-state", state: meeting.state, event: "reschedule" });
  }
  if (!canMove(meeting)) return err({ code: "too-many-rounds", round: meeting.round });
  return ok(startMove(meeting, new StepBuilder(meeting, ctx), ctx, [], `You asked to move "${meeting.title}"`));
}

function startMove(meeting: Meeting, builder: StepBuilder, ctx: NegotiationContext, seeds: Slot[], why: string): Step {
  const confirmed = meeting.confirmed!;
  const fresh = { ...meeting, tried: [confirmed], proposed: [], firstRound: meeting.round + 1 };
  const slots = nextSlots(fresh, seeds, ctx);
  if (slots.length === 0) {
    // Nothing to offer: every participant hears the meeting stays, so nobody is left waiting.
    const parties = activeParties(meeting);
    builder.sendAll(
      parties,
      confirmData(meeting, confirmed, ctx),
      outgoingText.stays(meeting.title, confirmed, ctx.timeZone),
    );
    return builder.done({}, `${why}, but I found no other time free for you, so it stays at ${when(confirmed, ctx)}.`);
  }
  return sendRound(
    fresh,
    builder,
    ctx,
    slots,
    "reschedule",
    `${why}; I asked ${names(activeParties(meeting))} about ${slots.map((s) => when(s, ctx)).join(", ")}. It stays at ${when(confirmed, ctx)} until everyone agrees.`,
  );
}

/**
 * Whether a whole move still fits under the wire's round limit: rounds only
 * grow, so a task moved again and again (a participant asking each time)
 * ends up at a booked time that stays, rather than at a round the schema
 * refuses.
 */
const canMove = (meeting: Meeting): boolean => meeting.round + ROUNDS_PER_NEGOTIATION <= MAX_ROUNDS;

/** Once every active participant has answered the round: confirm, run another round, or give up. */
function settle(meeting: Meeting, builder: StepBuilder, ctx: NegotiationContext): Step {
  const parties = activeParties(meeting);
  const changes = { parties: meeting.parties };
  if (parties.some((p) => p.answer === "pending")) return builder.done(changes);
  if (parties.every((p) => p.answer === "held")) {
    const common = meeting.proposed.filter(
      (slot) => slot.start > ctx.now && parties.every((p) => includesSlot(p.slots, slot)) && ctx.isFree(slot),
    );
    const best = common[0];
    if (best !== undefined) return confirm(meeting, builder, ctx, best);
  }
  if (meeting.round - meeting.firstRound + 1 >= ROUNDS_PER_NEGOTIATION) return giveUp(meeting, builder, ctx, "rounds");
  const seeds = parties.flatMap((p) => p.slots);
  const slots = nextSlots(meeting, seeds, ctx);
  if (slots.length === 0) return giveUp(meeting, builder, ctx, "rounds");
  const type = meeting.confirmed === undefined ? "counter" : "reschedule";
  return sendRound(
    meeting,
    builder,
    ctx,
    slots,
    type,
    `No time suited everyone for "${meeting.title}" yet; I asked ${names(parties)} about ${slots.map((s) => when(s, ctx)).join(", ")}.`,
  );
}

/**
 * The next round's candidates: slots the participants suggested or held
 * (the most wanted first), then the organizer's own search; never a slot
 * already tried, and only slots free for the organizer now.
 */
function nextSlots(meeting: Meeting, seeds: readonly Slot[], ctx: NegotiationContext): Slot[] {
  const tried = [...meeting.tried, ...meeting.proposed];
  const length = meeting.durationMinutes * MINUTE_MS;
  const votes = (slot: Slot) => seeds.filter((s) => s.start === slot.start && s.end === slot.end).length;
  const seeded = uniqueSlots(seeds)
    .filter((s) => s.end - s.start === length && s.start > ctx.now && !includesSlot(tried, s) && ctx.suits(s))
    .sort((a, b) => votes(b) - votes(a) || a.start - b.start);
  const searched = ctx.candidates(meeting.durationMinutes, [...tried, ...seeded]);
  return uniqueSlots([...seeded, ...searched])
    .filter((s) => s.end - s.start === length && s.start > ctx.now && !includesSlot(tried, s))
    .slice(0, MAX_PROPOSED_SLOTS);
}

function sendRound(
  meeting: Meeting,
  builder: StepBuilder,
  ctx: NegotiationContext,
  slots: Slot[],
  type: "counter" | "reschedule",
  notice: string,
): Step {
  const round = meeting.round + 1;
  const expiresAt = ctx.now + ROUND_TTL_MS;
  const parties = activeParties(meeting);
  const text =
    type === "counter"
      ? outgoingText.newRound(ctx.ownerName, meeting.title, slots, ctx.timeZone)
      : outgoingText.reschedule(ctx.ownerName, meeting.title, slots, ctx.timeZone);
  builder.sendAll(parties, { type, round, slots, expiresAt }, text);
  const reset = meeting.parties.map((p) =>
    ENDED.includes(p.answer) ? p : { ...p, answer: "pending" as const, slots: [] },
  );
  return builder.done(
    {
      parties: reset,
      state: "working",
      round,
      firstRound: meeting.firstRound,
      tried: uniqueSlots([...meeting.tried, ...meeting.proposed]),
      proposed: slots,
      expiresAt,
    },
    notice,
  );
}

function confirmData(meeting: Meeting, slot: Slot, ctx: NegotiationContext): Data<"confirm"> {
  const ical = meetingToICalendar({
    uid: uid(meeting),
    title: meeting.title,
    start: slot.start,
    end: slot.end,
    stamp: ctx.now,
    sequence: meeting.sequence,
    status: "CONFIRMED",
    description: `Organised by ${ctx.ownerName} with ${names(activeParties(meeting))}, arranged by their Parley agents.`,
  });
  return { type: "confirm", round: meeting.round, slot, title: meeting.title, ical };
}

function confirm(meeting: Meeting, builder: StepBuilder, ctx: NegotiationContext, slot: Slot): Step {
  const data = confirmData(meeting, slot, ctx);
  builder.sendAll(activeParties(meeting), data, outgoingText.confirm(meeting.title, slot, ctx.timeZone));
  const moved = meeting.confirmed === undefined ? "confirmed" : "moved";
  return builder.done(
    { parties: meeting.parties, state: "completed", confirmed: slot, ical: data.ical, sequence: meeting.sequence + 1 },
    `Everyone can make it: "${meeting.title}" with ${names(activeParties(meeting))} is ${moved} for ${when(slot, ctx)}.`,
  );
}

/**
 * The negotiation cannot succeed (no common time after its rounds, or not
 * every answer before the round expired): a move keeps the booked time and
 * says so; a first negotiation is called off for everyone.
 */
export function giveUp(
  meeting: Meeting,
  builder: StepBuilder,
  ctx: NegotiationContext,
  why: "rounds" | "expired",
): Step {
  const parties = activeParties(meeting);
  if (meeting.confirmed !== undefined) {
    const stays = confirmData(meeting, meeting.confirmed, ctx);
    builder.sendAll(parties, stays, outgoingText.stays(meeting.title, meeting.confirmed, ctx.timeZone));
    return builder.done(
      { parties: meeting.parties, state: "completed", proposed: [] },
      `No new time suited everyone for "${meeting.title}", so it stays at ${when(meeting.confirmed, ctx)}.`,
    );
  }
  const text =
    why === "rounds"
      ? outgoingText.calledOff(ctx.ownerName, meeting.title)
      : outgoingText.withdrawn(ctx.ownerName, meeting.title);
  builder.sendAll(parties, { type: "cancel" }, text);
  const pending = parties.filter((p) => p.answer === "pending");
  const notice =
    why === "rounds"
      ? `No time suited ${names(parties)} for "${meeting.title}" after ${meeting.round} round${meeting.round === 1 ? "" : "s"}, so I called it off; try a wider range of days.`
      : `${names(pending)} did not answer "${meeting.title}" in time, so I withdrew it.`;
  return builder.done({ parties: meeting.parties, state: "failed" }, notice);
}
