import type { Slot } from "../../protocol/messages/schema";
import { err, ok, type Result } from "../../protocol/result";
import { HOUR_MS } from "../scheduling/zoned";
import { acceptedSlot } from "./busy";
import { includesSlot, message, step, when } from "./core";
import { outgoingText } from "./text";
import { FINAL_STATES, type Meeting, type NegotiationContext, type NegotiationError, type Step } from "./types";

/** Moves this side's human (or the clock) makes: approve, decline, cancel, expire. */

/** The participant's human picks one of the available slots. */
export function approve(meeting: Meeting, slot: Slot, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (meeting.role !== "participant" || meeting.state !== "input-required") {
    return err({ code: "wrong-state", state: meeting.state, event: "approve" });
  }
  if (ctx.now >= meeting.expiresAt) return err({ code: "expired", expiresAt: meeting.expiresAt });
  if (!includesSlot(meeting.available, slot)) return err({ code: "slot-not-offered" });
  // The calendar may have filled since the proposal arrived (another meeting, a new event).
  if (!ctx.isFree(slot)) return err({ code: "slot-taken" });
  const accept = message(
    meeting,
    { type: "accept", slot },
    outgoingText.accept(ctx.ownerName, slot, ctx.timeZone),
    ctx,
  );
  const notice = `Accepted ${when(slot, ctx)} for "${meeting.title}"; waiting for ${meeting.peerName}'s agent to confirm.`;
  return ok(step(meeting, { state: "working" }, undefined, [accept], ctx, notice));
}

/** The participant's human says no to the whole proposal. */
export function decline(meeting: Meeting, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (meeting.role !== "participant" || meeting.state !== "input-required") {
    return err({ code: "wrong-state", state: meeting.state, event: "decline" });
  }
  const text = outgoingText.declined(ctx.ownerName, meeting.title);
  const out = message(meeting, { type: "decline", reason: "declined" }, text, ctx);
  return ok(
    step(meeting, { state: "rejected" }, undefined, [out], ctx, `Declined ${meeting.peerName}'s "${meeting.title}".`),
  );
}

/**
 * Either side calls the meeting off, before or after it was confirmed: an
 * organizer withdrawing its proposal, a participant withdrawing its acceptance
 * (or answering a proposal with a plain no), or either one after the confirm.
 */
export function cancel(meeting: Meeting, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (FINAL_STATES.includes(meeting.state)) return err({ code: "wrong-state", state: meeting.state, event: "cancel" });
  const text = outgoingText.cancel(ctx.ownerName, meeting.title, meeting.confirmed, ctx.timeZone);
  const out = message(meeting, { type: "cancel" }, text, ctx);
  return ok(
    step(
      meeting,
      { state: "canceled" },
      undefined,
      [out],
      ctx,
      `Canceled "${meeting.title}" with ${meeting.peerName}.`,
    ),
  );
}

/**
 * How long past a proposal's expiry a participant that accepted waits for the
 * organizer's answer. The organizer answers every acceptance, even a late one,
 * but the acceptance or the answer can be lost on the way; after this the
 * participant calls the meeting off rather than hold the time forever.
 */
export const ACCEPT_GRACE_MS = 24 * HOUR_MS;

/**
 * The clock's move, for the app to run on a timer and at start-up. An
 * unanswered proposal past its expiry is withdrawn (organizer) or declined
 * (participant). A participant that has accepted waits `ACCEPT_GRACE_MS`
 * longer for the confirm, then ends `failed`, freeing the held time, and
 * sends a `cancel` so the organizer does not book it either.
 * Returns undefined when there is nothing to do.
 */
export function expire(meeting: Meeting, ctx: NegotiationContext): Step | undefined {
  if (ctx.now < meeting.expiresAt) return undefined;
  const { title, peerName } = meeting;
  if (meeting.role === "participant" && meeting.state === "working") {
    if (ctx.now < meeting.expiresAt + ACCEPT_GRACE_MS) return undefined;
    const out = message(meeting, { type: "cancel" }, outgoingText.gaveUp(ctx.ownerName, title), ctx);
    const accepted = acceptedSlot(meeting);
    const at = accepted === undefined ? "" : ` for ${when(accepted, ctx)}`;
    return step(
      meeting,
      { state: "failed" },
      undefined,
      [out],
      ctx,
      `${peerName}'s agent never confirmed "${title}"${at}, so it was called off and that time is free again.`,
    );
  }
  if (meeting.role === "organizer" && meeting.state === "working") {
    const out = message(meeting, { type: "cancel" }, outgoingText.withdrawn(ctx.ownerName, title), ctx);
    return step(
      meeting,
      { state: "failed" },
      undefined,
      [out],
      ctx,
      `${peerName} did not answer "${title}" in time; the proposal was withdrawn.`,
    );
  }
  if (meeting.role === "participant" && meeting.state === "input-required") {
    const text = outgoingText.proposalExpired(ctx.ownerName, title);
    const out = message(meeting, { type: "decline", reason: "expired" }, text, ctx);
    return step(
      meeting,
      { state: "rejected" },
      undefined,
      [out],
      ctx,
      `${peerName}'s "${title}" expired before you answered.`,
    );
  }
  return undefined;
}
