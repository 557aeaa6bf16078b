// The DashboardStore contract: the DuckDB and the PostgreSQL stores both run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dashboard, DashboardStore } from '../../src/ports/dashboard-store.js';

export interface OpenedDashboardStore {
  store: DashboardStore;
  close(): Promise<void>;
}

function dashboard(id: string, tenantId: string, name: string): Dashboard {
  return {
    id,
    tenantId,
    name,
    widgets: [{ id: 'w1', type: 'chart', x: 0, y: 0, w: 6, h: 4, title: 'Temp °C', config: { deviceId: 'd1', keys: ['temp'], nested: { a: [1, 2] } } }],
    rangeMs: 3_600_000,
    createdAt: 1000,
    updatedAt: 1000,
  };
}

export function dashboardStoreContract(name: string, open: () => Promise<OpenedDashboardStore>): void {
  test(`${name} - a dashboard is restored exactly as saved, listed by name, per tenant`, async () => {
    const { store, close } = await open();
    try {
      await store.create(dashboard('b', 't1', 'plant B'));
      await store.create(dashboard('a', 't1', 'Plant A'));
      await store.create(dashboard('c', 't2', 'other tenant'));
      assert.deepEqual(await store.get('t1', 'b'), dashboard('b', 't1', 'plant B'));
      assert.deepEqual((await store.list('t1')).map((d) => d.id), ['a', 'b'], 'name order ignores case');
      assert.equal(await store.get('t1', 'c'), null, 'another tenant’s dashboard is invisible');
    } finally {
      await close();
    }
  });

  test(`${name} - replace and delete act only within the tenant`, async () => {
    const { store, close } = await open();
    try {
      await store.create(dashboard('a', 't1', 'A'));
      assert.equal(await store.replace('t2', 'a', { name: 'stolen', widgets: [], rangeMs: 1, updatedAt: 2 }), false);
      assert.equal(await store.delete('t2', 'a'), false);
      assert.equal(await store.replace('t1', 'a', { name: 'A2', widgets: [], rangeMs: 60_000, updatedAt: 2000 }), true);
      const replaced = await store.get('t1', 'a');
      assert.deepEqual([replaced?.name, replaced?.widgets, replaced?.rangeMs, replaced?.updatedAt, replaced?.createdAt], ['A2', [], 60_000, 2000, 1000]);
      assert.equal(await store.delete('t1', 'a'), true);
      assert.equal(await store.get('t1', 'a'), null);
      assert.equal(await store.replace('t1', 'missing', { name: 'x', widgets: [], rangeMs: 1, updatedAt: 1 }), false);
    } finally {
      await close();
    }
  });
}
