/**
 * Row upgrades between database versions, kept apart from the schema so each
 * can be tested on plain objects.
 */

const OPEN = new Set(["submitted", "working", "input-required"]);

/**
 * Version 4: meetings of several people, rounds, holds and the transcript
 * hash chain. A version-3 meeting had one `peer`; it becomes a meeting with
 * that one party. Its messages were of the first scheduling protocol, which
 * neither side speaks any more, so its transcript cannot be kept as the new
 * chain and an unfinished negotiation cannot go on: booked meetings keep
 * their time, open ones end `failed`. Returns whether the row was an open
 * negotiation that had to end.
 */
export function upgradeMeetingToV4(row: Record<string, unknown>): boolean {
  if ("parties" in row) return false;
  const { peer, peerName } = row;
  const open = typeof row["state"] === "string" && OPEN.has(row["state"]);
  row["parties"] = [
    { address: peer, name: typeof peerName === "string" ? peerName : "Contact", answer: "pending", slots: [] },
  ];
  delete row["peer"];
  delete row["peerName"];
  row["others"] = [];
  row["round"] = 1;
  row["firstRound"] = 1;
  row["held"] = [];
  row["heldUntil"] = 0;
  row["tried"] = [];
  row["sequence"] = row["confirmed"] === undefined ? 0 : 1;
  row["transcript"] = [];
  if (open) row["state"] = "failed";
  return open;
}
