import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

const BUDGET_BYTES = 1024 * 1024;

/** The model-memory figures of /metrics. */
async function modelMetrics(http: string): Promise<Record<string, number>> {
  const res = await fetch(`${http}/metrics`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^(vigil_models_\w+) (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

describe('live models within a memory budget', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil({ VIGIL_MODEL_MEMORY_BUDGET_MB: '1', VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' });
    token = await login(vigil.http);
  });
  after(async () => vigil.stop());

  let seed = 5;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
  const start = Date.now() - 1000 * 60_000;

  /** `count` entries from minute `from` on, every key steady around 20. */
  async function send(deviceToken: string, keys: string[], from: number, count: number, value = () => 20 + noise()) {
    for (let i = 0; i < count; i += 150) {
      const entries = Array.from({ length: Math.min(150, count - i) }, (_, j) => ({
        ts: start + (from + i + j) * 60_000,
        values: Object.fromEntries(keys.map((k) => [k, value()])),
      }));
      const res = await request(vigil.http, 'POST', `/api/v1/${deviceToken}/telemetry`, { body: entries });
      assert.equal(res.status, 200);
      const m = await modelMetrics(vigil.http);
      assert.ok(m.vigil_models_resident_bytes! <= BUDGET_BYTES, `resident ${m.vigil_models_resident_bytes} bytes within the budget`);
    }
  }

  test('quiet models spill to storage, come back with what they learned, and still catch anomalies', async () => {
    const a = await createDevice(vigil.http, token, 'many-keys-a');
    const b = await createDevice(vigil.http, token, 'many-keys-b');
    const keysA = Array.from({ length: 300 }, (_, i) => `s${i}`);
    await send(a.accessToken, keysA, 0, 450);
    // Another device's models take the memory: every model of device a is spilled.
    await send(b.accessToken, Array.from({ length: 200 }, (_, i) => `t${i}`), 0, 450);
    // The models are scored off the acknowledging thread: the figures follow within a moment.
    const before = await waitFor(async () => {
      const m = await modelMetrics(vigil.http);
      return m.vigil_models_spilled_total! >= 300 ? m : null;
    }, 'the models of device a spilled');
    assert.equal(before.vigil_models_budget_bytes, BUDGET_BYTES);
    assert.ok(before.vigil_models_spilled_total! >= 300, `spilled ${before.vigil_models_spilled_total}`);
    assert.ok(before.vigil_models_resident! < 500, 'not every model fits');
    const listed = await request(vigil.http, 'GET', `/api/v1/models?deviceId=${a.id}`, { token });
    const perKey = listed.body.items.filter((m: { kind: string }) => m.kind !== 'relational');
    assert.equal(perKey.length, 300, 'spilled models are still listed');
    assert.equal(listed.body.items.find((m: { key: string }) => m.key === 's0').points, 450);

    // s0 speaks again: 20 normal points, then a spike. A model starting from scratch would still
    // be in its 400-point fit period and could not raise an alarm; the reloaded one does.
    await send(a.accessToken, ['s0'], 450, 20);
    await send(a.accessToken, ['s0'], 470, 15, () => 45);
    const alarms = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${a.id}&type=anomaly`, { token });
      return r.body.total >= 1 ? r.body.items : null;
    }, 'anomaly alarm after reload');
    assert.equal(alarms[0].key, 's0');
    assert.equal(alarms[0].details.explanation.observed, 45);
    const after = await waitFor(async () => {
      const m = await modelMetrics(vigil.http);
      return m.vigil_models_reloaded_total! > before.vigil_models_reloaded_total! ? m : null;
    }, 'the model loaded back');
    const model = (await request(vigil.http, 'GET', `/api/v1/models?deviceId=${a.id}`, { token })).body.items.find((m: { key: string }) => m.key === 's0');
    assert.equal(model.points, 485, 'learning continued from 450');
    assert.equal(model.trainedFrom, start);
    const other = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${b.id}`, { token });
    assert.equal(other.body.total, 0, 'no false alarm from spilling and reloading');

    // s0's model is spilled again; an operator then dismisses its alarm as false: the model is
    // loaded back, made less sensitive and saved, and the listing shows it.
    await send(b.accessToken, Array.from({ length: 200 }, (_, i) => `t${i}`), 450, 150);
    const threshold = model.sensitivity.threshold;
    await waitFor(async () => {
      const m = await modelMetrics(vigil.http);
      return m.vigil_models_spilled_total! > after.vigil_models_spilled_total!;
    }, 'models spilled again');
    const dismissed = await request(vigil.http, 'POST', `/api/v1/alarms/${alarms[0].id}/dismiss`, { token });
    assert.equal(dismissed.status, 200);
    const judged = await waitFor(async () => {
      const items = (await request(vigil.http, 'GET', `/api/v1/models?deviceId=${a.id}`, { token })).body.items;
      const m = items.find((x: { key: string }) => x.key === 's0');
      return m.sensitivity.dismissals === 1 ? m : null;
    }, 'dismissal applied to the spilled model');
    assert.ok(judged.sensitivity.threshold > threshold, `threshold ${threshold} → ${judged.sensitivity.threshold}`);
    assert.equal(judged.falseAlarmRate, 1, 'the one alarm raised was dismissed');
  });

  test('models spilled at shutdown come back after a restart and keep learning', async () => {
    const c = await createDevice(vigil.http, token, 'restarted');
    await send(c.accessToken, ['level'], 0, 450);
    await vigil.stop({ keepData: true });
    vigil = await startVigil({ VIGIL_MODEL_MEMORY_BUDGET_MB: '1', VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' }, vigil.dataDir);
    token = await login(vigil.http);
    const idle = await modelMetrics(vigil.http);
    assert.equal(idle.vigil_models_resident, 0, 'models load when their series sends, not at start');
    await send(c.accessToken, ['level'], 450, 10);
    await send(c.accessToken, ['level'], 460, 15, () => 45);
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${c.id}&type=anomaly`, { token });
      return r.body.total >= 1;
    }, 'anomaly alarm after restart');
    const model = (await request(vigil.http, 'GET', `/api/v1/models?deviceId=${c.id}`, { token })).body.items[0];
    assert.equal(model.points, 475);
  });
});
