// Storage per tenant: the store's bytes apportioned by each tenant's share of stored points, plus
// points accepted since the last measurement; a failed measurement keeps the last one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageUsage } from '../../src/domains/tenants/storage-usage.js';
import { createLogger } from '../../src/observability/logger.js';

test('bytes follow the share of points; accepted points count until the next measurement', async () => {
  let answer: { totalBytes: number; pointsByTenant: { tenantId: string; points: number }[] } | Error = {
    totalBytes: 10_000,
    pointsByTenant: [
      { tenantId: 'a', points: 300 },
      { tenantId: 'b', points: 100 },
    ],
  };
  const usage = new StorageUsage({ storageUsage: async () => (answer instanceof Error ? Promise.reject(answer) : answer) }, createLogger('silent'));
  await usage.refresh();
  assert.deepEqual([usage.bytesOf('a'), usage.bytesOf('b'), usage.bytesOf('c')], [7500, 2500, 0]);
  usage.add('b', 100);
  assert.equal(usage.bytesOf('b'), 5000, '25 bytes per point, measured');
  answer = new Error('store unreachable');
  await usage.refresh();
  assert.equal(usage.bytesOf('b'), 5000, 'a failed measurement keeps what was known');
  answer = { totalBytes: 20_000, pointsByTenant: [{ tenantId: 'b', points: 400 }] };
  await usage.refresh();
  assert.deepEqual([usage.bytesOf('a'), usage.bytesOf('b'), usage.pointsOf('b')], [0, 20_000, 400]);
});
