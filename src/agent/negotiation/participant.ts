import type { Address } from "../../protocol/address";
import type { AgentMessage, SchedulingData } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { err, ok, type Result } from "../../protocol/result";
import { icalMatches, meetingToICalendar } from "../calendar/ical";
import { MINUTE_MS } from "../scheduling/zoned";
import { includesSlot, sameSlot, StepBuilder, uniqueSlots, when } from "./core";
import { MAX_PROPOSAL_TTL_MS } from "./propose";
import { outgoingText } from "./text";
import { FINAL_STATES, type Meeting, type NegotiationContext, type NegotiationError, type Step } from "./types";

/**
 * The participant's side: a round of candidate slots arrives from the
 * organizer (a proposal, a new round, or a move of a confirmed meeting), this
 * side answers with what fits (held), with suggestions (a counter), or asks
 * its human; then a confirm books one of the held slots.
 */

type Data<T extends SchedulingData["type"]> = Extract<SchedulingData, { type: T }>;
type Round = { round: number; slots: readonly Slot[]; expiresAt: number };

export const uid = (meeting: Pick<Meeting, "id">): string => `${meeting.id}@parley`;

export function organizerOf(meeting: Meeting): Address {
  const organizer = meeting.parties[0];
  // A participant meeting is made with its organizer as the one party; a stored row without one is refused on read.
  if (organizer === undefined) throw new Error(`negotiation: participant meeting ${meeting.id} has no organizer`);
  return organizer.address;
}

export function openAsParticipant(
  from: Address,
  incoming: AgentMessage,
  data: Data<"propose">,
  ctx: NegotiationContext,
): Step {
  const peerName = ctx.peerName ?? "Your contact";
  const meeting: Meeting = {
    id: incoming.taskId,
    role: "participant",
    parties: [{ address: from, name: peerName, answer: "pending", slots: [] }],
    others: [...data.others],
    title: data.title,
    durationMinutes: data.durationMinutes,
    state: "input-required",
    round: 0,
    firstRound: 1,
    proposed: [],
    available: [],
    held: [],
    heldUntil: 0,
    tried: [],
    sequence: 0,
    expiresAt: 0,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    transcript: [],
  };
  const builder = new StepBuilder(meeting, ctx).received(from, incoming);
  if (data.expiresAt <= ctx.now) {
    builder.send(
      from,
      { type: "decline", round: 1, reason: "expired" },
      outgoingText.proposalExpired(ctx.ownerName, data.title),
    );
    return builder.done(
      { state: "rejected", round: 1, proposed: uniqueSlots(data.slots), expiresAt: data.expiresAt },
      `${peerName}'s proposal "${data.title}" arrived after it expired, so it was declined.`,
    );
  }
  const withOthers = data.others.length === 0 ? "" : ` (with ${data.others.join(", ")})`;
  return answerRound(meeting, builder, data, ctx, `${peerName} proposes "${data.title}"${withOthers}`);
}

/** A later round from the organizer: new times after none suited everyone, or a move of the confirmed meeting. */
export function onNewRound(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  data: Data<"counter"> | Data<"reschedule">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (FINAL_STATES.includes(meeting.state)) return err({ code: "wrong-state", state: meeting.state, event: data.type });
  if (data.type === "counter" && meeting.state === "completed") {
    return err({ code: "wrong-state", state: meeting.state, event: data.type });
  }
  if (data.round <= meeting.round) return err({ code: "stale-round", round: data.round, current: meeting.round });
  const builder = new StepBuilder(meeting, ctx).received(from, incoming);
  const name = meeting.parties[0]?.name ?? "Your contact";
  const intro =
    data.type === "reschedule"
      ? `${name} wants to move "${meeting.title}"`
      : `No time suited everyone for "${meeting.title}"; ${name} proposes new times`;
  return ok(answerRound(meeting, builder, data, ctx, intro));
}

/** Checks a round's slots against this side's calendar and policy, and answers or asks the human. */
function answerRound(
  meeting: Meeting,
  builder: StepBuilder,
  round: Round,
  ctx: NegotiationContext,
  intro: string,
): Step {
  const to = organizerOf(meeting);
  const proposed = uniqueSlots(round.slots);
  // The peer chose the expiry; this side bounds how long it lets a request wait.
  const expiresAt = Math.min(round.expiresAt, ctx.now + MAX_PROPOSAL_TTL_MS);
  const base = { round: round.round, proposed, held: [], heldUntil: 0, expiresAt };
  // A slot of another length than the stated duration is not the meeting on offer; it is never accepted.
  const available = proposed
    .filter((s) => s.end - s.start === meeting.durationMinutes * MINUTE_MS && s.start > ctx.now && ctx.suits(s))
    .sort((a, b) => a.start - b.start);
  if (available.length === 0) {
    const exclude = [...proposed, ...(meeting.confirmed === undefined ? [] : [meeting.confirmed])];
    const suggestions = ctx.candidates(meeting.durationMinutes, exclude).slice(0, 10);
    builder.send(
      to,
      { type: "counter", round: round.round, slots: suggestions, expiresAt },
      outgoingText.suggest(ctx.ownerName, suggestions, ctx.timeZone),
    );
    const offered = suggestions.length === 0 ? "" : `; I suggested ${suggestions.map((s) => when(s, ctx)).join(", ")}`;
    return builder.done(
      { ...base, state: "working", available },
      `${intro}, but none of the ${proposed.length} times is free for you${offered}.`,
    );
  }
  const auto = ctx.autoAccept(meeting.durationMinutes, available).filter((s) => includesSlot(available, s));
  if (auto.length > 0) {
    builder.send(
      to,
      { type: "hold", round: round.round, slots: auto, until: expiresAt },
      outgoingText.hold(ctx.ownerName, auto, ctx.timeZone),
    );
    const listed = auto.map((s) => when(s, ctx)).join(", ");
    return builder.done(
      { ...base, state: "working", available, held: auto, heldUntil: expiresAt },
      `${intro}; under your rule for this contact I am holding ${listed} until everyone answers.`,
    );
  }
  const listed = available.map((s) => when(s, ctx)).join(", ");
  return builder.done(
    { ...base, state: "input-required", available },
    `${intro}; you are free at ${listed}. Pick one to accept, or decline.`,
  );
}

export function onConfirm(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  data: Data<"confirm">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (FINAL_STATES.includes(meeting.state)) return err({ code: "wrong-state", state: meeting.state, event: "confirm" });
  if (data.round !== meeting.round) return err({ code: "stale-round", round: data.round, current: meeting.round });
  if (!icalMatches(data.ical, uid(meeting), data.slot)) return err({ code: "bad-ical" });
  const builder = new StepBuilder(meeting, ctx).received(from, incoming);
  const released = { held: [], heldUntil: 0, available: [] };
  if (meeting.confirmed !== undefined && sameSlot(meeting.confirmed, data.slot)) {
    // A move that found no new time: the meeting stays where it was.
    return ok(
      builder.done(
        { ...released, state: "completed" },
        `"${meeting.title}" stays at ${when(data.slot, ctx)}: no new time suited everyone.`,
      ),
    );
  }
  // What this side agreed to in the round: its holds, or, once they lapsed (the organizer was slow, or this
  // device was offline past the grace), the slots its last hold or accept of the round named.
  if (!includesSlot(meeting.held, data.slot) && !includesSlot(agreedIn(meeting, data.round), data.slot)) {
    return err({ code: "slot-not-offered" });
  }
  if (!ctx.isFree(data.slot)) {
    // The hold had lapsed and the time went to something else; say only "not available", never what.
    builder.send(
      from,
      { type: "decline", round: data.round, reason: "not-available" },
      outgoingText.noLongerAvailable(ctx.ownerName, meeting.title, data.slot, ctx.timeZone),
    );
    return ok(
      builder.done(
        { ...released, state: "failed" },
        `"${meeting.title}" was confirmed for ${when(data.slot, ctx)}, but that time is no longer free for you, so I told ${meeting.parties[0]?.name ?? "the organizer"} you cannot attend.`,
      ),
    );
  }
  const moved = meeting.confirmed === undefined ? "confirmed" : "moved";
  // The calendar entry offered to the human is written here from the booked slot, not taken from the peer.
  const ical = meetingToICalendar({
    uid: uid(meeting),
    title: data.title,
    start: data.slot.start,
    end: data.slot.end,
    stamp: ctx.now,
    sequence: meeting.sequence,
    status: "CONFIRMED",
    description: `Organised by ${meeting.parties[0]?.name ?? "your contact"}, arranged by Parley agents.`,
  });
  return ok(
    builder.done(
      {
        ...released,
        state: "completed",
        confirmed: data.slot,
        ical,
        title: data.title,
        sequence: meeting.sequence + 1,
      },
      `"${data.title}" with ${meeting.parties[0]?.name ?? "your contact"} is ${moved} for ${when(data.slot, ctx)}.`,
    ),
  );
}

/** The slots this side's last `hold` or `accept` of `round` offered the organizer. */
function agreedIn(meeting: Meeting, round: number): Slot[] {
  for (let i = meeting.transcript.length - 1; i >= 0; i--) {
    const { direction, message } = meeting.transcript[i]!;
    if (direction !== "out" || !("round" in message.data) || message.data.round !== round) continue;
    if (message.data.type === "hold") return message.data.slots;
    if (message.data.type === "accept") return [message.data.slot];
  }
  return [];
}

/** The human picks one of the available slots. */
export function approve(meeting: Meeting, slot: Slot, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (meeting.role !== "participant" || meeting.state !== "input-required") {
    return err({ code: "wrong-state", state: meeting.state, event: "approve" });
  }
  if (ctx.now >= meeting.expiresAt) return err({ code: "expired", expiresAt: meeting.expiresAt });
  if (!includesSlot(meeting.available, slot)) return err({ code: "slot-not-offered" });
  // The calendar may have filled since the proposal arrived (another meeting, a new event).
  if (!ctx.isFree(slot)) return err({ code: "slot-taken" });
  const step = new StepBuilder(meeting, ctx)
    .send(
      organizerOf(meeting),
      { type: "accept", round: meeting.round, slot },
      outgoingText.accept(ctx.ownerName, slot, ctx.timeZone),
    )
    .done(
      { state: "working", held: [slot], heldUntil: meeting.expiresAt },
      `Accepted ${when(slot, ctx)} for "${meeting.title}"; waiting for ${meeting.parties[0]?.name ?? "the organizer"}'s agent to confirm.`,
    );
  return ok(step);
}

/**
 * The human says no to the round. To a first proposal that declines the
 * meeting; to a move of a confirmed meeting it only turns the new times down,
 * and the meeting stays where it is.
 */
export function decline(meeting: Meeting, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (meeting.role !== "participant" || meeting.state !== "input-required") {
    return err({ code: "wrong-state", state: meeting.state, event: "decline" });
  }
  const to = organizerOf(meeting);
  const builder = new StepBuilder(meeting, ctx);
  const name = meeting.parties[0]?.name ?? "your contact";
  if (meeting.confirmed !== undefined) {
    builder.send(
      to,
      { type: "counter", round: meeting.round, slots: [], expiresAt: meeting.expiresAt },
      outgoingText.suggest(ctx.ownerName, [], ctx.timeZone),
    );
    return ok(
      builder.done(
        { state: "working" },
        `Turned down the new times for "${meeting.title}"; it stays at ${when(meeting.confirmed, ctx)} unless everyone agrees on another.`,
      ),
    );
  }
  builder.send(
    to,
    { type: "decline", round: meeting.round, reason: "declined" },
    outgoingText.declined(ctx.ownerName, meeting.title),
  );
  return ok(builder.done({ state: "rejected" }, `Declined ${name}'s "${meeting.title}".`));
}

/** The human asks the organizer to move a confirmed meeting, suggesting free times when policy allows. */
export function requestReschedule(meeting: Meeting, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (meeting.role !== "participant" || meeting.state !== "completed" || meeting.confirmed === undefined) {
    return err({ code: "wrong-state", state: meeting.state, event: "reschedule" });
  }
  const suggestions = ctx.candidates(meeting.durationMinutes, [meeting.confirmed]).slice(0, 10);
  const expiresAt = ctx.now + MAX_PROPOSAL_TTL_MS;
  const step = new StepBuilder(meeting, ctx)
    .send(
      organizerOf(meeting),
      { type: "reschedule", round: meeting.round, slots: suggestions, expiresAt },
      outgoingText.askMove(ctx.ownerName, meeting.title, suggestions, ctx.timeZone),
    )
    .done(
      {},
      `Asked ${meeting.parties[0]?.name ?? "the organizer"}'s agent to move "${meeting.title}"; it stays at ${when(meeting.confirmed, ctx)} until everyone agrees on a new time.`,
    );
  return ok(step);
}
