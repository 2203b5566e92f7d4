import { cancel, FINAL_STATES, formatSlot, overlaps, withWhom, type ManageIntent, type Meeting } from "../../agent";
import type { Slot } from "../../protocol/messages";
import { meetingRowSchema, parseRows } from "../storage/rows";
import type { Session } from "./context";
import { decideOn, move, type Decision } from "./meetings";

/**
 * "cancel my meeting with Bob", "move Friday's lunch with Alice": the chat's
 * way to the same moves as the buttons. The meeting is the one that fits the
 * people and the time named; when several do, the human is asked which.
 */

const answer = (text: string): Decision => ({ kind: "answer", text });

/** The times a meeting stands for: its booked slot, else what is still on offer. */
function timesOf(meeting: Meeting): readonly Slot[] {
  if (meeting.confirmed !== undefined) return [meeting.confirmed];
  return meeting.held.length > 0 ? meeting.held : meeting.role === "participant" ? meeting.available : meeting.proposed;
}

export async function planManage(session: Session, intent: ManageIntent): Promise<Decision> {
  const now = session.now();
  const meetings = parseRows(meetingRowSchema, await session.db.meetings.toArray(), "meetings");
  const verb = intent.kind === "cancel" ? "cancel" : "move";
  const fits = meetings.filter((m) => {
    if (FINAL_STATES.includes(m.state)) return false;
    // Only a booked meeting can be moved; a pending one is withdrawn (cancel) or left to its negotiation.
    if (intent.kind === "reschedule" && m.state !== "completed") return false;
    if (!intent.contactIds.every((id) => m.parties.some((p) => p.address === id))) return false;
    const times = timesOf(m).filter((slot) => slot.end > now);
    if (times.length === 0) return false;
    return intent.when === undefined || times.some((slot) => overlaps(slot, intent.when!));
  });
  const first = fits[0];
  if (first === undefined) return answer(`I found no upcoming meeting like that to ${verb}.`);
  if (fits.length > 1) {
    const listed = fits
      .map((m) => `"${m.title}" with ${withWhom(m)} (${formatSlot(timesOf(m)[0]!, session.timeZone)})`)
      .join("; ");
    return answer(`Which one should I ${verb}? ${listed}. Name the person or the day.`);
  }
  return decideOn(session, first, intent.kind === "cancel" ? cancel : move);
}
