// The two pieces scaled-out rule ownership rests on, each alone: a partitioned NatsBus (a keyed
// publish reaches the one partition's durable and the whole-stream consumer alike) and
// PgPartitionLocks (nodes split the partitions, each held by one; a node that stops leaves its
// partitions to the others).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatsBus } from '../../src/adapters/distributed/nats-bus.js';
import { PgPartitionLocks } from '../../src/adapters/distributed/pg-partition-locks.js';
import { partitionOf, type BusMessage } from '../../src/ports/bus.js';
import { waitFor } from '../helpers/harness.js';
import { deleteTestStreams, testPrefix } from '../helpers/nats.js';
import { postgresUrl } from '../helpers/postgres.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';

describe('partitioned NatsBus', { skip: await skipUnless('nats') }, () => {
  after(deleteTestStreams);

  test('partitioned bus - a keyed message reaches its partition durable only, and the whole-stream durable sees every partition', async () => {
    const bus = await createNatsBus({ url: serviceUrls.nats, prefix: testPrefix(), partitions: 4, onError: () => undefined });
    try {
      const perPartition = new Map<number, string[]>();
      const whole: string[] = [];
      const text = (m: BusMessage) => Buffer.from(m.data).toString();
      for (let p = 0; p < 4; p++) {
        perPartition.set(p, []);
        await bus.subscribe('telemetry', async (ms) => void perPartition.get(p)!.push(...ms.map(text)), { durable: `rules-p${p}`, partition: p });
      }
      await bus.subscribe('telemetry', async (ms) => void whole.push(...ms.map(text)), { durable: 'storage', group: true });
      const keys = Array.from({ length: 20 }, (_, i) => `tenant/device-${i}`);
      for (const key of keys) await bus.publish('telemetry', Buffer.from(key), { partitionKey: key });
      await waitFor(async () => whole.length === keys.length, 'the whole-stream durable got every message');
      await waitFor(async () => [...perPartition.values()].reduce((n, l) => n + l.length, 0) === keys.length, 'the partition durables got every message');
      for (const [p, got] of perPartition) assert.deepEqual(got, keys.filter((k) => partitionOf(k, 4) === p), `partition ${p}: its keys, in order`);
      assert.deepEqual([...whole].sort(), [...keys].sort());
      await assert.rejects(bus.subscribe('telemetry', async () => undefined, { durable: 'x', partition: 4 }), /no partition 4/);
    } finally {
      await bus.close();
    }
  });
});

describe('PgPartitionLocks', { skip: await skipUnless('postgres') }, () => {
  test('partition locks - two nodes split the partitions, each held once; a node that stops leaves its partitions to the other', async () => {
    const namespace = uniqueName('vigil.partitions.test');
    const held = [new Set<number>(), new Set<number>()];
    const locks = held.map(() => new PgPartitionLocks({ url: postgresUrl, namespace, count: 6, claimIntervalMs: 100, onError: () => undefined }));
    try {
      locks.forEach((l, i) =>
        l.start({
          acquire: async (p) => {
            assert.ok(!held[1 - i]!.has(p), `partition ${p} taken while the other node holds it`);
            held[i]!.add(p);
          },
          release: async (p) => void held[i]!.delete(p),
        }),
      );
      await waitFor(async () => held[0]!.size === 3 && held[1]!.size === 3, 'three partitions each');
      assert.equal(new Set([...held[0]!, ...held[1]!]).size, 6);
      await locks[0]!.stop();
      assert.equal(held[0]!.size, 0, 'a stopping node lets its partitions go first');
      await waitFor(async () => held[1]!.size === 6, 'the other node takes all six');
    } finally {
      await Promise.all(locks.map((l) => l.stop()));
    }
  });
});
