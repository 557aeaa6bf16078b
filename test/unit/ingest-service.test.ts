import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestService } from '../../src/domains/telemetry/ingest.service.js';
import { RejectedLog } from '../../src/domains/telemetry/rejected-log.js';
import { PayloadError } from '../../src/domains/telemetry/payload.js';
import { AppError } from '../../src/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Bus } from '../../src/ports/bus.js';

const device = { tenantId: 't', deviceId: 'd' };

function service(publish: Bus['publish'], perSec = 100) {
  const bus = { publish, subscribe: async () => ({ close: async () => undefined }), close: async () => undefined } as Bus;
  const rejected = new RejectedLog(10);
  const ingest = new IngestService(bus, rejected, createMetrics(), createLogger('silent'), {
    maxFutureSkewMs: 60_000,
    deviceRateLimitPerSec: perSec,
  });
  return { ingest, rejected };
}

describe('IngestService', () => {
  test('a point is reported accepted only after the log has it, and listeners see the batch', async () => {
    let published = 0;
    const { ingest } = service(async () => ++published);
    const seen: number[] = [];
    ingest.onAccepted((b) => seen.push(b.points.length));
    assert.equal(await ingest.acceptRaw(device, 'http', '{"a":1,"b":2}'), 2);
    assert.equal(published, 1);
    assert.deepEqual(seen, [2]);
  });

  test('a failing log is a 503 (retry), not a rejection of the data', async () => {
    const { ingest, rejected } = service(async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await assert.rejects(ingest.acceptRaw(device, 'http', '{"a":1}'), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.statusCode, 503);
      return true;
    });
    assert.deepEqual(rejected.list({ tenantId: 't', includeUnattributed: true, limit: 10 }), []);
  });

  test('over the per-device rate a message is rejected as rate_limited and kept in the dead-letter log', async () => {
    const { ingest, rejected } = service(async () => 1, 1);
    await ingest.acceptRaw(device, 'mqtt', '{"a":1}');
    await ingest.acceptRaw(device, 'mqtt', '{"a":1}');
    await assert.rejects(ingest.acceptRaw(device, 'mqtt', '{"a":1}'), (err: unknown) => err instanceof PayloadError && err.reason === 'rate_limited');
    assert.equal(rejected.list({ tenantId: 't', includeUnattributed: false, limit: 10 })[0]?.reason, 'rate_limited');
  });
});
