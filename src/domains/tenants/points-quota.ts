// Points-per-second quota per tenant: a token bucket per tenant (burst: two seconds' worth, so a
// device batching once a second is not refused for its batch size) and a short history of
// accepted points for the usage shown to admins.
const USAGE_WINDOW_SEC = 10;

interface Bucket {
  tokens: number;
  atMs: number;
}

export class PointsQuota {
  private readonly limits = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  /** tenant → ring of per-second accepted point counts, indexed by epoch second. */
  private readonly usage = new Map<string, { second: number; counts: number[] }>();

  setLimit(tenantId: string, pointsPerSec: number | null): void {
    if (pointsPerSec === null) this.limits.delete(tenantId);
    else this.limits.set(tenantId, pointsPerSec);
    this.buckets.delete(tenantId);
  }

  limitOf(tenantId: string): number | null {
    return this.limits.get(tenantId) ?? null;
  }

  /** Takes `points` from the tenant's bucket; false (nothing taken) when over the quota. */
  admit(tenantId: string, points: number, nowMs = Date.now()): boolean {
    const limit = this.limits.get(tenantId);
    if (limit !== undefined) {
      const burst = limit * 2;
      let b = this.buckets.get(tenantId);
      if (!b) {
        b = { tokens: burst, atMs: nowMs };
        this.buckets.set(tenantId, b);
      } else {
        b.tokens = Math.min(burst, b.tokens + ((nowMs - b.atMs) / 1000) * limit);
        b.atMs = nowMs;
      }
      if (b.tokens < points) return false;
      b.tokens -= points;
    }
    this.count(tenantId, points, nowMs);
    return true;
  }

  private count(tenantId: string, points: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    let u = this.usage.get(tenantId);
    if (!u) {
      u = { second, counts: new Array<number>(USAGE_WINDOW_SEC).fill(0) };
      this.usage.set(tenantId, u);
    }
    this.advance(u, second);
    u.counts[second % USAGE_WINDOW_SEC]! += points;
  }

  private advance(u: { second: number; counts: number[] }, second: number): void {
    for (let s = u.second + 1; s <= second && s - u.second <= USAGE_WINDOW_SEC; s++) u.counts[s % USAGE_WINDOW_SEC] = 0;
    u.second = Math.max(u.second, second);
  }

  /** Accepted points per second over the last complete seconds of the window. */
  pointsPerSec(tenantId: string, nowMs = Date.now()): number {
    const u = this.usage.get(tenantId);
    if (!u) return 0;
    const second = Math.floor(nowMs / 1000);
    this.advance(u, second);
    let sum = 0;
    for (let s = second - USAGE_WINDOW_SEC + 1; s < second; s++) sum += u.counts[((s % USAGE_WINDOW_SEC) + USAGE_WINDOW_SEC) % USAGE_WINDOW_SEC]!;
    return Math.round((sum / (USAGE_WINDOW_SEC - 1)) * 10) / 10;
  }
}
