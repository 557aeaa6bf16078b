// The ModelStore contract: every implementation (DuckDB, PostgreSQL) runs it with the same assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelStore } from '../../src/ports/model-store.js';

export function modelStoreContract(name: string, open: () => Promise<ModelStore>): void {
  test(`${name} - model state round-trips and upserts by series`, async () => {
    const store = await open();
    const base = { tenantId: 'a', deviceId: 'd', key: 't', kind: 'seasonal', trainedFrom: 1, trainedTo: 2, points: 10, updatedAt: 3 };
    await store.saveModels([{ ...base, version: 1, state: { season: [1.5, 2.5] } }]);
    await store.saveModels([{ ...base, version: 2, state: { season: [3] }, trainedFrom: null }]);
    assert.deepEqual(await store.loadModels(), [{ ...base, version: 2, state: { season: [3] }, trainedFrom: null }]);
    // The same series twice in one batch: the later record wins.
    await store.saveModels([
      { ...base, version: 3, state: { season: [4] } },
      { ...base, version: 3, state: { season: [5] }, points: 11 },
    ]);
    assert.deepEqual(await store.loadModels(), [{ ...base, version: 3, state: { season: [5] }, points: 11 }]);
    await store.deleteDeviceAnalytics('a', 'd');
    assert.deepEqual(await store.loadModels(), []);
  });

  test(`${name} - model summaries list every model without state; states load for the series asked`, async () => {
    const store = await open();
    const base = { tenantId: 'a', kind: 'seasonal', version: 1, trainedFrom: 1, trainedTo: 2, points: 10, updatedAt: 3 };
    const records = Array.from({ length: 700 }, (_, i) => ({ ...base, deviceId: `d${i % 7}`, key: `k${i}`, state: { n: i } }));
    await store.saveModels([...records, { ...base, tenantId: 'b', deviceId: 'd0', key: 'k0', state: { n: -1 } }]);
    const summaries = await store.listModelSummaries();
    assert.equal(summaries.length, 701);
    assert.ok(summaries.every((m) => m.state === null));
    const wanted = [...records.slice(0, 650).map((r) => ({ tenantId: r.tenantId, deviceId: r.deviceId, key: r.key })), { tenantId: 'a', deviceId: 'd0', key: 'missing' }];
    const loaded = await store.loadModelStates(wanted);
    assert.equal(loaded.length, 650);
    const byKey = new Map(loaded.map((m) => [m.key, m]));
    assert.deepEqual(byKey.get('k649'), records[649]);
    assert.deepEqual(byKey.get('k0')?.state, { n: 0 }, 'tenant b has its own k0');
  });

  test(`${name} - RUL models per device type`, async () => {
    const store = await open();
    const rul = { tenantId: 'a', deviceType: 'engine', keys: ['t'], stepMs: 3600000, version: 1, trainedAt: 5, units: 3, rows: 300, state: { k: 1 } };
    await store.putRulModel(rul);
    await store.putRulModel({ ...rul, version: 2 });
    assert.deepEqual(await store.listRulModels('a'), [{ ...rul, version: 2 }]);
    assert.equal(await store.deleteRulModel('a', 'engine'), true);
    assert.deepEqual(await store.listRulModels(), []);
  });
}
