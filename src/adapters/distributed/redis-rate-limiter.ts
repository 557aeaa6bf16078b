// The per-device token bucket of src/domains/telemetry/rate-limiter.ts, kept in Redis so every
// node draws on one bucket per key: a steady rate per second with a burst of twice that, a new
// key starting full. One Lua script reads, refills and takes, so concurrent nodes never both
// spend the last token. Time is Redis's own clock (one clock for all nodes) unless the caller
// passes one. An idle bucket refills to full after burst/rate seconds; it expires then, which
// is the same as keeping it.
import type { Redis } from 'ioredis';
import { connectRedis } from './redis-connection.js';

const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
  at = now
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
`;

// The same bucket with rate and burst per call; answers 0 (taken) or the milliseconds until a token.
const ATTEMPT_SCRIPT = TAKE_SCRIPT.replace(
  'return allowed',
  'if allowed == 1 then return 0 end\nreturn math.max(1, math.ceil((1 - tokens) / rate * 1000))',
);

export interface RedisRateLimiterOptions {
  perSecond: number;
  /** Prepended to each key, so deployments (and tests) sharing a Redis stay apart. */
  keyPrefix?: string;
}

type WithTake = Redis & {
  vigilTakeToken(key: string, rate: number, burst: number, nowMs: string): Promise<number>;
  vigilAttemptToken(key: string, rate: number, burst: number, nowMs: string): Promise<number>;
};

export class RedisRateLimiter {
  private readonly redis: WithTake;
  private readonly keyPrefix: string;

  constructor(
    redis: Redis,
    private readonly options: RedisRateLimiterOptions,
  ) {
    if (!(options.perSecond > 0)) throw new Error('perSecond must be positive');
    if (!('vigilTakeToken' in redis)) redis.defineCommand('vigilTakeToken', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    if (!('vigilAttemptToken' in redis)) redis.defineCommand('vigilAttemptToken', { numberOfKeys: 1, lua: ATTEMPT_SCRIPT });
    this.redis = redis as WithTake;
    this.keyPrefix = options.keyPrefix ?? 'vigil:rate:';
  }

  /** True when key may go ahead now (a token was taken). Rejects when Redis is unreachable. */
  async take(key: string, nowMs?: number): Promise<boolean> {
    const rate = this.options.perSecond;
    const allowed = await this.redis.vigilTakeToken(this.keyPrefix + key, rate, rate * 2, nowMs === undefined ? '' : String(nowMs));
    return allowed === 1;
  }

  /** A bucket of its own rate and burst (API request limits): 0 when taken, else ms until a token. */
  async attempt(key: string, perSecond: number, burst: number, nowMs?: number): Promise<number> {
    return this.redis.vigilAttemptToken(this.keyPrefix + key, perSecond, burst, nowMs === undefined ? '' : String(nowMs));
  }

  async forget(key: string): Promise<void> {
    await this.redis.del(this.keyPrefix + key);
  }
}

/** A limiter on its own connection; close it with `limiter.close()`. */
export async function createRedisRateLimiter(url: string, options: RedisRateLimiterOptions): Promise<RedisRateLimiter & { close(): Promise<void> }> {
  const redis = await connectRedis(url, { name: 'vigil-rate' });
  return Object.assign(new RedisRateLimiter(redis, options), { close: async () => void (await redis.quit()) });
}
