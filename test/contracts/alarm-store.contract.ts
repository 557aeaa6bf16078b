// The AlarmStore contract: every implementation (DuckDB, PostgreSQL) runs it with the same assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Alarm, AlarmStore } from '../../src/ports/alarm-store.js';

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

export function alarmStoreContract(name: string, open: () => Promise<AlarmStore>): void {
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
    // A deleted device takes its alarms along, in its tenant only.
    await store.deleteDeviceAlarms('a', 'd1');
    assert.deepEqual((await store.listAlarms('a', { offset: 0, limit: 10 })).items.map((x) => x.id), [a3.id]);
    assert.equal((await store.listAlarms('b', { offset: 0, limit: 10 })).total, 1);
  });

  test(`${name} - alarms filter by rule and incident (details)`, async () => {
    const store = await open();
    const lead = alarm('a', 'd1', { type: 'rule', createdAt: 1 });
    lead.details = { ruleId: 'r1', incidentId: lead.id };
    const member = alarm('a', 'd2', { type: 'rule', createdAt: 2, details: { ruleId: 'r1', incidentId: lead.id } });
    const other = alarm('a', 'd3', { type: 'rule', createdAt: 3, details: { ruleId: 'r2' } });
    for (const x of [lead, member, other]) await store.createAlarm(x);
    const ids = async (f: Partial<Parameters<AlarmStore['listAlarms']>[1]>) => (await store.listAlarms('a', { offset: 0, limit: 10, ...f })).items.map((x) => x.id);
    assert.deepEqual(await ids({ ruleId: 'r1' }), [member.id, lead.id]);
    assert.deepEqual(await ids({ incidentId: lead.id }), [member.id, lead.id]);
    assert.deepEqual(await ids({ incidentLeaders: true }), [lead.id]);
  });

}
