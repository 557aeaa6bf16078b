import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PgDeviceStateStore } from '../../src/adapters/distributed/pg-device-state-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { deviceStateStoreContract } from './device-state-store.contract.js';

describe('PgDeviceStateStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  deviceStateStoreContract('PgDeviceStateStore', async () => {
    const stores = await openTestStores();
    const store = new PgDeviceStateStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });

  test('PgDeviceStateStore - two nodes numbering calls to one device: a request id is stored once, the other call is refused', async () => {
    const stores = await openTestStores();
    try {
      const [nodeA, nodeB] = [new PgDeviceStateStore(stores.pool), new PgDeviceStateStore(stores.pool)];
      const [t, d] = [randomUUID(), randomUUID()];
      const call = (id: string) => ({
        id,
        tenantId: t,
        deviceId: d,
        requestId: 7,
        method: 'reboot',
        params: {},
        oneway: true,
        persistent: true,
        status: 'queued' as const,
        createdAt: 1,
        updatedAt: 1,
        expiresAt: 10,
        response: null,
        error: null,
      });
      const outcomes = await Promise.allSettled([nodeA.createRpc(call(randomUUID())), nodeB.createRpc(call(randomUUID()))]);
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
      assert.equal((await nodeA.openRpc(d)).length, 1, 'the device never sees two calls with one request id');
    } finally {
      await stores.close();
    }
  });

  test('PgDeviceStateStore - attributes written by two nodes at once are all kept with their history', async () => {
    const stores = await openTestStores();
    try {
      const nodes = [new PgDeviceStateStore(stores.pool), new PgDeviceStateStore(stores.pool)];
      const [t, d] = [randomUUID(), randomUUID()];
      const keys = ['a', 'b', 'c', 'd'];
      // Overlapping keys in opposite orders: the classic deadlock shape.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const order = i % 2 === 0 ? keys : [...keys].reverse();
          return nodes[i % 2]!.setAttributes(t, d, 'shared', new Map(order.map((k) => [k, i])), 100 + i, `node${i % 2}`);
        }),
      );
      assert.deepEqual((await nodes[0]!.getAttributes(t, d, 'shared')).map((a) => a.key), keys);
      assert.equal((await nodes[1]!.attributeHistory(t, d, { limit: 100 })).length, 40);
    } finally {
      await stores.close();
    }
  });
});
