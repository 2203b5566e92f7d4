import { newMessageId } from "../../agent/wire";
import { EVENT_TITLE_MAX } from "../storage/rows";
import type { Session } from "./context";
import { refresh } from "./view";

/** The local calendar: busy times the human enters by hand. */

export async function addEvent(
  session: Session,
  input: { title: string; start: number; end: number },
): Promise<string | undefined> {
  if (!Number.isFinite(input.start) || !Number.isFinite(input.end) || input.end <= input.start) {
    return "An event must end after it starts.";
  }
  const title = input.title.trim().slice(0, EVENT_TITLE_MAX) || "Busy";
  await session.db.events.put({ id: newMessageId(session.randomBytes), title, start: input.start, end: input.end });
  await refresh(session);
  return undefined;
}

export async function removeEvent(session: Session, id: string): Promise<void> {
  await session.db.events.delete(id);
  await refresh(session);
}
