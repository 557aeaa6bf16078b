import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisRateLimiter } from '../../src/adapters/distributed/redis-rate-limiter.js';
import { RateLimiter } from '../../src/domains/telemetry/rate-limiter.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';

describe('RedisRateLimiter (Redis)', { skip: await skipUnless('redis') }, () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });
  const limiter = async (perSecond: number, keyPrefix = `${uniqueName('vt')}:`) => {
    const l = await createRedisRateLimiter(serviceUrls.redis, { perSecond, keyPrefix });
    closers.push(() => l.close());
    return l;
  };

  test('RedisRateLimiter - decides exactly as the in-process token bucket on the same timeline', async () => {
    const redis = await limiter(3);
    const local = new RateLimiter(3);
    // Bursts, pauses shorter and longer than a token, a full refill, two keys.
    const timeline: [string, number][] = [];
    let t = 1_000_000;
    for (const gapMs of [0, 0, 0, 0, 0, 0, 0, 100, 200, 333, 334, 10, 10, 2000, 0, 0, 0, 0, 0, 0, 0, 50, 400]) {
      t += gapMs;
      timeline.push(['dev-a', t], ['dev-b', t + 7]);
    }
    for (const [key, nowMs] of timeline) {
      assert.equal(await redis.take(key, nowMs), local.take(key, nowMs), `${key} at ${nowMs}`);
    }
  });

  test('RedisRateLimiter - nodes sharing Redis share one bucket per key, and concurrent takes never overspend it', async () => {
    const keyPrefix = `${uniqueName('vt')}:`;
    const [nodeA, nodeB] = [await limiter(50, keyPrefix), await limiter(50, keyPrefix)];
    const nowMs = 5_000_000;
    // Burst is 100: of 300 simultaneous requests from two nodes, exactly 100 pass.
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? nodeA : nodeB).take('dev', nowMs)));
    assert.equal(results.filter(Boolean).length, 100);
    assert.equal(await nodeA.take('other-device', nowMs), true, 'another key has its own bucket');
  });

  test('RedisRateLimiter - with Redis time, a spent bucket refills while idle; forget() resets it', async () => {
    // 0.5 per second: a burst of one token, the next one two seconds later.
    const redis = await limiter(0.5);
    assert.equal(await redis.take('dev'), true);
    assert.equal(await redis.take('dev'), false);
    await redis.forget('dev');
    assert.equal(await redis.take('dev'), true, 'forgotten: a fresh, full bucket');
    const deadline = Date.now() + 20_000;
    while (!(await redis.take('dev'))) {
      if (Date.now() > deadline) throw new Error('the bucket never refilled');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
