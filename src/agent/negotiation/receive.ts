import type { Address } from "../../protocol/address";
import type { AgentMessage } from "../../protocol/messages/agent";
import { err, ok, type Result } from "../../protocol/result";
import { StepBuilder, when } from "./core";
import { onAnswer, onCounter, onDecline, onParticipantCancel, onRescheduleRequest } from "./organizer";
import { onConfirm, onNewRound, openAsParticipant } from "./participant";
import { FINAL_STATES, type Meeting, type NegotiationContext, type NegotiationError, type Step } from "./types";

/**
 * What a message from a peer does to a meeting. The message has already
 * passed the wire schema; here it is checked against the meeting: right task,
 * one of its agents, not seen before, linked into the pair's chain. A message
 * that passes those checks is part of the conversation and is recorded even
 * when it changes nothing (an answer to an old round), since later messages
 * link to it; `Step.ignored` then says why it changed nothing.
 */

/** Messages one pairwise conversation of a task may hold: four rounds need about a dozen, many moves a few more. */
export const MAX_CONVERSATION_MESSAGES = 400;

export function receive(
  meeting: Meeting | undefined,
  from: Address,
  incoming: AgentMessage,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (meeting === undefined) {
    if (incoming.data.type !== "propose") {
      // A later message of a task whose proposal has not arrived yet (it linked to one) may still find it.
      return err(
        incoming.prev === null
          ? { code: "unknown-task", taskId: incoming.taskId }
          : { code: "out-of-order", messageId: incoming.messageId },
      );
    }
    if (incoming.prev !== null) return err({ code: "broken-chain", messageId: incoming.messageId });
    return ok(openAsParticipant(from, incoming, incoming.data, ctx));
  }
  if (incoming.taskId !== meeting.id) return err({ code: "unknown-task", taskId: incoming.taskId });
  if (!meeting.parties.some((p) => p.address === from)) return err({ code: "wrong-peer", from });
  // Delivery is at-least-once, so a message may come twice; the first copy already did its work.
  if (meeting.transcript.some((e) => e.message.messageId === incoming.messageId)) {
    return err({ code: "duplicate", messageId: incoming.messageId });
  }
  const chain = meeting.transcript.filter((e) => e.peer === from);
  // Every message that fits the chain is stored: a bound keeps a peer from growing the record without end.
  if (chain.length >= MAX_CONVERSATION_MESSAGES)
    return err({ code: "conversation-full", messageId: incoming.messageId });
  if (incoming.prev === null) return err({ code: "broken-chain", messageId: incoming.messageId });
  if (!chain.some((e) => e.hash === incoming.prev)) return err({ code: "out-of-order", messageId: incoming.messageId });
  const result = dispatch(meeting, from, incoming, ctx);
  if (result.ok) return result;
  return ok({ ...new StepBuilder(meeting, ctx).received(from, incoming).done({}), ignored: result.error });
}

function dispatch(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  const data = incoming.data;
  const organizer = meeting.role === "organizer";
  const misfit = err({ code: "wrong-state", state: meeting.state, event: data.type } as const);
  switch (data.type) {
    case "propose":
      // A task is proposed once; a new proposal is a new task.
      return misfit;
    case "hold":
    case "accept":
      return organizer ? onAnswer(meeting, from, incoming, data, ctx) : misfit;
    case "counter":
      return organizer ? onCounter(meeting, from, incoming, data, ctx) : onNewRound(meeting, from, incoming, data, ctx);
    case "reschedule":
      return organizer
        ? onRescheduleRequest(meeting, from, incoming, data, ctx)
        : onNewRound(meeting, from, incoming, data, ctx);
    case "confirm":
      return organizer ? misfit : onConfirm(meeting, from, incoming, data, ctx);
    case "decline":
      // Only a participant declines; the organizer calls a meeting off with `cancel`.
      return organizer ? onDecline(meeting, from, incoming, data, ctx) : misfit;
    case "cancel":
      return organizer
        ? onParticipantCancel(meeting, from, incoming, ctx)
        : onOrganizerCancel(meeting, from, incoming, ctx);
  }
}

/** The organizer calls the meeting off: it ends here too, and what it held is free again. */
function onOrganizerCancel(
  meeting: Meeting,
  from: Address,
  incoming: AgentMessage,
  ctx: NegotiationContext,
): Result<Step, NegotiationError> {
  if (FINAL_STATES.includes(meeting.state))
    return err({ code: "wrong-state", state: meeting.state, event: incoming.data.type });
  const at = meeting.confirmed === undefined ? "" : ` at ${when(meeting.confirmed, ctx)}`;
  const name = meeting.parties[0]?.name ?? "The organizer";
  return ok(
    new StepBuilder(meeting, ctx)
      .received(from, incoming)
      .done(
        { state: "canceled", held: [], heldUntil: 0 },
        `${name} canceled "${meeting.title}"${at}; any time held for it is free again.`,
      ),
  );
}
