// The AnalyticsStore contract: every implementation runs it (today the embedded DuckDB store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Alarm, AnalyticsStore } from '../../src/ports/analytics-store.js';

function alarm(tenantId: string, deviceId: string, extra: Partial<Alarm> = {}): Alarm {
  return {
    id: randomUUID(),
    tenantId,
    deviceId,
    type: 'anomaly',
    key: 't',
    severity: 'warning',
    status: 'ACTIVE_UNACK',
    dismissed: false,
    message: 'm',
    details: { score: 0.99 },
    createdAt: 1000,
    updatedAt: 1000,
    acknowledgedAt: null,
    clearedAt: null,
    ...extra,
  };
}

export function analyticsStoreContract(name: string, open: () => Promise<AnalyticsStore>): void {
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

  test(`${name} - alarms: filter, page, change status, feedback per series, tenant scope`, async () => {
    const store = await open();
    const a1 = alarm('a', 'd1', { createdAt: 1 });
    const a2 = alarm('a', 'd1', { createdAt: 2 });
    const a3 = alarm('a', 'd2', { createdAt: 3, type: 'predicted_failure', key: 'v' });
    for (const x of [a1, a2, a3, alarm('b', 'd1')]) await store.createAlarm(x);
    const all = await store.listAlarms('a', { offset: 0, limit: 10 });
    assert.deepEqual(all.items.map((x) => x.id), [a3.id, a2.id, a1.id], 'newest first');
    assert.equal((await store.listAlarms('a', { deviceId: 'd1', offset: 0, limit: 1 })).total, 2);
    assert.deepEqual((await store.listAlarms('a', { type: 'predicted_failure', offset: 0, limit: 10 })).items.map((x) => x.id), [a3.id]);
    assert.equal(await store.getAlarm('b', a1.id), null);
    const changed = await store.updateAlarm('a', a1.id, { status: 'CLEARED_ACK', dismissed: true, acknowledgedAt: 5, clearedAt: 5, updatedAt: 5 });
    assert.equal(changed?.status, 'CLEARED_ACK');
    assert.equal(changed?.dismissed, true);
    assert.equal(changed?.updatedAt, 5);
    assert.equal(changed?.clearedAt, 5);
    assert.deepEqual(changed?.details, { score: 0.99 });
    await store.updateAlarm('a', a2.id, { status: 'ACTIVE_ACK', acknowledgedAt: 6, updatedAt: 6 });
    assert.deepEqual(await store.alarmFeedback('a', 'anomaly'), [{ deviceId: 'd1', key: 't', acknowledged: 1, dismissed: 1, open: 0, raised: 2 }]);
    const raisedBy = await store.updateAlarm('a', a3.id, { severity: 'critical', updatedAt: 7 });
    assert.equal(raisedBy?.severity, 'critical');
    const byStatus = async (statuses: Alarm['status'][]) => (await store.listAlarms('a', { statuses, offset: 0, limit: 10 })).items.map((x) => x.id);
    assert.deepEqual(await byStatus(['ACTIVE_UNACK']), [a3.id]);
    assert.deepEqual(await byStatus(['ACTIVE_ACK', 'CLEARED_ACK']), [a2.id, a1.id]);
    assert.deepEqual((await store.listAlarms('a', { dismissed: true, offset: 0, limit: 10 })).items.map((x) => x.id), [a1.id]);
  });

  test(`${name} - alarms filter by rule and incident (details)`, async () => {
    const store = await open();
    const lead = alarm('a', 'd1', { type: 'rule', createdAt: 1 });
    lead.details = { ruleId: 'r1', incidentId: lead.id };
    const member = alarm('a', 'd2', { type: 'rule', createdAt: 2, details: { ruleId: 'r1', incidentId: lead.id } });
    const other = alarm('a', 'd3', { type: 'rule', createdAt: 3, details: { ruleId: 'r2' } });
    for (const x of [lead, member, other]) await store.createAlarm(x);
    const ids = async (f: Partial<Parameters<AnalyticsStore['listAlarms']>[1]>) => (await store.listAlarms('a', { offset: 0, limit: 10, ...f })).items.map((x) => x.id);
    assert.deepEqual(await ids({ ruleId: 'r1' }), [member.id, lead.id]);
    assert.deepEqual(await ids({ incidentId: lead.id }), [member.id, lead.id]);
    assert.deepEqual(await ids({ incidentLeaders: true }), [lead.id]);
  });

  test(`${name} - maintenance and detector policies and RUL models per device type`, async () => {
    const store = await open();
    const policy = { tenantId: 'a', deviceType: 'pump', key: 'v', threshold: 7.1, failWhen: 'above' as const, horizonMs: 10, windowMs: 20, updatedAt: 1 };
    await store.putPolicy(policy);
    await store.putPolicy({ ...policy, threshold: 8 });
    assert.deepEqual(await store.listPolicies('a'), [{ ...policy, threshold: 8 }]);
    assert.deepEqual(await store.listPolicies('b'), []);
    assert.equal(await store.deletePolicy('a', 'pump'), true);
    assert.equal(await store.deletePolicy('a', 'pump'), false);

    const detector = { tenantId: 'a', deviceType: 'motor', keys: ['c', 'v'], fitPoints: 300, updatedAt: 1 };
    await store.putDetectorPolicy(detector);
    assert.deepEqual(await store.listDetectorPolicies(), [detector]);
    assert.equal(await store.deleteDetectorPolicy('a', 'motor'), true);

    const rul = { tenantId: 'a', deviceType: 'engine', keys: ['t'], stepMs: 3600000, version: 1, trainedAt: 5, units: 3, rows: 300, state: { k: 1 } };
    await store.putRulModel(rul);
    await store.putRulModel({ ...rul, version: 2 });
    assert.deepEqual(await store.listRulModels('a'), [{ ...rul, version: 2 }]);
    assert.equal(await store.deleteRulModel('a', 'engine'), true);
    assert.deepEqual(await store.listRulModels(), []);
  });
}
