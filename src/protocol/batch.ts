import type { Address } from "./address";
import type { Envelope } from "./envelope";
import { MAX_BATCH_CHARS, MAX_BATCH_ENVELOPES } from "./limits";

/**
 * Splits envelopes, in order, into the batches one event may carry: at most
 * MAX_BATCH_ENVELOPES each and MAX_BATCH_CHARS of ciphertext, except that an
 * envelope larger than that goes alone. Clients pack their sends with it and
 * the relay its pushes, so neither side ever builds a frame the other refuses.
 */
export function packBatches<T>(items: readonly T[], charsOf: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    const size = charsOf(item);
    if (current.length > 0 && (current.length === MAX_BATCH_ENVELOPES || chars + size > MAX_BATCH_CHARS)) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Envelopes grouped by recipient, in order, recipients in order of first appearance: one push each. */
export function groupByRecipient(envelopes: readonly Envelope[]): Map<Address, Envelope[]> {
  const groups = new Map<Address, Envelope[]>();
  for (const envelope of envelopes) {
    const group = groups.get(envelope.to);
    if (group === undefined) groups.set(envelope.to, [envelope]);
    else group.push(envelope);
  }
  return groups;
}
