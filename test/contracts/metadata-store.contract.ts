// The MetadataStore contract: every implementation runs it (today the embedded DuckDB store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DeviceWithCredential, MetadataStore } from '../../src/ports/metadata-store.js';

function device(tenantId: string, name: string, extra: Partial<DeviceWithCredential> = {}): DeviceWithCredential {
  return {
    id: randomUUID(),
    tenantId,
    name,
    type: 'sensor',
    labels: { site: 'a' },
    createdAt: Date.now(),
    updatedAt: Date.now(),
    lastSeenAt: null,
    tokenHash: randomUUID(),
    ...extra,
  };
}

export function metadataStoreContract(name: string, open: () => Promise<MetadataStore>): void {
  test(`${name} - tenants and users; emails are case-insensitive and unique`, async () => {
    const store = await open();
    const tenantId = randomUUID();
    await store.createTenant({ id: tenantId, name: 't', createdAt: 1 });
    assert.deepEqual((await store.listTenants()).map((t) => t.id), [tenantId]);
    const user = { id: randomUUID(), tenantId, email: 'Ops@Example.com', passwordHash: 'h', role: 'admin' as const, createdAt: 1 };
    await store.createUser(user);
    assert.equal((await store.findUserByEmail('ops@example.COM'))?.id, user.id);
    assert.equal((await store.findUserById(user.id))?.role, 'admin');
    await assert.rejects(store.createUser({ ...user, id: randomUUID(), email: 'ops@example.com' }));
    await store.close();
  });

  test(`${name} - devices: create, find by token hash, filter, page, update, delete, per tenant`, async () => {
    const store = await open();
    const a = randomUUID();
    const b = randomUUID();
    const d1 = device(a, 'Pump-1', { type: 'pump' });
    const d2 = device(a, 'pump-2', { type: 'pump' });
    const d3 = device(a, 'door', { type: 'lock' });
    const other = device(b, 'pump-x', { type: 'pump' });
    for (const d of [d1, d2, d3, other]) await store.createDevice(d);
    assert.equal((await store.findDeviceByTokenHash(d2.tokenHash))?.id, d2.id);
    assert.equal(await store.getDevice(b, d1.id), null, 'another tenant cannot read it');
    const pumps = await store.listDevices(a, { type: 'pump', offset: 0, limit: 1 });
    assert.equal(pumps.total, 2);
    assert.equal(pumps.items.length, 1);
    assert.deepEqual((await store.listDevices(a, { name: 'PUMP', offset: 0, limit: 10 })).items.map((d) => d.id).sort(), [d1.id, d2.id].sort());
    assert.deepEqual((await store.listDevices(a, { ids: [d3.id], offset: 0, limit: 10 })).items.map((d) => d.id), [d3.id]);
    const bySite = async (labels: Record<string, string>) => (await store.listDevices(a, { labels, offset: 0, limit: 10 })).items.map((d) => d.id);
    assert.ok((await bySite({ site: 'a' })).length >= 1, 'devices carrying the label');
    assert.deepEqual(await bySite({ site: 'nowhere' }), []);
    assert.deepEqual(await bySite({ site: 'a', "it's": 'quoted "key"' }), [], 'every label must match; odd keys are parameters');
    const names = async (sort: 'name' | 'type', order: 'asc' | 'desc') =>
      (await store.listDevices(a, { sort, order, offset: 0, limit: 10 })).items.map((d) => d.name);
    assert.deepEqual(await names('name', 'asc'), ['door', 'Pump-1', 'pump-2'], 'name sort ignores case');
    assert.deepEqual(await names('name', 'desc'), ['pump-2', 'Pump-1', 'door']);
    assert.equal((await names('type', 'asc'))[0], 'door', 'lock sorts before pump');
    const updated = await store.updateDevice(a, d1.id, { name: 'renamed', labels: { site: 'b' } });
    assert.equal(updated?.name, 'renamed');
    assert.deepEqual(updated?.labels, { site: 'b' });
    assert.equal(await store.updateDevice(b, d1.id, { name: 'hijack' }), null);
    assert.equal(await store.setDeviceTokenHash(a, d1.id, 'new-hash'), true);
    assert.equal(await store.findDeviceByTokenHash(d1.tokenHash), null);
    assert.equal((await store.findDeviceByTokenHash('new-hash'))?.id, d1.id);
    assert.equal(await store.deleteDevice(b, d1.id), false);
    assert.equal(await store.deleteDevice(a, d1.id), true);
    assert.equal(await store.getDevice(a, d1.id), null);
    await store.close();
  });

  test(`${name} - last seen only moves forward`, async () => {
    const store = await open();
    const t = randomUUID();
    const d = device(t, 'x');
    await store.createDevice(d);
    await store.touchDevices(new Map([[d.id, 2000]]));
    await store.touchDevices(new Map([[d.id, 1000]]));
    assert.equal((await store.getDevice(t, d.id))?.lastSeenAt, 2000);
    await store.close();
  });
}
