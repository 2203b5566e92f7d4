import type { Address } from "../../protocol/address";
import type { AgentMessage, DeclineReason, SchedulingData } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { err, ok, type Result } from "../../protocol/result";
import { MINUTE_MS } from "../scheduling/zoned";
import { acceptedSlot } from "./busy";
import { includesSlot, message, sameSlot, step, when } from "./core";
import { MAX_PROPOSAL_TTL_MS } from "./propose";
import { outgoingText } from "./text";
import { FINAL_STATES, type Meeting, type NegotiationContext, type NegotiationError, type Step } from "./types";

/**
 * What a message from the peer does to a meeting. The message has already
 * passed the wire schema; here it is checked against the meeting: right task,
 * right peer, not seen before, and a move that fits the current state.
 */

type Data<T extends SchedulingData["type"]> = Extract<SchedulingData, { type: T }>;

const REASON_WORDS: Readonly<Record<DeclineReason, string>> = {
  "not-available": "not available at those times",
  declined: "declined",
  expired: "the proposal expired",
};

export function receive(
  meeting: Meeting | undefined,
  from: Address,
  incoming: AgentMessage,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (meeting === undefined) {
    if (incoming.data.type !== "propose") return err({ code: "unknown-task", taskId: incoming.taskId });
    return ok(openAsParticipant(from, incoming, incoming.data, ctx));
  }
  if (incoming.taskId !== meeting.id) return err({ code: "unknown-task", taskId: incoming.taskId });
  if (from !== meeting.peer) return err({ code: "wrong-peer", from });
  // Delivery is at-least-once, so a message may come twice; the first copy already did its work.
  if (meeting.transcript.some((e) => e.message.messageId === incoming.messageId)) {
    return err({ code: "duplicate", messageId: incoming.messageId });
  }
  const data = incoming.data;
  switch (data.type) {
    case "propose":
      // A task is proposed once; a new proposal is a new task.
      return err({ code: "wrong-state", state: meeting.state, event: "propose" });
    case "accept":
      return onAccept(meeting, incoming, data, ctx);
    case "confirm":
      return onConfirm(meeting, incoming, data, ctx);
    case "decline":
      return onDecline(meeting, incoming, data, ctx);
    case "cancel":
      return onCancel(meeting, incoming, ctx);
  }
}

function openAsParticipant(
  from: Address,
  incoming: AgentMessage,
  data: Data<"propose">,
  ctx: NegotiationContext,
): Step {
  const peerName = ctx.peerName ?? "Your contact";
  const proposed = data.slots.filter((slot, i) => data.slots.findIndex((s) => sameSlot(s, slot)) === i);
  const meeting: Meeting = {
    id: incoming.taskId,
    role: "participant",
    peer: from,
    peerName,
    title: data.title,
    durationMinutes: data.durationMinutes,
    state: "input-required",
    proposed,
    available: [],
    // The peer chose the expiry; this side bounds how long it lets a request wait.
    expiresAt: Math.min(data.expiresAt, ctx.now + MAX_PROPOSAL_TTL_MS),
    createdAt: ctx.now,
    updatedAt: ctx.now,
    transcript: [],
  };
  const owner = ctx.ownerName;
  if (data.expiresAt <= ctx.now) {
    const decline = message(
      meeting,
      { type: "decline", reason: "expired" },
      outgoingText.proposalExpired(owner, data.title),
      ctx,
    );
    return step(
      meeting,
      { state: "rejected" },
      incoming,
      [decline],
      ctx,
      `${peerName}'s proposal "${data.title}" arrived after it expired, so it was declined.`,
    );
  }
  // A slot of another length than the stated duration is not the meeting on offer; it is never accepted.
  const available = proposed
    .filter((s) => s.end - s.start === data.durationMinutes * MINUTE_MS && s.start > ctx.now && ctx.isFree(s))
    .sort((a, b) => a.start - b.start);
  const first = available[0];
  if (first === undefined) {
    const decline = message(
      meeting,
      { type: "decline", reason: "not-available" },
      outgoingText.noneAvailable(owner),
      ctx,
    );
    const notice = `Declined ${peerName}'s "${data.title}": none of the ${proposed.length} proposed times is free for you.`;
    return step(meeting, { state: "rejected" }, incoming, [decline], ctx, notice);
  }
  if (ctx.policy.autoAccept) {
    const accept = message(
      meeting,
      { type: "accept", slot: first },
      outgoingText.accept(owner, first, ctx.timeZone),
      ctx,
    );
    const notice = `Accepted ${peerName}'s "${data.title}" for ${when(first, ctx)} under your auto-accept rule; waiting for confirmation.`;
    return step(meeting, { state: "working", available }, incoming, [accept], ctx, notice);
  }
  const listed = available.map((s) => when(s, ctx)).join(", ");
  const notice = `${peerName} proposes "${data.title}"; you are free at ${listed}. Pick one to accept, or decline.`;
  return step(meeting, { state: "input-required", available }, incoming, [], ctx, notice);
}

function onAccept(
  meeting: Meeting,
  incoming: AgentMessage,
  data: Data<"accept">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (meeting.role !== "organizer" || meeting.state !== "working") {
    return err({ code: "wrong-state", state: meeting.state, event: "accept" });
  }
  const slot = data.slot;
  if (!includesSlot(meeting.proposed, slot)) return err({ code: "slot-not-offered" });
  const { peerName, title } = meeting;
  if (ctx.now >= meeting.expiresAt) {
    const decline = message(meeting, { type: "decline", reason: "expired" }, outgoingText.acceptedTooLate(title), ctx);
    const notice = `${peerName} accepted "${title}" after your proposal expired, so nothing was booked.`;
    return ok(step(meeting, { state: "failed" }, incoming, [decline], ctx, notice));
  }
  if (!ctx.isFree(slot)) {
    // Something else took the time after it was proposed; say only "not available", never what.
    const text = outgoingText.noLongerAvailable(ctx.ownerName, title, slot, ctx.timeZone);
    const decline = message(meeting, { type: "decline", reason: "not-available" }, text, ctx);
    const notice = `${peerName} accepted ${when(slot, ctx)}, but it is no longer free in your calendar, so "${title}" was not booked; ask me to find another time.`;
    return ok(step(meeting, { state: "failed" }, incoming, [decline], ctx, notice));
  }
  const confirm = message(
    meeting,
    { type: "confirm", slot, title },
    outgoingText.confirm(title, slot, ctx.timeZone),
    ctx,
  );
  const notice = `${peerName} accepted: "${title}" is confirmed for ${when(slot, ctx)}.`;
  return ok(step(meeting, { state: "completed", confirmed: slot }, incoming, [confirm], ctx, notice));
}

function onConfirm(
  meeting: Meeting,
  incoming: AgentMessage,
  data: Data<"confirm">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (meeting.role !== "participant" || meeting.state !== "working") {
    return err({ code: "wrong-state", state: meeting.state, event: "confirm" });
  }
  const accepted: Slot | undefined = acceptedSlot(meeting);
  if (accepted === undefined || !sameSlot(accepted, data.slot)) return err({ code: "slot-not-offered" });
  const notice = `"${meeting.title}" with ${meeting.peerName} is confirmed for ${when(accepted, ctx)}.`;
  return ok(step(meeting, { state: "completed", confirmed: accepted }, incoming, [], ctx, notice));
}

function onDecline(
  meeting: Meeting,
  incoming: AgentMessage,
  data: Data<"decline">,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (meeting.state === "completed" || FINAL_STATES.includes(meeting.state)) {
    return err({ code: "wrong-state", state: meeting.state, event: "decline" });
  }
  const notice =
    meeting.role === "organizer"
      ? `${meeting.peerName} declined "${meeting.title}" (${REASON_WORDS[data.reason]}).`
      : `${meeting.peerName}'s agent did not book "${meeting.title}" (${REASON_WORDS[data.reason]}).`;
  return ok(step(meeting, { state: "rejected" }, incoming, [], ctx, notice));
}

function onCancel(meeting: Meeting, incoming: AgentMessage, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (FINAL_STATES.includes(meeting.state)) return err({ code: "wrong-state", state: meeting.state, event: "cancel" });
  const at = meeting.confirmed === undefined ? "" : ` for ${when(meeting.confirmed, ctx)}`;
  const notice = `${meeting.peerName} canceled "${meeting.title}"${at}.`;
  return ok(step(meeting, { state: "canceled" }, incoming, [], ctx, notice));
}
