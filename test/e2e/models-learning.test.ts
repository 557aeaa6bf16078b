// A newcomer's first minutes raise no alarm because every new series first learns; the models
// list says so, and how many points each model still needs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

describe('models show their learning state', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'boiler-1');
  });
  after(async () => vigil.stop());

  const send = async (from: number, count: number) => {
    const t0 = Date.now() - 3_600_000;
    const points = Array.from({ length: count }, (_, i) => ({ ts: t0 + (from + i) * 1000, values: { temperature: 21 + ((from + i) % 5) * 0.1 } }));
    const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: points });
    assert.equal(res.status, 200);
  };
  const model = async () => {
    const res = await request(vigil.http, 'GET', `/api/v1/models?deviceId=${device.id}`, { token });
    assert.equal(res.status, 200);
    return res.body.items.find((m: { key: string }) => m.key === 'temperature');
  };

  test('a new series is learning, with the points it still needs; then it is not', async () => {
    await send(0, 100);
    const learning = await waitFor(async () => {
      const m = await model();
      return m?.points === 100 ? m : null;
    }, 'model after 100 points');
    assert.equal(learning.learning, true);
    assert.equal(learning.pointsNeeded, 300);

    await send(100, 350);
    const learned = await waitFor(async () => {
      const m = await model();
      return m?.points === 450 ? m : null;
    }, 'model after 450 points');
    assert.equal(learned.learning, false);
    assert.equal(learned.pointsNeeded, 0);
  });
});
