// Operator feedback through the API: dismissing an anomaly alarm as false lowers that series'
// sensitivity (GET /api/v1/models shows the higher threshold and the false-alarm rate), and the
// same deviation no longer alarms, while an identical series nobody gave feedback on still does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

describe('alarm feedback', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil({ VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' });
    token = await login(vigil.http);
  });
  after(async () => vigil.stop());

  const start = Date.now() - 3000 * 60_000;
  function series(from: number, to: number, spikeAt: number) {
    let seed = 3;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
    const all = Array.from({ length: to }, (_, i) => ({ ts: start + i * 60_000, values: { temperature: i === spikeAt ? 20.4 : 20 + noise() } })); // a moderate spike, ~6 sigmas: its score stays below 1
    return all.slice(from);
  }
  async function send(deviceToken: string, points: { ts: number; values: Record<string, number> }[]) {
    for (let i = 0; i < points.length; i += 2000) {
      const res = await request(vigil.http, 'POST', `/api/v1/${deviceToken}/telemetry`, { body: points.slice(i, i + 2000) });
      assert.equal(res.status, 200);
    }
  }
  const alarmsOf = async (deviceId: string) =>
    (await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${deviceId}&type=anomaly`, { token })).body.items as { id: string; status: string }[];
  const modelOf = async (deviceId: string) =>
    (await request(vigil.http, 'GET', `/api/v1/models?deviceId=${deviceId}`, { token })).body.items.find((m: { key: string }) => m.key === 'temperature');

  test('dismiss → threshold up, false-alarm rate shown, the same deviation no longer alarms', async () => {
    const judged = await createDevice(vigil.http, token, 'feedback-judged');
    const control = await createDevice(vigil.http, token, 'feedback-control');
    for (const d of [judged, control]) await send(d.accessToken, series(0, 1200, 1000));
    const first = await waitFor(async () => ((await alarmsOf(judged.id)).length === 1 ? (await alarmsOf(judged.id))[0] : null), 'first alarm');
    await waitFor(async () => ((await alarmsOf(control.id)).length === 1 ? true : null), 'control alarm');

    const fresh = await modelOf(judged.id);
    assert.equal(fresh.sensitivity.dismissals, 0);
    assert.equal(fresh.falseAlarmRate, 0);
    const dismissed = await request(vigil.http, 'POST', `/api/v1/alarms/${first.id}/dismiss`, { token });
    assert.equal(dismissed.status, 200);
    const tightened = await waitFor(async () => {
      const m = await modelOf(judged.id);
      return m.sensitivity.dismissals === 1 ? m : null;
    }, 'model feedback');
    assert.ok(tightened.sensitivity.threshold > fresh.sensitivity.threshold, `${fresh.sensitivity.threshold} → ${tightened.sensitivity.threshold}`);
    assert.equal(tightened.falseAlarmRate, 1, 'one alarm raised, one dismissed');

    // The same spike again, well after the first incident.
    for (const d of [judged, control]) await send(d.accessToken, series(1200, 1600, 1400));
    await waitFor(async () => ((await alarmsOf(control.id)).length === 2 ? true : null), 'the control series alarms again');
    assert.equal((await alarmsOf(judged.id)).length, 1, 'the dismissed series stays quiet on the same deviation');
    const controlModel = await modelOf(control.id);
    assert.equal(controlModel.falseAlarmRate, 0);
    assert.equal(controlModel.sensitivity.threshold, fresh.sensitivity.threshold);
  });
});
