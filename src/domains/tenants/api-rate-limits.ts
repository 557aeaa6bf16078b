// Management-API request limits per caller (a user's login or an API key) and per tenant (all of
// its callers together), beside the per-address limit of the HTTP layer and the per-device ingest
// limit. Each is a token bucket of N requests per minute, refilled steadily, starting full (a
// minute's worth of burst). A tenant may have its own N (tenant settings); else the platform's.
// With Redis every node draws on one bucket per key; without it, or while Redis is unreachable,
// each node limits on its own.
import { Errors } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { LogThrottle } from '../../observability/logger.js';
import type { SharedRequestLimiter } from '../../ports/shared-rate-limiter.js';
import type { Principal } from '../auth/tokens.js';

export interface ApiRateDefaults {
  perCallerPerMin: number;
  perTenantPerMin: number;
}

export interface TenantApiLimits {
  apiRequestsPerMin?: number | null;
  apiRequestsPerMinPerUser?: number | null;
}

/** Token buckets in this process, each with the rate its caller names. */
export class LocalRequestLimiter implements SharedRequestLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  async attempt(key: string, perSecond: number, burst: number, nowMs = Date.now()): Promise<number> {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= 100_000) this.sweep(nowMs);
      b = { tokens: burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * perSecond);
      b.at = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 1000) / perSecond));
  }

  /** Drops buckets idle for over a minute: refilled by now, they are the same as new ones. */
  private sweep(nowMs: number): void {
    for (const [key, b] of this.buckets) if (nowMs - b.at > 60_000) this.buckets.delete(key);
    if (this.buckets.size >= 100_000) this.buckets.clear();
  }
}

export class ApiRateLimits {
  private readonly local = new LocalRequestLimiter();
  private readonly throttle = new LogThrottle();

  constructor(
    readonly defaults: ApiRateDefaults,
    /** The tenant's own limits (cached; asked on every request). */
    private readonly tenantLimits: (tenantId: string) => TenantApiLimits | undefined,
    private readonly log: Logger,
    private readonly shared?: SharedRequestLimiter,
  ) {}

  /** The limits that apply to a tenant now (its own, else the platform's). */
  effective(tenantId: string): { perCallerPerMin: number; perTenantPerMin: number } {
    const own = this.tenantLimits(tenantId);
    return {
      perCallerPerMin: own?.apiRequestsPerMinPerUser ?? this.defaults.perCallerPerMin,
      perTenantPerMin: own?.apiRequestsPerMin ?? this.defaults.perTenantPerMin,
    };
  }

  /** Takes one request from the caller's and the tenant's buckets; 429 with Retry-After when either is empty. */
  async check(principal: Principal): Promise<void> {
    const { perCallerPerMin, perTenantPerMin } = this.effective(principal.tenantId);
    const caller = principal.apiKeyId ? `api:key:${principal.apiKeyId}` : `api:user:${principal.userId}`;
    const callerWait = await this.attempt(caller, perCallerPerMin);
    if (callerWait > 0) throw this.refusal(principal.apiKeyId ? 'this API key' : 'your account', perCallerPerMin, callerWait, 'caller');
    const tenantWait = await this.attempt(`api:tenant:${principal.tenantId}`, perTenantPerMin);
    if (tenantWait > 0) throw this.refusal('your tenant', perTenantPerMin, tenantWait, 'tenant');
  }

  private async attempt(key: string, perMin: number): Promise<number> {
    const perSecond = perMin / 60;
    if (this.shared) {
      try {
        return await this.shared.attempt(key, perSecond, perMin);
      } catch (err) {
        if (this.throttle.shouldLog('shared request limiter')) this.log.warn({ err }, 'shared API rate limiter unreachable; each node limits on its own');
      }
    }
    return this.local.attempt(key, perSecond, perMin);
  }

  private refusal(who: string, perMin: number, waitMs: number, scope: 'caller' | 'tenant') {
    const retryAfterSec = Math.max(1, Math.ceil(waitMs / 1000));
    return Errors.rateLimited(`${who} exceeds ${perMin} API requests per minute; retry in ${retryAfterSec} s`, { limit: scope, perMin, retryAfterSec });
  }
}
