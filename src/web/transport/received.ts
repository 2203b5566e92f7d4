/**
 * Ids of envelopes this session has already handed to the app. The relay
 * delivers at least once, so the same id can come again (after a reconnect,
 * or when a drain races a live push); the app also deduplicates durably, this
 * only spares it the work. Bounded: the oldest ids are forgotten first.
 */
export type SeenIds = {
  has(id: string): boolean;
  add(id: string): void;
};

export function createSeenIds(capacity: number): SeenIds {
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    add(id) {
      ids.delete(id);
      ids.add(id);
      // A Set iterates in insertion order, so its first element is the oldest.
      if (ids.size > capacity) ids.delete(ids.values().next().value!);
    },
  };
}
