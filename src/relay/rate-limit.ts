/**
 * A token bucket: `burst` events at once, refilled at `perSecond`. One per
 * socket, so a flooding client is slowed down without affecting others.
 */
export type RateLimit = { readonly perSecond: number; readonly burst: number };

export type TokenBucket = {
  /** Takes one token; false means the event must be refused. */
  take(): boolean;
};

export function createTokenBucket(limit: RateLimit, now: () => number): TokenBucket {
  let tokens = limit.burst;
  let updatedAt = now();
  return {
    take() {
      const at = now();
      // A clock that steps backwards must not drain or overfill the bucket.
      const elapsedMs = Math.max(0, at - updatedAt);
      updatedAt = at;
      tokens = Math.min(limit.burst, tokens + (elapsedMs * limit.perSecond) / 1000);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/**
 * One bucket per address, shared by all of that address's sockets on this
 * instance, so opening more sockets does not buy a sender more throughput.
 * Buckets live while the address has a socket here.
 */
export type AddressLimiter = {
  /** An authenticated socket of `address` opened; returns how to release it. */
  attach(address: string): () => void;
  take(address: string): boolean;
  /** Addresses with a bucket (for tests). */
  size(): number;
};

export function createAddressLimiter(limit: RateLimit, now: () => number): AddressLimiter {
  const buckets = new Map<string, { bucket: TokenBucket; sockets: number }>();
  return {
    attach(address) {
      const entry = buckets.get(address) ?? { bucket: createTokenBucket(limit, now), sockets: 0 };
      entry.sockets += 1;
      buckets.set(address, entry);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        entry.sockets -= 1;
        if (entry.sockets === 0) buckets.delete(address);
      };
    },
    take: (address) => buckets.get(address)?.bucket.take() ?? true,
    size: () => buckets.size,
  };
}
