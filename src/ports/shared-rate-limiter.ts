// A per-key rate limit that every node draws on (one token bucket per device for the whole
// cluster). Scaled out: Redis (src/adapters/distributed/redis-rate-limiter.ts); one node needs
// none, its in-process limiter is exact.
export interface SharedRateLimiter {
  /** True when the key may go ahead now (a token was taken); rejects when the limiter is unreachable. */
  take(key: string): Promise<boolean>;
}

/** Token buckets whose rate each call names (per-tenant API limits differ by tenant). */
export interface SharedRequestLimiter {
  /** 0 when the key may go ahead now (a token was taken), else milliseconds until a token is
   *  there; rejects when the limiter is unreachable. */
  attempt(key: string, perSecond: number, burst: number): Promise<number>;
}
