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
  return new Bucket(limit, now);
}

/** A class, not a closure: one per socket, and a prototype method costs nothing per instance. */
class Bucket implements TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number,
  ) {
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  take(): boolean {
    const at = this.now();
    // A clock that steps backwards must not drain or overfill the bucket.
    const elapsedMs = Math.max(0, at - this.updatedAt);
    this.updatedAt = at;
    this.tokens = Math.min(this.limit.burst, this.tokens + (elapsedMs * this.limit.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
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
