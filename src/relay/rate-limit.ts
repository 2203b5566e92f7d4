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
