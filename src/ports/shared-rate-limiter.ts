// A per-key rate limit that every node draws on (one token bucket per device for the whole
// cluster). Scaled out: Redis (src/adapters/distributed/redis-rate-limiter.ts); one node needs
// none, its in-process limiter is exact.
export interface SharedRateLimiter {
  /** True when the key may go ahead now (a token was taken); rejects when the limiter is unreachable. */
  take(key: string): Promise<boolean>;
}
