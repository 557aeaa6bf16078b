// The per-device ingest limit with Redis configured: two nodes (two IngestService instances, each
// with its own Redis connection) draw on one bucket, so a device spreading its messages over both
// gets the configured rate, not twice it. Redis unreachable: each node still limits on its own.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisRateLimiter } from '../../src/adapters/distributed/redis-rate-limiter.js';
import { IngestService } from '../../src/domains/telemetry/ingest.service.js';
import { PayloadError } from '../../src/domains/telemetry/payload.js';
import { RejectedLog } from '../../src/domains/telemetry/rejected-log.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Bus } from '../../src/ports/bus.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';

const PER_SEC = 5; // burst 10
const device = { tenantId: 't', deviceId: 'd' };

function node(): IngestService {
  let seq = 0;
  const bus = { publish: async () => ++seq, subscribe: async () => ({ close: async () => undefined }), close: async () => undefined } as Bus;
  return new IngestService(bus, new RejectedLog(10), createMetrics(), createLogger('silent'), { maxFutureSkewMs: 60_000, deviceRateLimitPerSec: PER_SEC });
}

/** One burst plus what refilled since `startedMs` (a slow machine refills more, never fails the test). */
const refilledBurst = (startedMs: number) => 2 * PER_SEC + Math.ceil(((Date.now() - startedMs) / 1000) * PER_SEC) + 1;

async function accepted(ingest: IngestService): Promise<boolean> {
  try {
    await ingest.acceptRaw(device, 'http', '{"a":1}');
    return true;
  } catch (err) {
    if (err instanceof PayloadError && err.reason === 'rate_limited') return false;
    throw err;
  }
}

describe('shared ingest rate limit (Redis)', { skip: await skipUnless('redis') }, () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  test('shared rate limit - a device alternating between two nodes gets one burst in all, not one per node', async () => {
    const keyPrefix = `${uniqueName('vt')}:rate:`;
    const nodes = [node(), node()];
    for (const ingest of nodes) {
      const limiter = await createRedisRateLimiter(serviceUrls.redis, { perSecond: PER_SEC, keyPrefix });
      closers.push(() => limiter.close());
      ingest.limitRateAcrossNodes(limiter);
    }
    let ok = 0;
    const started = Date.now();
    // Sent back to back: each node alone would accept a burst of 10, both together 20.
    for (let i = 0; i < 20; i++) if (await accepted(nodes[i % 2]!)) ok++;
    assert.ok(ok >= 10 && ok <= refilledBurst(started), `accepted ${ok} of 20`);
  });

  test('shared rate limit - an unreachable limiter leaves each node its own limit', async () => {
    const ingest = node();
    ingest.limitRateAcrossNodes({ take: async () => Promise.reject(new Error('Redis down')) });
    let ok = 0;
    const started = Date.now();
    for (let i = 0; i < 20; i++) if (await accepted(ingest)) ok++;
    assert.ok(ok >= 10 && ok <= refilledBurst(started), `accepted ${ok} of 20`);
  });
});
