// Token bucket per key (device): steady rate per second with a burst of twice that.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perSecond: number) {}

  take(key: string, nowMs = Date.now()): boolean {
    const burst = this.perSecond * 2;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * this.perSecond);
      b.at = nowMs;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Milliseconds until take() would succeed for this key (0 = now); takes nothing. */
  msUntilToken(key: string, nowMs = Date.now()): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.perSecond * 2, b.tokens + ((nowMs - b.at) / 1000) * this.perSecond);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / this.perSecond);
  }

  forget(key: string): void {
    this.buckets.delete(key);
  }
}
