// Per-account lockout with exponential backoff: the first few failures are free (typos), then
// each further failure locks the account for twice as long as the last, up to a ceiling. State
// is kept for any email, existing or not, so the answer never tells whether an account exists.
import type { LoginFailures } from '../../ports/identity-store.js';

export const FREE_FAILURES = 5;
export const FIRST_LOCK_MS = 30_000;
export const MAX_LOCK_MS = 15 * 60_000;
/** Failures older than this are forgotten (a mistyped password last week does not count). */
export const FAILURE_MEMORY_MS = 24 * 3_600_000;

/** The state after one more failure at `now`. */
export function afterFailure(previous: LoginFailures | null, account: string, now: number): LoginFailures {
  const fresh = previous && now - previous.lastFailureAt < FAILURE_MEMORY_MS ? previous.failures : 0;
  const failures = fresh + 1;
  const over = failures - FREE_FAILURES;
  const lockedUntil = over > 0 ? now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (over - 1)) : null;
  return { account, failures, lastFailureAt: now, lockedUntil };
}

/** Milliseconds the account stays locked, 0 when it is not. */
export function lockRemainingMs(state: LoginFailures | null, now: number): number {
  return state?.lockedUntil && state.lockedUntil > now ? state.lockedUntil - now : 0;
}

/** Failed logins per client address across all accounts (password spraying from one address):
 *  at most `max` per window, then 429 until the window ends. In memory: a restart forgets it. */
export class AddressFailures {
  private readonly windows = new Map<string, { startMs: number; failures: number }>();

  constructor(
    readonly max = 100,
    readonly windowMs = 15 * 60_000,
  ) {}

  /** Milliseconds until the address may try again; 0 when it may now. */
  blockedMs(address: string, nowMs: number): number {
    const w = this.windows.get(address);
    if (!w || nowMs - w.startMs >= this.windowMs || w.failures < this.max) return 0;
    return w.startMs + this.windowMs - nowMs;
  }

  fail(address: string, nowMs: number): void {
    let w = this.windows.get(address);
    if (!w || nowMs - w.startMs >= this.windowMs) {
      if (this.windows.size >= 100_000) this.prune(nowMs);
      w = { startMs: nowMs, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
  }

  private prune(nowMs: number): void {
    for (const [address, w] of this.windows) if (nowMs - w.startMs >= this.windowMs) this.windows.delete(address);
    if (this.windows.size >= 100_000) this.windows.clear();
  }
}
