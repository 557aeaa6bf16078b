import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptedBatches } from '../../src/domains/telemetry/accepted-batches.js';

const batch = (deviceId: string) => ({ tenantId: 't', deviceId, transport: 'http' as const, receivedAt: 1, points: [] });

test('accepted batches - each reader gets a held batch once; it goes when the last reader took it', () => {
  const held = new AcceptedBatches(10, 2);
  held.remember(1, batch('a'));
  assert.equal(held.take(1)?.deviceId, 'a', 'storage writer');
  assert.equal(held.take(1)?.deviceId, 'a', 'rules engine');
  assert.equal(held.take(1), undefined, 'both took it: gone');
});

test('accepted batches - bounded: the oldest go first and are decoded from the log instead', () => {
  const held = new AcceptedBatches(2, 2);
  for (const seq of [1, 2, 3]) held.remember(seq, batch(`d${seq}`));
  assert.equal(held.take(1), undefined);
  assert.equal(held.take(3)?.deviceId, 'd3');
});
