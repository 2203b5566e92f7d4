import { agentMessageSchema, type AgentMessage, type SchedulingData } from "../../protocol/messages/agent";
import type { Slot } from "../../protocol/messages/schema";
import { formatSlot } from "../scheduling/format";
import type { Meeting, NegotiationContext, Step } from "./types";

/** Helpers shared by the transitions: building messages, recording them, comparing slots. */

export const sameSlot = (a: Slot, b: Slot): boolean => a.start === b.start && a.end === b.end;

export const includesSlot = (slots: readonly Slot[], slot: Slot): boolean => slots.some((s) => sameSlot(s, slot));

/**
 * An outgoing message of `meeting`'s task: fresh id, stamped now. It is
 * checked against the same schema the peer will apply, so this side never
 * sends what the other must refuse; failing that is a bug here, hence a throw.
 */
export function message(meeting: Meeting, data: SchedulingData, text: string, ctx: NegotiationContext): AgentMessage {
  const candidate = { taskId: meeting.id, messageId: ctx.newId(), sentAt: ctx.now, text, data };
  const checked = agentMessageSchema.safeParse(candidate);
  if (!checked.success) {
    const issues = checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`negotiation: refusing to send an invalid ${data.type} message (${issues})`, {
      cause: checked.error,
    });
  }
  return checked.data;
}

/** The next version of `meeting`, with the incoming message (if any) and the outgoing ones recorded in order. */
export function step(
  meeting: Meeting,
  changes: Partial<Omit<Meeting, "id" | "transcript">>,
  incoming: AgentMessage | undefined,
  outgoing: readonly AgentMessage[],
  ctx: NegotiationContext,
  notice?: string,
): Step {
  const transcript = [
    ...meeting.transcript,
    ...(incoming === undefined ? [] : [{ direction: "in" as const, message: incoming }]),
    ...outgoing.map((m) => ({ direction: "out" as const, message: m })),
  ];
  const next: Meeting = { ...meeting, ...changes, transcript, updatedAt: ctx.now };
  return notice === undefined
    ? { meeting: next, outgoing: [...outgoing] }
    : { meeting: next, outgoing: [...outgoing], notice };
}

/** Slot text for notices, in the owner's zone. */
export const when = (slot: Slot, ctx: NegotiationContext): string => formatSlot(slot, ctx.timeZone);
