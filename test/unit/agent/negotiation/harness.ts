import {
  busyFromMeetings,
  receive,
  type Meeting,
  type NegotiationContext,
  type Outgoing,
  type Step,
} from "../../../../src/agent/negotiation";
import { DEFAULT_WORKING_HOURS, findFreeSlots, isFree, type Interval } from "../../../../src/agent/scheduling/slots";
import type { Address } from "../../../../src/protocol/address";
import type { MessageId } from "../../../../src/protocol/envelope";
import type { Slot } from "../../../../src/protocol/messages/schema";
import { address, at, idSource } from "../support";

/**
 * Several agents in one test: each side has a calendar of private events and
 * its own meetings, and messages go from one side's `outgoing` to the
 * addressee's `receive`, as the app and the relay would carry them.
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
  /** Hold every available slot without asking (a policy that allows everything). */
  autoAccept: boolean;
  /** Suggest free times in counters (the default disclosure); false: answers only. */
  suggest: boolean;
  /** Every message this side sent, for the privacy checks. */
  sent: Outgoing[];
  /** Preferences beyond busy time (working hours and the like); by default every free time suits. */
  suits?: (slot: Slot) => boolean;
};

export function side(name: string, seed: number, events: CalendarEvent[] = []): Side {
  return {
    name,
    address: address(seed),
    events,
    meetings: new Map(),
    newId: idSource(seed),
    autoAccept: false,
    suggest: true,
    sent: [],
  };
}

/** Calendar events plus what this side's other meetings hold or booked. */
export function busyOf(self: Side, now: number, meetingId?: MessageId): Interval[] {
  const others = [...self.meetings.values()].filter((m) => m.id !== meetingId);
  return [...self.events, ...busyFromMeetings(others, now)];
}

/** What the app builds: calendar plus other meetings' holds, and only a yes/no (or free candidates) leaves it. */
export function contextOf(self: Side, now: number, meetingId?: MessageId, peerName?: string): NegotiationContext {
  const busy = busyOf(self, now, meetingId);
  const ctx: NegotiationContext = {
    now,
    newId: self.newId,
    isFree: (s: Slot) => isFree(s, busy),
    suits: (s: Slot) => isFree(s, busy) && (self.suits?.(s) ?? true),
    timeZone: ZONE,
    ownerName: self.name,
    autoAccept: (_minutes, slots) => (self.autoAccept ? [...slots] : []),
    candidates: (durationMinutes, exclude) =>
      self.suggest || self.meetings.get(meetingId!)?.role === "organizer"
        ? findFreeSlots({
            busy: [...busy, ...exclude],
            window: { start: now, end: now + 14 * 86_400_000 },
            durationMinutes,
            workingHours: DEFAULT_WORKING_HOURS(ZONE),
            now,
            limit: 50,
          })
            .filter((s) => self.suits?.(s) ?? true)
            .slice(0, 5)
        : [],
  };
  return peerName === undefined ? ctx : { ...ctx, peerName };
}

/** Stores a step on its side, as the app would. */
export function save(self: Side, step: Step): Step {
  self.meetings.set(step.meeting.id, step.meeting);
  self.sent.push(...step.outgoing);
  return step;
}

/** Delivers one message to its addressee; throws if it is refused. */
export function deliverOne(sides: readonly Side[], from: Side, out: Outgoing, now: number): Step {
  const to = sides.find((s) => s.address === out.to);
  if (to === undefined) throw new Error("deliverOne: no such side");
  const result = receive(
    to.meetings.get(out.message.taskId),
    from.address,
    out.message,
    contextOf(to, now, out.message.taskId, from.name),
  );
  if (!result.ok) throw new Error(`deliver: ${to.name} refused a ${out.message.data.type}: ${result.error.code}`);
  return save(to, result.value);
}

/** Delivers every message of `step`, and of the steps it causes, until nothing is left in flight. */
export function settle(sides: readonly Side[], from: Side, step: Step, now: number): Step[] {
  const queue: { from: Side; out: Outgoing }[] = step.outgoing.map((out) => ({ from, out }));
  const steps: Step[] = [];
  while (queue.length > 0) {
    const { from: sender, out } = queue.shift()!;
    const to = sides.find((s) => s.address === out.to)!;
    const next = deliverOne(sides, sender, out, now);
    steps.push(next);
    queue.push(...next.outgoing.map((o) => ({ from: to, out: o })));
  }
  return steps;
}

export function only<T>(items: readonly T[]): T {
  if (items.length !== 1) throw new Error(`only: expected one item, got ${items.length}`);
  return items[0]!;
}

export const meetingOf = (self: Side, id: MessageId): Meeting => {
  const meeting = self.meetings.get(id);
  if (meeting === undefined) throw new Error(`meetingOf: ${self.name} has no meeting ${id}`);
  return meeting;
};
