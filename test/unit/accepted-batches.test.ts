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

test('accepted batches - with no object readers only the count and receipt time are kept', () => {
  const held = new AcceptedBatches(10, 0, 4);
  held.remember(5, { ...batch('a'), receivedAt: 1234, points: [{ key: 'k', ts: 1, value: 1 }, { key: 'j', ts: 1, value: 2 }] });
  assert.equal(held.take(5), undefined, 'no batch object held');
  const stamp = { points: 0, receivedAt: 0 };
  assert.equal(held.stamp(5, stamp), true);
  assert.deepEqual(stamp, { points: 2, receivedAt: 1234 });
  held.remember(9, batch('b')); // the same slot of four
  assert.equal(held.stamp(5, stamp), false, 'overwritten: the writer reads the record instead');
  assert.equal(held.stamp(9, stamp), true);
  assert.deepEqual(stamp, { points: 0, receivedAt: 1 });
});
