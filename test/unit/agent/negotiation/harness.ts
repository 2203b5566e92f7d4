import {
  busyFromMeetings,
  receive,
  type Meeting,
  type NegotiationContext,
  type Step,
} from "../../../../src/agent/negotiation";
import { isFree } from "../../../../src/agent/scheduling/slots";
import type { Address } from "../../../../src/protocol/address";
import type { MessageId } from "../../../../src/protocol/envelope";
import type { AgentMessage } from "../../../../src/protocol/messages/agent";
import type { Slot } from "../../../../src/protocol/messages/schema";
import { address, at, idSource } from "../support";

/**
 * Two agents in one test: each side has a calendar of private events and its
 * own meetings, and messages go from one side's `outgoing` to the other's
 * `receive`, as the app and the relay would carry them.
 */

export const ZONE = "Europe/London";
/** Monday 23 November 2026, 09:00 in London (GMT). */
export const NOW = at(ZONE, 2026, 11, 23, 9);
export const slot = (day: number, hour: number, minute = 0, minutes = 30): Slot => {
  const start = at(ZONE, 2026, 11, day, hour, minute);
  return { start, end: start + minutes * 60_000 };
};
/** Tue 24 Nov 15:00 and Wed 25 Nov 10:00, 30 minutes each. */
export const TUE_15 = slot(24, 15);
export const WED_10 = slot(25, 10);

export type CalendarEvent = { title: string; start: number; end: number };

export type Side = {
  name: string;
  address: Address;
  events: CalendarEvent[];
  meetings: Map<MessageId, Meeting>;
  newId: () => MessageId;
  autoAccept: boolean;
  /** Every message this side sent, for the privacy checks. */
  sent: AgentMessage[];
};

export function side(name: string, seed: number, events: CalendarEvent[] = []): Side {
  return {
    name,
    address: address(seed),
    events,
    meetings: new Map(),
    newId: idSource(seed),
    autoAccept: false,
    sent: [],
  };
}

/** What the app builds: calendar plus other meetings' holds, and only a yes/no leaves it. */
export function contextOf(self: Side, now: number, meetingId?: MessageId, peerName?: string): NegotiationContext {
  const others = [...self.meetings.values()].filter((m) => m.id !== meetingId);
  const busy = [...self.events, ...busyFromMeetings(others)];
  const ctx: NegotiationContext = {
    now,
    newId: self.newId,
    isFree: (s: Slot) => isFree(s, busy),
    timeZone: ZONE,
    ownerName: self.name,
    policy: { autoAccept: self.autoAccept },
  };
  return peerName === undefined ? ctx : { ...ctx, peerName };
}

/** Stores a step on its side, as the app would. */
export function save(self: Side, step: Step): Step {
  self.meetings.set(step.meeting.id, step.meeting);
  self.sent.push(...step.outgoing);
  return step;
}

/** Delivers every message of `step` from `from` to `to`; returns `to`'s steps. Throws if any is refused. */
export function deliver(from: Side, to: Side, step: Step, now: number): Step[] {
  return step.outgoing.map((message) => {
    const result = receive(
      to.meetings.get(message.taskId),
      from.address,
      message,
      contextOf(to, now, message.taskId, from.name),
    );
    if (!result.ok) throw new Error(`deliver: ${to.name} refused a ${message.data.type}: ${result.error.code}`);
    return save(to, result.value);
  });
}

export function only<T>(items: readonly T[]): T {
  if (items.length !== 1) throw new Error(`only: expected one item, got ${items.length}`);
  return items[0]!;
}
