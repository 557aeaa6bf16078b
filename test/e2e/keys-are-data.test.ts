// Any key a device can send round-trips through every query: names of Object.prototype members
// ("constructor", "toString", "__proto__", ...) are keys like any other, over HTTP and live.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

const PROTOTYPE_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__'];

/** JSON text with these keys as own properties (an object literal would set the prototype for __proto__). */
function payload(ts: number, base: number): string {
  return JSON.stringify({ ts, values: Object.fromEntries(PROTOTYPE_KEYS.map((k, i) => [k, base + i])) });
}

/** Own keys of a parsed response object (JSON.parse keeps "__proto__" as an own property). */
function ownKeys(o: object): string[] {
  return Object.keys(o).sort();
}

describe('telemetry keys are data, never object properties', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  const t0 = Date.now() - 60_000;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'prototype-keys');
    for (let i = 0; i < 6; i++) {
      const r = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: payload(t0 + i * 1000, i * 10) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.accepted, PROTOTYPE_KEYS.length);
    }
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
      return r.body.keys?.length === PROTOTYPE_KEYS.length;
    }, 'keys stored');
  });
  after(async () => vigil.stop());

  test('keys lists them all', async () => {
    const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
    assert.deepEqual([...r.body.keys].sort(), [...PROTOTYPE_KEYS].sort());
  });

  test('raw query without keys= answers every key, __proto__ included', async () => {
    const r = await waitFor(async () => {
      const res = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=${t0}`, { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return Object.keys(res.body.data).length === PROTOTYPE_KEYS.length && res.body.data.constructor?.length === 6 ? res : null;
    }, 'raw query of every key');
    assert.deepEqual(ownKeys(r.body.data), [...PROTOTYPE_KEYS].sort());
    assert.ok(Object.hasOwn(r.body.data, '__proto__'), 'the JSON text carries a "__proto__" key');
    assert.deepEqual(r.body.data['__proto__'].map((p: { value: number }) => p.value), [4, 14, 24, 34, 44, 54]);
    assert.deepEqual(r.body.data.toString.map((p: { value: number }) => p.value), [1, 11, 21, 31, 41, 51]);
  });

  test('raw query with keys= selects them by name', async () => {
    const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=${t0}&keys=__proto__,valueOf`, { token });
    assert.equal(r.status, 200);
    assert.deepEqual(ownKeys(r.body.data), ['__proto__', 'valueOf']);
  });

  test('aggregates without keys= answer every key', async () => {
    const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=${t0}&interval=1h&agg=count,max`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ownKeys(r.body.data), [...PROTOTYPE_KEYS].sort());
    const counted = r.body.data['__proto__'].reduce((n: number, w: { count: number }) => n + w.count, 0);
    assert.equal(counted, 6);
    assert.equal(Math.max(...r.body.data.hasOwnProperty.map((w: { max: number }) => w.max)), 53);
  });

  test('latest answers every key, __proto__ included', async () => {
    const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest`, { token });
    assert.equal(r.status, 200);
    assert.deepEqual(ownKeys(r.body.data), [...PROTOTYPE_KEYS].sort());
    assert.equal(r.body.data['__proto__'].value, 54);
    assert.equal(r.body.data.constructor.value, 50);
    const one = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=__proto__`, { token });
    assert.deepEqual(ownKeys(one.body.data), ['__proto__']);
  });

  test('trends answer every key by name', async () => {
    const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/trends?from=${t0}`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ownKeys(r.body.trends), [...PROTOTYPE_KEYS].sort());
    assert.equal(r.body.trends['__proto__'].n, 6);
  });

  test('forecast and time-to-threshold accept them as key', async () => {
    const ttt = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/time-to-threshold?key=__proto__&threshold=1000`, { token });
    assert.equal(ttt.status, 200, JSON.stringify(ttt.body));
    assert.equal(ttt.body.key, '__proto__');
    const models = await request(vigil.http, 'GET', `/api/v1/models?deviceId=${device.id}`, { token });
    assert.equal(models.status, 200);
    const perKey = models.body.items.filter((m: { kind: string }) => m.kind !== 'relational');
    assert.deepEqual(perKey.map((m: { key: string }) => m.key).sort(), [...PROTOTYPE_KEYS].sort());
    // The keys sent together also got one relational model, named by them.
    const relational = models.body.items.filter((m: { kind: string }) => m.kind === 'relational');
    assert.deepEqual(relational.map((m: { key: string }) => m.key), [`relations(${[...PROTOTYPE_KEYS].sort().join(',')})`]);
  });

  test('the live stream delivers them, also when subscribed by key', async () => {
    const all: Socket = io(vigil.http, { auth: { token }, transports: ['websocket'], reconnection: false });
    const keyed: Socket = io(vigil.http, { auth: { token }, transports: ['websocket'], reconnection: false });
    try {
      assert.deepEqual(await all.emitWithAck('subscribe', { deviceId: device.id }), { ok: true });
      assert.deepEqual(await keyed.emitWithAck('subscribe', { deviceId: device.id, keys: ['__proto__', 'constructor'] }), { ok: true });
      const tooMany = Array.from({ length: 1001 }, (_, i) => `k${i}`);
      assert.match((await keyed.emitWithAck('subscribe', { deviceId: device.id, keys: tooMany })).error, /at most 1000 keys/);
      const seenAll: string[] = [];
      const seenKeyed: string[] = [];
      all.on('telemetry', (m: { points: { key: string }[] }) => seenAll.push(...m.points.map((p) => p.key)));
      keyed.on('telemetry', (m: { points: { key: string }[] }) => seenKeyed.push(...m.points.map((p) => p.key)));
      const r = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: payload(Date.now(), 100) });
      assert.equal(r.status, 200);
      await waitFor(async () => seenAll.length === PROTOTYPE_KEYS.length && seenKeyed.length === 2, 'live points');
      assert.deepEqual(seenAll.sort(), [...PROTOTYPE_KEYS].sort());
      assert.deepEqual(seenKeyed.sort(), ['__proto__', 'constructor']);
    } finally {
      all.close();
      keyed.close();
    }
  });
});
