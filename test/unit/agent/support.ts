import type { Address } from "../../../src/protocol/address";
import { encodeBase64Url } from "../../../src/protocol/encoding";
import type { MessageId } from "../../../src/protocol/envelope";
import { localToInstant } from "../../../src/agent/scheduling/zoned";

export { createPrng } from "../../support/prng";

/** Test helpers for the agent suite: deterministic ids and addresses, wall-clock instants, a seeded PRNG. */

/** Deterministic, valid message ids: 16 bytes holding a tag and a counter. */
export function idSource(tag: number): () => MessageId {
  let n = 0;
  return () => {
    const bytes = new Uint8Array(16);
    bytes[0] = tag;
    new DataView(bytes.buffer).setUint32(12, ++n);
    return encodeBase64Url(bytes) as MessageId;
  };
}

/** A valid address (32 bytes, base64url) that differs per seed. */
export function address(seed: number): Address {
  return encodeBase64Url(new Uint8Array(32).fill(seed)) as Address;
}

/** The instant of a wall-clock time in `timeZone`; months are 1..12. */
export function at(timeZone: string, year: number, month: number, day: number, hour = 0, minute = 0): number {
  return localToInstant({ year, month, day, hour, minute }, timeZone);
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
