// RPC commands numbered by two nodes on one PostgreSQL store: each node keeps the last request id
// per device in memory, so after node B sent a command node A's next number is taken. The store
// refuses it and A numbers again: every command a device receives has its own request id.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PgDeviceStateStore } from '../../src/adapters/distributed/pg-device-state-store.js';
import { RpcService } from '../../src/domains/device-api/rpc.service.js';
import { openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';

const limits = { maxPayloadSize: 65_536, maxInflightMessages: 100, messagesRateLimit: '100:1' };

describe('RPC on two nodes (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  test('commands sent to one device through two nodes in turn all get distinct request ids and are all kept', async () => {
    const stores = await openTestStores();
    const [nodeA, nodeB] = [new RpcService(new PgDeviceStateStore(stores.pool), limits), new RpcService(new PgDeviceStateStore(stores.pool), limits)];
    try {
      const device = { tenantId: randomUUID(), deviceId: randomUUID() };
      const send = (node: RpcService) => node.send(device, { method: 'blink', persistent: true, timeoutMs: 60_000 });
      const calls = [await send(nodeA), await send(nodeB), await send(nodeA), await send(nodeB), await send(nodeB), await send(nodeA)];
      const ids = calls.map((c) => c.requestId);
      assert.equal(new Set(ids).size, ids.length, `distinct request ids: ${ids.join(',')}`);
      const stored = await nodeA.list(device, { offset: 0, limit: 10 });
      assert.deepEqual(stored.map((c) => c.id).sort(), calls.map((c) => c.id).sort());
    } finally {
      nodeA.stop();
      nodeB.stop();
      await stores.close();
    }
  });
});
