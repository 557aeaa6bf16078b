// The DeviceStateStore contract: every implementation runs it (embedded DuckDB and PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DeviceStateStore, RpcCall } from '../../src/ports/device-state-store.js';

function rpc(tenantId: string, deviceId: string, requestId: number, extra: Partial<RpcCall> = {}): RpcCall {
  return {
    id: randomUUID(),
    tenantId,
    deviceId,
    requestId,
    method: 'setGpio',
    params: { pin: 4, on: true },
    oneway: false,
    persistent: true,
    status: 'queued',
    createdAt: 1000 + requestId,
    updatedAt: 1000 + requestId,
    expiresAt: 100_000,
    response: null,
    error: null,
    ...extra,
  };
}

export function deviceStateStoreContract(name: string, open: () => Promise<DeviceStateStore>): void {
  test(`${name} - attributes: upsert per scope, JSON values, key filter, delete, history newest first`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    await store.setAttributes(t, d, 'shared', new Map<string, unknown>([['interval', 5], ['cfg', { a: [1, 'x'] }]]), 10, 'user:u1');
    await store.setAttributes(t, d, 'client', new Map([['fw', '1.0']]), 11, 'device');
    await store.setAttributes(t, d, 'shared', new Map([['interval', 10]]), 12, 'user:u1');
    const shared = await store.getAttributes(t, d, 'shared');
    assert.deepEqual(shared.map((a) => [a.key, a.value, a.updatedAt]), [['cfg', { a: [1, 'x'] }, 10], ['interval', 10, 12]]);
    assert.deepEqual((await store.getAttributes(t, d, 'shared', ['interval', 'nope'])).map((a) => a.key), ['interval']);
    assert.deepEqual(await store.getAttributes(t, d, 'shared', []), []);
    assert.deepEqual((await store.getAttributes(t, d, 'client')).map((a) => a.value), ['1.0']);
    assert.deepEqual(await store.getAttributes(randomUUID(), d, 'shared'), [], 'another tenant sees nothing');
    assert.deepEqual(await store.deleteAttributes(t, d, 'shared', ['cfg', 'missing'], 13, 'user:u2'), ['cfg']);
    assert.deepEqual((await store.getAttributes(t, d, 'shared')).map((a) => a.key), ['interval']);
    const history = await store.attributeHistory(t, d, { scope: 'shared', limit: 10 });
    assert.deepEqual(
      history.map((h) => [h.key, h.value, h.deleted, h.source]),
      [['cfg', null, true, 'user:u2'], ['interval', 10, false, 'user:u1'], ['cfg', { a: [1, 'x'] }, false, 'user:u1'], ['interval', 5, false, 'user:u1']],
    );
    assert.equal((await store.attributeHistory(t, d, { key: 'interval', limit: 1 }))[0]!.value, 10);
    await store.deleteDevice(t, d);
    assert.deepEqual(await store.getAttributes(t, d, 'client'), []);
    assert.deepEqual(await store.attributeHistory(t, d, { limit: 10 }), []);
    await store.close();
  });

  test(`${name} - rpc: create, find by request id, final status is never overwritten, open calls, list`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    assert.equal(await store.lastRpcRequestId(d), 0);
    const a = rpc(t, d, 1);
    const b = rpc(t, d, 2, { oneway: true, params: null });
    await store.createRpc(a);
    await store.createRpc(b);
    assert.equal(await store.lastRpcRequestId(d), 2);
    assert.deepEqual(await store.getRpc(t, a.id), a);
    assert.equal(await store.getRpc(randomUUID(), a.id), null, 'tenant scoped');
    assert.equal((await store.findRpcByRequestId(d, 2))?.id, b.id);
    const done = await store.updateRpc(t, a.id, { status: 'succeeded', updatedAt: 2000, response: { ok: 1 } });
    assert.deepEqual([done?.status, done?.response], ['succeeded', { ok: 1 }]);
    const late = await store.updateRpc(t, a.id, { status: 'expired', updatedAt: 3000 });
    assert.equal(late?.status, 'succeeded', 'a final status stays');
    await store.updateRpc(t, b.id, { status: 'delivered', updatedAt: 2001 });
    assert.equal((await store.updateRpc(t, b.id, { status: 'sent', updatedAt: 2002 }))?.status, 'delivered', 'never backwards');
    assert.deepEqual((await store.openRpc(d)).map((c) => [c.id, c.status]), [[b.id, 'delivered']]);
    assert.ok((await store.openRpc()).some((c) => c.id === b.id));
    assert.deepEqual((await store.listRpc(t, d, { offset: 0, limit: 10 })).map((c) => c.requestId), [2, 1]);
    assert.deepEqual((await store.listRpc(t, d, { status: 'succeeded', offset: 0, limit: 10 })).map((c) => c.id), [a.id]);
    await store.deleteDevice(t, d);
    assert.equal(await store.getRpc(t, b.id), null);
    await store.close();
  });

  test(`${name} - rpc: of racing final updates exactly one lands and every caller sees it`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    const calls = [1, 2, 3, 4, 5].map((n) => rpc(t, d, n));
    for (const call of calls) await store.createRpc(call);
    for (const call of calls) {
      // A reply, an expiry sweep and a second reply arriving at once (on one node or on several).
      const results = await Promise.all([
        store.updateRpc(t, call.id, { status: 'succeeded', updatedAt: 2000, response: { ok: 1 } }),
        store.updateRpc(t, call.id, { status: 'expired', updatedAt: 2001, error: 'timed out' }),
        store.updateRpc(t, call.id, { status: 'failed', updatedAt: 2002, response: { error: 'x' }, error: 'x' }),
      ]);
      const stored = (await store.getRpc(t, call.id))!;
      assert.ok(['succeeded', 'expired', 'failed'].includes(stored.status));
      for (const r of results) assert.deepEqual(r, stored, 'each caller sees the one final state');
    }
    assert.deepEqual(await store.openRpc(d), []);
    await store.deleteDevice(t, d);
    await store.close();
  });

  test(`${name} - gateway children: link (re-link replaces by name), list, removed with either device`, async () => {
    const store = await open();
    const [t, gw, c1, c2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await store.linkChild({ tenantId: t, gatewayId: gw, childId: c1, childName: 'Device A' });
    await store.linkChild({ tenantId: t, gatewayId: gw, childId: c2, childName: 'Device B' });
    const mine = (await store.listChildLinks()).filter((l) => l.gatewayId === gw);
    assert.deepEqual(mine.map((l) => [l.childName, l.childId]), [['Device A', c1], ['Device B', c2]]);
    await store.deleteDevice(t, c1);
    assert.deepEqual((await store.listChildLinks()).filter((l) => l.gatewayId === gw).map((l) => l.childName), ['Device B']);
    await store.deleteDevice(t, gw);
    assert.deepEqual((await store.listChildLinks()).filter((l) => l.gatewayId === gw), []);
    await store.close();
  });
}
