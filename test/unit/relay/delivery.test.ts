import { describe, expect, it } from "vitest";
import { localAddresses } from "../../../src/relay/delivery";

const address = "A".repeat(42) + "E";

describe("local addresses for a drain after resubscribing", () => {
  it("[RS10] are the rooms that are addresses, not each socket's own room", () => {
    const rooms = new Map<string, Set<string>>([
      ["socket-one", new Set(["socket-one"])],
      [address, new Set(["socket-one", "socket-two"])],
      ["socket-two", new Set(["socket-two"])],
      ["not an address", new Set(["socket-two"])],
    ]);
    expect(localAddresses(rooms)).toEqual([address]);
  });

  it("[RS10] skip a socket whose id happens to be shaped like an address", () => {
    expect(localAddresses(new Map([[address, new Set([address])]]))).toEqual([]);
  });
});
