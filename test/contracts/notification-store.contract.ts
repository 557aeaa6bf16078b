// The NotificationStore contract: every implementation runs it (today the embedded DuckDB store).
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
