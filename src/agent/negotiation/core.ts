import type { Address } from "../../protocol/address";
import {
  agentMessageSchema,
  type AgentMessage,
  type SchedulingData,
  type TranscriptHash,
} from "../../protocol/messages/agent";
import { transcriptHash } from "../../protocol/messages/chain";
import type { Slot } from "../../protocol/messages/schema";
import { formatSlot } from "../scheduling/format";
import type { Meeting, NegotiationContext, Outgoing, Party, Step, TranscriptEntry } from "./types";

/** Helpers shared by the transitions: building and recording messages, comparing slots. */

export const sameSlot = (a: Slot, b: Slot): boolean => a.start === b.start && a.end === b.end;

export const includesSlot = (slots: readonly Slot[], slot: Slot): boolean => slots.some((s) => sameSlot(s, slot));

export const uniqueSlots = (slots: readonly Slot[]): Slot[] =>
  slots.filter((slot, i) => slots.findIndex((s) => sameSlot(s, slot)) === i);

/**
 * What this side's next message to `peer` links to: its own previous message
 * to them, or, before it has sent any, the proposal that opened the
 * conversation (null for the proposal itself). Each side's messages thus form
 * one chain rooted at the proposal, so a receiver that knows a message's
 * `prev` has every earlier message of that sender, whatever order the
 * network delivered them in.
 */
export function chainLink(transcript: readonly TranscriptEntry[], peer: Address): TranscriptHash | null {
  for (let i = transcript.length - 1; i >= 0; i--) {
    const entry = transcript[i]!;
    if (entry.peer === peer && entry.direction === "out") return entry.hash;
  }
  return transcript.find((e) => e.peer === peer)?.hash ?? null;
}

/** Slot text for notices, in the owner's zone. */
export const when = (slot: Slot, ctx: NegotiationContext): string => formatSlot(slot, ctx.timeZone);

/** Who a meeting is with, as this side sees it: the organizer's participants, or a participant's organizer. */
export const withWhom = (meeting: Pick<Meeting, "parties">): string => names(meeting.parties);

/** Names joined for a sentence: "Bob", "Bob and Carol", "Bob, Carol and Dan". */
export function names(parties: readonly Pick<Party, "name">[]): string {
  const all = parties.map((p) => p.name);
  return all.length <= 1 ? (all[0] ?? "") : `${all.slice(0, -1).join(", ")} and ${all.at(-1)!}`;
}

/**
 * One step being built: the incoming message (if any) and the outgoing ones
 * recorded in order, each outgoing message linked to the last one of its
 * pair's chain. Every outgoing message is checked against the schema the peer
 * will apply, so this side never sends what the other must refuse; failing
 * that is a bug here, hence a throw.
 */
export class StepBuilder {
  private readonly transcript: TranscriptEntry[];
  private readonly outgoing: Outgoing[] = [];

  constructor(
    private readonly meeting: Meeting,
    private readonly ctx: NegotiationContext,
  ) {
    this.transcript = [...meeting.transcript];
  }

  received(from: Address, message: AgentMessage): this {
    this.transcript.push({ direction: "in", peer: from, hash: transcriptHash(message), message });
    return this;
  }

  send(to: Address, data: SchedulingData, text: string): this {
    const candidate = {
      taskId: this.meeting.id,
      messageId: this.ctx.newId(),
      sentAt: this.ctx.now,
      prev: chainLink(this.transcript, to),
      text,
      data,
    };
    const checked = agentMessageSchema.safeParse(candidate);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new Error(`negotiation: refusing to send an invalid ${data.type} message (${issues})`, {
        cause: checked.error,
      });
    }
    const message = checked.data;
    this.transcript.push({ direction: "out", peer: to, hash: transcriptHash(message), message });
    this.outgoing.push({ to, message });
    return this;
  }

  /** Sends the same data to every listed party. */
  sendAll(parties: readonly Party[], data: SchedulingData, text: string): this {
    for (const party of parties) this.send(party.address, data, text);
    return this;
  }

  done(changes: Partial<Omit<Meeting, "id" | "transcript">>, notice?: string): Step {
    const meeting: Meeting = { ...this.meeting, ...changes, transcript: this.transcript, updatedAt: this.ctx.now };
    return notice === undefined ? { meeting, outgoing: this.outgoing } : { meeting, outgoing: this.outgoing, notice };
  }
}
