import { describe, expect, it } from "vitest";
import { sharedPing } from "../../../src/relay/subscriptions";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("the subscription check", () => {
  it("[RS9] is one PING for everyone who asks before it goes out, sent a turn later", async () => {
    let pings = 0;
    const routed = sharedPing({ ping: () => Promise.resolve(++pings) });
    const crowd = [routed(), routed(), routed()];
    expect(pings).toBe(0);
    await Promise.all(crowd);
    expect(pings).toBe(1);
    // Asked after it went out: the subscription asked for may not have preceded it, so another PING.
    await Promise.all([routed(), routed()]);
    expect(pings).toBe(2);
  });

  it("[RS9] fails for everyone sharing it when Redis refuses it, and the next one is asked again", async () => {
    let answer: () => Promise<unknown> = () => Promise.reject(new Error("LOADING"));
    const routed = sharedPing({ ping: () => answer() });
    const shared = [routed(), routed()].map((check) => check.catch((error: Error) => error.message));
    expect(await Promise.all(shared)).toEqual(["LOADING", "LOADING"]);
    answer = () => Promise.resolve("PONG");
    await turn();
    await expect(routed()).resolves.toBeUndefined();
  });
});
