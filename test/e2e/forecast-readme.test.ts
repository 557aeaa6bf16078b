// The README's forecast example after a newcomer's first minutes: a few minutes of 1-second data,
// then `forecast?key=temperature&horizon=1d`. It used to answer 400 (86,400 steps of 1 s); the
// step is now chosen from the horizon, or given with `step`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { readme } from '../helpers/readme.js';

/** The forecast example as the README gives it, e.g. /api/v1/devices/{id}/forecast?key=temperature&horizon=1d. */
function readmeForecastPath(): string {
  const m = /`GET (\/api\/v1\/devices\/\{id\}\/forecast\?[^`]+)`/.exec(readme());
  assert.ok(m, 'README.md shows a forecast example');
  return m[1]!;
}

describe('forecast step from the horizon', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  const N = 300; // five minutes at 1 s

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'boiler-1');
    const start = Math.floor(Date.now() / 1000) * 1000 - N * 1000;
    const points = Array.from({ length: N }, (_, i) => ({ ts: start + i * 1000, values: { temperature: 21 + Math.sin(i / 20) + (i % 7) * 0.01 } }));
    const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: points });
    assert.equal(res.status, 200);
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=temperature&from=0&limit=1000`, { token });
      return r.body.data?.temperature?.length === N;
    }, 'history stored', 30_000);
  });
  after(async () => vigil.stop());

  test("the README's forecast example (horizon=1d) works on 1 s data: a round step is chosen", async () => {
    const path = readmeForecastPath();
    assert.equal(path, '/api/v1/devices/{id}/forecast?key=temperature&horizon=1d', 'this test sends the history that example needs');
    const res = await request(vigil.http, 'GET', path.replace('{id}', device.id), { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.stepSource, 'horizon');
    assert.equal(res.body.stepMs, 10_000);
    assert.equal(res.body.points.length, 8640);
    assert.equal(res.body.history.points, N);
  });

  test('step=5m is honoured; a step that makes too many steps is a 400 that says what to do', async () => {
    const res = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/forecast?key=temperature&horizon=1d&step=5m`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.stepSource, 'request');
    assert.equal(res.body.stepMs, 300_000);
    assert.equal(res.body.points.length, 288);
    const tooFine = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/forecast?key=temperature&horizon=1d&step=1s`, { token });
    assert.equal(tooFine.status, 400);
    assert.match(tooFine.body.message, /horizon spans 86400 steps of 1000 ms; at most 10000 are allowed: use a coarser step/);
    const bad = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/forecast?key=temperature&step=often`, { token });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^step must look like/);
  });
});
