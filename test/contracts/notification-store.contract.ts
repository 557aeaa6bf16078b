// The NotificationStore contract: every implementation runs it (embedded DuckDB and PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, Delivery, NotificationPolicy, Silence } from '../../src/domains/notifications/notification.js';
import type { NotificationStore } from '../../src/ports/notification-store.js';

const channel = (tenantId: string, id: string, createdAt: number): Channel => ({
  id,
  tenantId,
  name: id,
  type: 'webhook',
  config: { url: 'http://example.test/hook' },
  sealedSecret: 'v1:a:b:c',
  createdAt,
  updatedAt: createdAt,
});

const delivery = (id: string, status: Delivery['status'], createdAt: number, extra: Partial<Delivery> = {}): Delivery => ({
  id,
  tenantId: 'a',
  alarmId: 'al1',
  channelId: 'c1',
  channelType: 'webhook',
  event: 'raised',
  status,
  attempts: 0,
  lastError: null,
  responseStatus: null,
  payload: { message: { event: 'raised' }, adHoc: null },
  createdAt,
  updatedAt: createdAt,
  ...extra,
});

export function notificationStoreContract(name: string, open: () => Promise<NotificationStore>): void {
  test(`${name} - channels, policies and silences per tenant; delete by kind`, async () => {
    const store = await open();
    await store.putChannel(channel('a', 'c2', 2));
    await store.putChannel(channel('a', 'c1', 1));
    await store.putChannel(channel('b', 'c3', 1));
    assert.deepEqual((await store.listChannels('a')).map((c) => c.id), ['c1', 'c2']);
    assert.deepEqual((await store.listChannels('a'))[0], channel('a', 'c1', 1));
    const policy: NotificationPolicy = {
      id: 'p1', tenantId: 'a', name: 'p', severities: ['major'], alarmTypes: [], deviceIds: [], ruleIds: [], channelIds: ['c1'],
      escalateAfterMs: null, escalateToChannelIds: [], createdAt: 1,
    };
    await store.putPolicy(policy);
    const silence: Silence = { id: 's1', tenantId: 'a', deviceId: 'd1', ruleId: null, untilMs: 99, reason: '', createdBy: 'user:u', createdAt: 1 };
    await store.putSilence(silence);
    assert.deepEqual(await store.listPolicies('a'), [policy]);
    assert.deepEqual(await store.listSilences('a'), [silence]);
    assert.deepEqual(await store.listSilences('b'), []);
    assert.equal(await store.deleteItem('channel', 'b', 'c1'), false, 'another tenant cannot delete it');
    assert.equal(await store.deleteItem('policy', 'a', 'c1'), false, 'kinds do not mix');
    assert.equal(await store.deleteItem('channel', 'a', 'c1'), true);
    assert.deepEqual((await store.listChannels('a')).map((c) => c.id), ['c2']);
    await store.close();
  });

  test(`${name} - deliveries upsert by id, filter, page newest first, and unfinished ones are found`, async () => {
    const store = await open();
    await store.putDelivery(delivery('d1', 'pending', 1));
    await store.putDelivery(delivery('d2', 'pending', 2, { alarmId: 'al2' }));
    await store.putDelivery(delivery('d3', 'held', 3));
    await store.putDelivery(delivery('d1', 'retrying', 1, { attempts: 1, lastError: 'receiver answered 500', responseStatus: 500, updatedAt: 5 }));
    await store.putDelivery(delivery('d2', 'delivered', 2, { alarmId: 'al2', attempts: 1, responseStatus: 204, updatedAt: 6 }));
    const all = await store.listDeliveries('a', { offset: 0, limit: 10 });
    assert.equal(all.total, 3);
    assert.deepEqual(all.items.map((d) => d.id), ['d3', 'd2', 'd1']);
    assert.deepEqual(all.items[2], delivery('d1', 'retrying', 1, { attempts: 1, lastError: 'receiver answered 500', responseStatus: 500, updatedAt: 5 }));
    assert.deepEqual((await store.listDeliveries('a', { alarmId: 'al1', offset: 0, limit: 10 })).items.map((d) => d.id), ['d3', 'd1']);
    assert.deepEqual((await store.listDeliveries('a', { status: 'held', offset: 0, limit: 10 })).items.map((d) => d.id), ['d3']);
    assert.deepEqual((await store.listDeliveries('a', { offset: 1, limit: 1 })).items.map((d) => d.id), ['d2']);
    assert.equal((await store.listDeliveries('b', { offset: 0, limit: 10 })).total, 0);
    assert.deepEqual((await store.unfinishedDeliveries()).map((d) => d.id), ['d1']);
    await store.close();
  });
}

/** Several nodes on one shared store: `node()` opens the store as another node would; `close()` ends them all. */
export interface SharedNotificationStores {
  node(): Promise<NotificationStore>;
  close(): Promise<void>;
}

/**
 * For stores that several nodes share: each node resumes unfinished deliveries at start, so a
 * delivery must be resumed by one node only, and never while the node sending it is alive.
 */
export function sharedNotificationStoreContract(name: string, open: () => Promise<SharedNotificationStores>): void {
  test(`${name} - a live node's unfinished deliveries stay with it; a gone node's are taken over by one node`, async () => {
    const shared = await open();
    try {
      const a = await shared.node();
      await a.putDelivery(delivery('n1', 'pending', 1));
      await a.putDelivery(delivery('n2', 'retrying', 2, { attempts: 1 }));
      await a.putDelivery(delivery('n3', 'delivered', 3));
      const b = await shared.node();
      assert.deepEqual(await b.unfinishedDeliveries(), [], 'node a is alive and still sending them');
      assert.deepEqual((await a.unfinishedDeliveries()).map((d) => d.id), ['n1', 'n2'], 'a node keeps its own');
      await a.close(); // node a stops (or its connection is gone)
      assert.deepEqual((await b.unfinishedDeliveries()).map((d) => d.id), ['n1', 'n2'], 'node b takes them over');
      const c = await shared.node();
      assert.deepEqual(await c.unfinishedDeliveries(), [], 'now they are node b\'s');
      assert.equal((await c.listDeliveries('a', { offset: 0, limit: 10 })).total, 3, 'every node lists every delivery');
      await b.close();
      await c.close();
    } finally {
      await shared.close();
    }
  });

  test(`${name} - nodes starting at once split a gone node's deliveries: each is resumed exactly once`, async () => {
    const shared = await open();
    try {
      const gone = await shared.node();
      const ids = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`);
      for (const [i, id] of ids.entries()) await gone.putDelivery(delivery(id, 'pending', i));
      await gone.close();
      const nodes = await Promise.all([shared.node(), shared.node(), shared.node()]);
      const resumed = await Promise.all(nodes.map((n) => n.unfinishedDeliveries()));
      const all = resumed.flat().map((d) => d.id);
      assert.equal(all.length, ids.length, 'no delivery resumed twice');
      assert.deepEqual([...all].sort(), ids, 'none left behind');
      for (const n of nodes) await n.close();
    } finally {
      await shared.close();
    }
  });
}
