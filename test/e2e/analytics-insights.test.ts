// Analytics API end to end: a week of synthetic 10-minute history goes in through the device
// HTTP API, and the forecast, trends and time-to-threshold endpoints must recover what was built
// into it (a daily cycle, a step, a linear degradation).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/domains/auth/passwords.js';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 10 * MIN;
const N = 7 * 144; // one week of 10-minute points

/** Deterministic Gaussian noise (mulberry32 + Box–Muller). */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

// Series definitions, all functions of the timestamp.
const end = Math.floor((Date.now() - 5 * MIN) / STEP) * STEP;
const start = end - (N - 1) * STEP;
/** Daily sine (amplitude 5, peak at 06:00 of the cycle) on a slow rise of 0.5 per day. */
const tempTruth = (ts: number) => 20 + (0.5 * (ts - start)) / DAY + 5 * Math.sin((2 * Math.PI * (ts - start)) / DAY);
/** Level 10, jumping to 15 at stepTs. */
const stepTs = start + 4 * DAY + 3 * HOUR;
const levelTruth = (ts: number) => (ts < stepTs ? 10 : 15);
/** Linear wear: 1 + 0.1 per hour. */
const wearTruth = (ts: number) => 1 + (0.1 * (ts - start)) / HOUR;

describe('analytics insights API', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  let sparse: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'pump-1');
    sparse = await createDevice(vigil.http, token, 'pump-new');

    const gTemp = noise(1);
    const gLevel = noise(2);
    const gWear = noise(3);
    const points = Array.from({ length: N }, (_, i) => {
      const ts = start + i * STEP;
      return {
        ts,
        values: {
          temp: tempTruth(ts) + 0.3 * gTemp(),
          level: levelTruth(ts) + 0.2 * gLevel(),
          wear: wearTruth(ts) + 0.05 * gWear(),
        },
      };
    });
    points[0]!.values = { ...points[0]!.values, mode: 'auto' } as never; // a non-numeric key
    for (let i = 0; i < points.length; i += 500) {
      const res = await request(vigil.http, 'POST', '/api/v1/telemetry', {
        body: points.slice(i, i + 500),
        headers: { authorization: `Bearer ${device.accessToken}` },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const few = Array.from({ length: 3 }, (_, i) => ({ ts: end - (3 - i) * STEP, values: { temp: 20 + i } }));
    const res = await request(vigil.http, 'POST', '/api/v1/telemetry', { body: few, headers: { authorization: `Bearer ${sparse.accessToken}` } });
    assert.equal(res.status, 200, JSON.stringify(res.body));

    await waitFor(async () => {
      for (const key of ['temp', 'level', 'wear']) {
        const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=${key}&from=${start}&to=${end}&limit=5000`, { token });
        if (r.body.data?.[key]?.length !== N) return false;
      }
      const s = await request(vigil.http, 'GET', `/api/v1/devices/${sparse.id}/telemetry?keys=temp&from=${start}&to=${end}`, { token });
      return s.body.data?.temp?.length === 3;
    }, 'synthetic history stored', 30_000);
  });
  after(async () => vigil.stop());

  test('forecast: one day ahead at the data step, intervals ordered, tracking the daily cycle', async () => {
    const res = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/forecast?key=temp&horizon=1d`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body;
    assert.equal(body.deviceId, device.id);
    assert.equal(body.key, 'temp');
    assert.equal(body.stepMs, STEP);
    assert.equal(body.stepSource, 'data');
    assert.equal(body.history.resolution, 'raw');
    assert.equal(body.history.points, N);
    assert.equal(body.points.length, DAY / STEP);
    assert.equal(body.model.kind, 'holt-winters');
    assert.ok(Math.abs(body.model.periodMs - DAY) <= 2 * STEP, `period ${body.model.periodMs}`);

    let absError = 0;
    let inside95 = 0;
    body.points.forEach((p: { ts: number; value: number; lower80: number; upper80: number; lower95: number; upper95: number }, i: number) => {
      assert.equal(p.ts, end + (i + 1) * STEP);
      assert.ok(p.lower95 <= p.lower80 && p.lower80 <= p.value && p.value <= p.upper80 && p.upper80 <= p.upper95, JSON.stringify(p));
      const truth = tempTruth(p.ts);
      absError += Math.abs(p.value - truth);
      if (truth >= p.lower95 && truth <= p.upper95) inside95++;
    });
    const mae = absError / body.points.length;
    assert.ok(mae < 0.5, `mean absolute error ${mae} against a cycle of amplitude 5`);
    assert.ok(inside95 / body.points.length >= 0.9, `truth inside the 95% band at ${inside95} of ${body.points.length} steps`);

    const shortRes = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/forecast?key=temp&horizon=1h&history=2d`, { token });
    assert.equal(shortRes.status, 200, JSON.stringify(shortRes.body));
    assert.equal(shortRes.body.points.length, 6);
    assert.ok(shortRes.body.history.points <= 2 * 144 + 1);
  });

  test('trends: rising directions, the step found near its true time, slopes recovered', async () => {
    const res = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/trends?keys=level,wear&from=${start}&to=${end}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { trends } = res.body;
    assert.deepEqual(Object.keys(trends).sort(), ['level', 'wear']);

    assert.equal(trends.wear.direction, 'rising');
    assert.ok(Math.abs(trends.wear.slopePerHour - 0.1) < 0.005, `wear slope ${trends.wear.slopePerHour}`);
    assert.ok(Math.abs(trends.wear.slopePerDay - 2.4) < 0.12);
    assert.equal(trends.wear.n, N);

    assert.equal(trends.level.direction, 'rising');
    const near = trends.level.changePoints.filter((c: { ts: number }) => Math.abs(c.ts - stepTs) <= 3 * STEP);
    assert.equal(near.length, 1, JSON.stringify(trends.level.changePoints));
    assert.ok(Math.abs(near[0].before - 10) < 0.3 && Math.abs(near[0].after - 15) < 0.3, JSON.stringify(near[0]));

    // Without keys: every key of the device; the string key is skipped, not an error.
    const all = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/trends?from=${start}&to=${end}`, { token });
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.deepEqual(Object.keys(all.body.trends).sort(), ['level', 'temp', 'wear']);
    assert.deepEqual(all.body.skipped.map((s: { key: string }) => s.key), ['mode']);
  });

  test('time-to-threshold: the linear wear crosses where the line says', async () => {
    const threshold = 30;
    const truthMs = ((threshold - wearTruth(end)) / 0.1) * HOUR;
    const res = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/time-to-threshold?key=wear&threshold=${threshold}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const b = res.body;
    assert.equal(b.status, 'approaching');
    assert.equal(b.failWhen, 'above');
    assert.equal(b.asOf, end);
    assert.equal(b.samplesUsed, N);
    assert.ok(Math.abs(b.timeToThresholdMs - truthMs) / truthMs < 0.03, `estimate ${b.timeToThresholdMs} vs truth ${truthMs}`);
    assert.ok(b.earliestMs <= b.timeToThresholdMs && b.timeToThresholdMs <= b.latestMs);
    assert.equal(b.expectedAt, Math.round(end + b.timeToThresholdMs));
    assert.ok(Math.abs(b.currentValue - wearTruth(end)) < 0.1);

    const windowed = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/time-to-threshold?key=wear&threshold=${threshold}&window=1d`, { token });
    assert.equal(windowed.status, 200);
    assert.equal(windowed.body.samplesUsed, 145);

    const crossed = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/time-to-threshold?key=wear&threshold=5`, { token });
    assert.equal(crossed.body.status, 'crossed');
    assert.equal(crossed.body.timeToThresholdMs, 0);
  });

  test('more than 20,000 points in the window are analysed as windowed averages', async () => {
    const dense = await createDevice(vigil.http, token, 'dense-1');
    const count = 25_000;
    const spacing = 20_000;
    const denseEnd = end;
    const denseStart = denseEnd - (count - 1) * spacing;
    const g = noise(4);
    const all = Array.from({ length: count }, (_, i) => {
      const ts = denseStart + i * spacing;
      return { ts, values: { vib: 2 + (0.01 * (ts - denseStart)) / HOUR + 0.01 * g() } };
    });
    for (let i = 0; i < count; i += 3000) {
      const res = await request(vigil.http, 'POST', '/api/v1/telemetry', {
        body: all.slice(i, i + 3000),
        headers: { authorization: `Bearer ${dense.accessToken}` },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${dense.id}/telemetry?keys=vib&from=${denseStart}&to=${denseEnd}&limit=30000`, { token });
      return r.body.data?.vib?.length === count;
    }, 'dense history stored', 30_000);

    const fc = await request(vigil.http, 'GET', `/api/v1/devices/${dense.id}/forecast?key=vib&horizon=1h`, { token });
    assert.equal(fc.status, 200, JSON.stringify(fc.body));
    const windowMs = fc.body.history.resolution;
    assert.equal(typeof windowMs, 'number');
    assert.ok(fc.body.history.points <= 10_001 && fc.body.history.points > 5_000, `${fc.body.history.points} windows`);
    assert.equal(fc.body.stepMs, windowMs);
    assert.equal(fc.body.points.length, Math.ceil(HOUR / windowMs));
    const next = fc.body.points[fc.body.points.length - 1];
    const truth = 2 + (0.01 * (next.ts - denseStart)) / HOUR;
    assert.ok(next.lower95 <= truth && truth <= next.upper95, `${JSON.stringify(next)} vs ${truth}`);

    const tr = await request(vigil.http, 'GET', `/api/v1/devices/${dense.id}/trends?keys=vib&from=${denseStart}&to=${denseEnd}`, { token });
    assert.equal(tr.status, 200, JSON.stringify(tr.body));
    assert.equal(typeof tr.body.trends.vib.resolution, 'number');
    assert.equal(tr.body.trends.vib.direction, 'rising');
    assert.ok(Math.abs(tr.body.trends.vib.slopePerHour - 0.01) < 0.001, `slope ${tr.body.trends.vib.slopePerHour}`);
  });

  test('unknown and foreign devices are 404', async () => {
    const otherTenant = randomUUID();
    await vigil.app.metadataStore.createTenant({ id: otherTenant, name: 'other', createdAt: Date.now() });
    await vigil.app.metadataStore.createUser({
      id: randomUUID(),
      tenantId: otherTenant,
      email: 'analyst@other.example',
      passwordHash: await hashPassword('other-password'),
      role: 'admin',
      createdAt: Date.now(),
    });
    const otherToken = await login(vigil.http, 'analyst@other.example', 'other-password');
    const paths = (id: string) => [
      `/api/v1/devices/${id}/forecast?key=temp`,
      `/api/v1/devices/${id}/trends`,
      `/api/v1/devices/${id}/time-to-threshold?key=wear&threshold=30`,
    ];
    for (const path of paths(device.id)) {
      const res = await request(vigil.http, 'GET', path, { token: otherToken });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.error, 'NOT_FOUND');
    }
    for (const path of paths(randomUUID())) {
      const res = await request(vigil.http, 'GET', path, { token });
      assert.equal(res.status, 404, path);
    }
    const anonymous = await request(vigil.http, 'GET', paths(device.id)[0]!);
    assert.equal(anonymous.status, 401);
  });

  test('bad parameters are 400', async () => {
    const base = `/api/v1/devices/${device.id}`;
    for (const path of [
      `${base}/forecast`,
      `${base}/forecast?key=temp&horizon=soon`,
      `${base}/forecast?key=temp&horizon=-1h`,
      `${base}/forecast?key=temp&history=0`,
      `${base}/forecast?key=temp&horizon=1000d`,
      `${base}/trends?from=yesterday`,
      `${base}/trends?from=${end}&to=${start}`,
      `${base}/time-to-threshold?key=wear`,
      `${base}/time-to-threshold?key=wear&threshold=high`,
      `${base}/time-to-threshold?key=wear&threshold=30&window=forever`,
      `${base}/time-to-threshold?key=wear&threshold=30&failWhen=sideways`,
    ]) {
      const res = await request(vigil.http, 'GET', path, { token });
      assert.equal(res.status, 400, `${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'BAD_REQUEST');
      assert.equal(typeof res.body.message, 'string');
    }
  });

  test('too little data is 422', async () => {
    for (const path of [
      `/api/v1/devices/${sparse.id}/forecast?key=temp`,
      `/api/v1/devices/${sparse.id}/time-to-threshold?key=temp&threshold=100`,
      `/api/v1/devices/${sparse.id}/trends?keys=temp`,
      `/api/v1/devices/${device.id}/forecast?key=nosuchkey`,
      `/api/v1/devices/${device.id}/forecast?key=mode`,
    ]) {
      const res = await request(vigil.http, 'GET', path, { token });
      assert.equal(res.status, 422, `${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'UNPROCESSABLE');
    }
  });

  test('the endpoints are in the OpenAPI document under analytics', async () => {
    const doc = await request(vigil.http, 'GET', '/api/openapi.json');
    for (const path of ['/api/v1/devices/{id}/forecast', '/api/v1/devices/{id}/trends', '/api/v1/devices/{id}/time-to-threshold']) {
      const op = doc.body.paths[path]?.get;
      assert.ok(op, path);
      assert.deepEqual(op.tags, ['analytics']);
      assert.ok(op.responses['422'], path);
    }
  });
});
