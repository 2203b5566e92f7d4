import { err, ok, type Result } from "../../protocol/result";
import { HOUR_MS } from "../scheduling/zoned";
import { StepBuilder, when } from "./core";
import { activeParties, giveUp } from "./organizer";
import { organizerOf } from "./participant";
import { outgoingText } from "./text";
import { FINAL_STATES, type Meeting, type NegotiationContext, type NegotiationError, type Step } from "./types";

/** Moves either side's human or the clock makes: cancel and expire. */

/**
 * Either side calls the meeting off, before or after it was confirmed: an
 * organizer cancels it for everyone; a participant withdraws (the organizer
 * then calls a pending negotiation off, or goes on without them).
 */
export function cancel(meeting: Meeting, ctx: NegotiationContext): Result<Step, NegotiationError> {
  if (FINAL_STATES.includes(meeting.state)) return err({ code: "wrong-state", state: meeting.state, event: "cancel" });
  const text = outgoingText.cancel(ctx.ownerName, meeting.title, meeting.confirmed, ctx.timeZone);
  const builder = new StepBuilder(meeting, ctx);
  if (meeting.role === "organizer") builder.sendAll(activeParties(meeting), { type: "cancel" }, text);
  else builder.send(organizerOf(meeting), { type: "cancel" }, text);
  const at = meeting.confirmed === undefined ? "" : ` at ${when(meeting.confirmed, ctx)}`;
  return ok(builder.done({ state: "canceled", held: [], heldUntil: 0 }, `Canceled "${meeting.title}"${at}.`));
}

/**
 * How long past a round's expiry a participant that answered waits for the
 * organizer's next word. The organizer answers every round, even late, but a
 * message can be lost on the way; after this the participant stops waiting
 * rather than hold the time forever.
 */
export const ACCEPT_GRACE_MS = 24 * HOUR_MS;

/**
 * The clock's move, for the app to run on a timer and at start-up; returns
 * undefined when nothing is due. Holds stop blocking other negotiations at
 * their expiry on their own (see busyFromMeetings); this ends what waited too
 * long and tells the other side.
 */
export function expire(meeting: Meeting, ctx: NegotiationContext): Step | undefined {
  if (ctx.now < meeting.expiresAt) return undefined;
  const builder = new StepBuilder(meeting, ctx);
  const { title } = meeting;
  const moving = meeting.confirmed !== undefined;
  if (meeting.role === "organizer") {
    return meeting.state === "working" ? giveUp(meeting, builder, ctx, "expired") : undefined;
  }
  const organizer = organizerOf(meeting);
  const name = meeting.parties[0]?.name ?? "The organizer";
  if (meeting.state === "input-required") {
    if (moving) {
      builder.send(
        organizer,
        { type: "counter", round: meeting.round, slots: [], expiresAt: meeting.expiresAt },
        outgoingText.suggest(ctx.ownerName, [], ctx.timeZone),
      );
      return builder.done(
        { state: "working" },
        `You did not answer ${name}'s new times for "${title}" in time; it stays at ${when(meeting.confirmed!, ctx)} unless everyone agrees on another.`,
      );
    }
    builder.send(
      organizer,
      { type: "decline", round: meeting.round, reason: "expired" },
      outgoingText.proposalExpired(ctx.ownerName, title),
    );
    return builder.done({ state: "rejected" }, `${name}'s "${title}" expired before you answered.`);
  }
  if (meeting.state !== "working" || ctx.now < meeting.expiresAt + ACCEPT_GRACE_MS) return undefined;
  if (moving) {
    return builder.done(
      { state: "completed", held: [], heldUntil: 0 },
      `${name}'s agent never settled the move of "${title}", so it stays at ${when(meeting.confirmed!, ctx)}.`,
    );
  }
  builder.send(organizer, { type: "cancel" }, outgoingText.gaveUp(ctx.ownerName, title));
  return builder.done(
    { state: "failed", held: [], heldUntil: 0 },
    `${name}'s agent never confirmed "${title}", so it was called off and the times held for it are free again.`,
  );
}
