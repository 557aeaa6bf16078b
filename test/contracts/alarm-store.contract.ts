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
    status: 'open',
    message: 'm',
    details: { score: 0.99 },
    createdAt: 1000,
    updatedAt: 1000,
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
    const changed = await store.setAlarmStatus('a', a1.id, 'dismissed', 5);
    assert.equal(changed?.status, 'dismissed');
    assert.equal(changed?.updatedAt, 5);
    assert.deepEqual(changed?.details, { score: 0.99 });
    await store.setAlarmStatus('a', a2.id, 'acknowledged', 6);
    assert.deepEqual(await store.alarmFeedback('a', 'anomaly'), [{ deviceId: 'd1', key: 't', acknowledged: 1, dismissed: 1, open: 0, raised: 2 }]);
    // A deleted device takes its alarms along, in its tenant only.
    await store.deleteDeviceAlarms('a', 'd1');
    assert.deepEqual((await store.listAlarms('a', { offset: 0, limit: 10 })).items.map((x) => x.id), [a3.id]);
    assert.equal((await store.listAlarms('b', { offset: 0, limit: 10 })).total, 1);
  });

}
