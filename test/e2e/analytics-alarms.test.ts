import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

describe('live anomaly detection, alarms, models and predictive maintenance', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil({ VIGIL_MAINTENANCE_INTERVAL_MS: '200', VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' });
    token = await login(vigil.http);
  });
  after(async () => vigil.stop());

  async function send(deviceToken: string, points: { ts: number; values: Record<string, number> }[]) {
    for (let i = 0; i < points.length; i += 2000) {
      const res = await request(vigil.http, 'POST', `/api/v1/${deviceToken}/telemetry`, { body: points.slice(i, i + 2000) });
      assert.equal(res.status, 200);
    }
  }

  test('a spike in a steady series raises one anomaly alarm with an explanation; users judge it', async () => {
    const device = await createDevice(vigil.http, token, 'steady');
    const start = Date.now() - 2000 * 60_000;
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
    const points = Array.from({ length: 1500 }, (_, i) => ({ ts: start + i * 60_000, values: { temperature: 20 + noise() } }));
    await send(device.accessToken, points);
    const quiet = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${device.id}`, { token });
    assert.equal(quiet.body.total, 0, 'no false alarm on a steady noisy series');

    const spike = Array.from({ length: 15 }, (_, i) => ({ ts: start + (1500 + i) * 60_000, values: { temperature: 45 } }));
    await send(device.accessToken, spike);
    const alarms = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${device.id}&type=anomaly`, { token });
      return r.body.total >= 1 ? r.body.items : null;
    }, 'anomaly alarm');
    assert.equal(alarms.length, 1, 'one incident, one alarm');
    const alarm = alarms[0];
    assert.equal(alarm.key, 'temperature');
    assert.equal(alarm.status, 'ACTIVE_UNACK');
    assert.equal(alarm.details.explanation.key, 'temperature');
    assert.equal(alarm.details.explanation.observed, 45);
    assert.ok(alarm.details.explanation.expected[1] < 45);

    const dismissed = await request(vigil.http, 'POST', `/api/v1/alarms/${alarm.id}/dismiss`, { token });
    assert.equal(dismissed.body.status, 'CLEARED_ACK');
    assert.equal(dismissed.body.dismissed, true);
    const again = await request(vigil.http, 'POST', `/api/v1/alarms/${alarm.id}/acknowledge`, { token });
    assert.equal(again.status, 409, 'a dismissed alarm cannot be acknowledged');

    const models = await request(vigil.http, 'GET', `/api/v1/models?deviceId=${device.id}`, { token });
    assert.equal(models.status, 200);
    const model = models.body.items.find((m: { key: string }) => m.key === 'temperature');
    assert.equal(model.version, 1);
    assert.equal(model.points, 1515);
    assert.equal(model.trainedFrom, start);
    assert.deepEqual(model.alarms, { open: 0, acknowledged: 0, dismissed: 1 });
    assert.equal(model.precision, 0);

    const retrained = await request(vigil.http, 'POST', '/api/v1/models/retrain', { token, body: { deviceId: device.id, key: 'temperature' } });
    assert.equal(retrained.status, 200);
    assert.equal(retrained.body.version, 2);
    const foreign = await request(vigil.http, 'POST', '/api/v1/models/retrain', {
      token,
      body: { deviceId: '00000000-0000-0000-0000-000000000000', key: 'temperature' },
    });
    assert.equal(foreign.status, 404);
  });

  test('a multivariate model per device type catches a broken relation between two normal-looking keys', async () => {
    const set = await request(vigil.http, 'PUT', '/api/v1/analytics/detectors/motor', {
      token,
      body: { keys: ['current', 'vibration'], fitPoints: 300 },
    });
    assert.equal(set.status, 200);
    const bad = await request(vigil.http, 'PUT', '/api/v1/analytics/detectors/motor', { token, body: { keys: ['current'] } });
    assert.equal(bad.status, 400, 'a multivariate model needs at least two keys');
    const motor = await createDevice(vigil.http, token, 'motor-1', { type: 'motor' });
    const start = Date.now() - 1000 * 60_000;
    let seed = 11;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const sample = (i: number, broken: boolean) => {
      // Vibration follows the motor current; a loose mount adds vibration the current does not
      // explain, small enough that vibration alone stays within its usual spread.
      const current = 20 + 4 * (rnd() - 0.5);
      const vibration = 0.5 * current + 0.2 * (rnd() - 0.5) + (broken ? 1.2 : 0);
      return { ts: start + i * 60_000, values: { current, vibration } };
    };
    await send(motor.accessToken, [sample(0, false)]); // first contact: the device's type is looked up
    await new Promise((r) => setTimeout(r, 200));
    await send(motor.accessToken, Array.from({ length: 600 }, (_, i) => sample(i + 1, false)));
    const before = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${motor.id}&type=anomaly`, { token });
    assert.equal(before.body.total, 0, 'no alarm while the relation holds');
    await send(motor.accessToken, Array.from({ length: 30 }, (_, i) => sample(601 + i, true)));
    const alarm = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${motor.id}&type=anomaly`, { token });
      return r.body.items.find((a: { key: string }) => a.key === 'current+vibration');
    }, 'multivariate alarm');
    assert.equal(alarm.details.detector, 'multivariate');
    assert.match(alarm.message, /breaks its usual relation/);
    const perKey = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${motor.id}&type=anomaly`, { token });
    assert.ok(!perKey.body.items.some((a: { key: string }) => a.key === 'vibration'), 'the per-key detector alone misses it');
    const models = await request(vigil.http, 'GET', `/api/v1/models?deviceId=${motor.id}`, { token });
    const mv = models.body.items.find((m: { key: string }) => m.key === 'current+vibration');
    assert.equal(mv.kind, 'multivariate');
    assert.equal(mv.points, 630);
    const list = await request(vigil.http, 'GET', '/api/v1/analytics/detectors', { token });
    assert.deepEqual(list.body.items.map((p: { deviceType: string }) => p.deviceType), ['motor']);
  });

  test('a device sending related keys gets a relational model: duty cycles are ordinary, a broken relation alarms, a stuck sensor alarms once', async () => {
    const device = await createDevice(vigil.http, token, 'circulator');
    const start = Date.now() - 3000 * 60_000;
    let seed = 5;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    let bearing = 25;
    let running = true;
    let nextSwitch = 40;
    const sample = (i: number, extraHeat: number) => {
      // The motor runs and stops at irregular intervals; the bearing warms towards a level set by
      // the current and cools after every stop: a slow lag that looks like a level shift alone.
      if (i >= nextSwitch) {
        running = !running;
        nextSwitch = i + (running ? 40 + Math.floor(rnd() * 80) : 10 + Math.floor(rnd() * 20));
      }
      const current = running ? 8 + 0.4 * (rnd() - 0.5) : 0;
      bearing += (25 + 2.2 * current - bearing) * 0.1 + 0.05 * (rnd() - 0.5) + extraHeat;
      return { ts: start + i * 60_000, values: { current: Math.round(current * 100) / 100, bearingTemp: Math.round(bearing * 100) / 100 } };
    };
    await send(device.accessToken, Array.from({ length: 1500 }, (_, i) => sample(i, 0)));
    const models = await request(vigil.http, 'GET', `/api/v1/models?deviceId=${device.id}`, { token });
    const relational = models.body.items.find((m: { key: string }) => m.key === 'relations(bearingTemp,current)');
    assert.ok(relational, `a relational model across the keys sent together (${models.body.items.map((m: { key: string }) => m.key)})`);
    assert.equal(relational.kind, 'relational');
    assert.equal(relational.points, 1500);
    assert.equal(relational.learning, false);

    // The bearing heats on its own (friction) while the current is unchanged.
    await send(device.accessToken, Array.from({ length: 30 }, (_, i) => sample(1500 + i, 0.8)));
    const alarm = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${device.id}&type=anomaly`, { token });
      return r.body.items.find((a: { key: string }) => a.key === 'relations(bearingTemp,current)');
    }, 'relational alarm');
    assert.equal(alarm.details.detector, 'relational');
    assert.equal(alarm.details.explanation.key, 'bearingTemp');
    assert.match(alarm.message, /bearingTemp = .* breaks its usual relation with current/);

    // A frozen bearing sensor: every value in range, but the same one 200 times in a row.
    const frozen = sample(1530, 0).values.bearingTemp;
    await send(device.accessToken, Array.from({ length: 200 }, (_, i) => ({ ts: start + (1531 + i) * 60_000, values: { current: sample(1531 + i, 0).values.current, bearingTemp: frozen } })));
    const stuck = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${device.id}&type=anomaly`, { token });
      const found = r.body.items.filter((a: { details: { flatline?: number } }) => a.details.flatline);
      return found.length > 0 ? found : null;
    }, 'stuck-value alarm');
    assert.equal(stuck.length, 1, 'one stuck sensor, one alarm');
    assert.equal(stuck[0].key, 'bearingTemp');
    assert.match(stuck[0].message, /times in a row/);

    const retrained = await request(vigil.http, 'POST', '/api/v1/models/retrain', { token, body: { deviceId: device.id, key: 'relations(bearingTemp,current)' } });
    assert.equal(retrained.status, 200, JSON.stringify(retrained.body));
    assert.equal(retrained.body.kind, 'relational');
    assert.equal(retrained.body.version, 2);
  });

  test('a degrading pump gets a predicted-failure alarm before it reaches its threshold', async () => {
    const pump = await createDevice(vigil.http, token, 'pump-7', { type: 'pump' });
    const healthy = await createDevice(vigil.http, token, 'pump-8', { type: 'pump' });
    const policy = await request(vigil.http, 'PUT', '/api/v1/maintenance/policies/pump', {
      token,
      body: { key: 'vibration', threshold: 7.1, failWhen: 'above' },
    });
    assert.equal(policy.status, 200);
    assert.equal(policy.body.horizonMs, 24 * 3_600_000);

    // Vibration rising 0.1 mm/s per hour from 2.0 over the last two days: 7.1 is ~3 h away.
    const now = Date.now();
    const hours = 48;
    const rising = Array.from({ length: hours * 6 }, (_, i) => {
      const ts = now - (hours * 6 - i) * 600_000;
      return { ts, values: { vibration: 2.0 + ((ts - (now - hours * 3_600_000)) / 3_600_000) * 0.1 } };
    });
    const flat = rising.map((p, i) => ({ ts: p.ts, values: { vibration: 2.0 + (i % 2) * 0.05 } }));
    await send(pump.accessToken, rising);
    await send(healthy.accessToken, flat);

    const alarm = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?type=predicted_failure&deviceId=${pump.id}`, { token });
      return r.body.items[0];
    }, 'predicted failure alarm', 15_000);
    assert.equal(alarm.severity, 'critical');
    assert.match(alarm.message, /vibration predicted to reach 7\.1/);
    const none = await request(vigil.http, 'GET', `/api/v1/alarms?type=predicted_failure&deviceId=${healthy.id}`, { token });
    assert.equal(none.body.total, 0);

    const health = await request(vigil.http, 'GET', `/api/v1/devices/${pump.id}/health`, { token });
    assert.equal(health.status, 200);
    assert.equal(health.body.estimate.status, 'approaching');
    assert.ok(health.body.estimate.timeToThresholdMs > 1 * 3_600_000 && health.body.estimate.timeToThresholdMs < 6 * 3_600_000);
    assert.ok(health.body.health < 0.1);
    assert.equal(health.body.predictedFailure, true);
    const healthyHealth = await request(vigil.http, 'GET', `/api/v1/devices/${healthy.id}/health`, { token });
    assert.equal(healthyHealth.body.predictedFailure, false);
  });
});

describe('learned remaining useful life per device type', () => {
  let vigil: Running;
  let token: string;
  before(async () => {
    vigil = await startVigil({
      VIGIL_MAINTENANCE_INTERVAL_MS: '200',
      VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000',
      VIGIL_ANOMALY_DETECTION: 'false',
    });
    token = await login(vigil.http);
  });
  after(async () => vigil.stop());

  const HOUR = 3_600_000;
  let seed = 3;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.6;
  /** An engine that fails after `life` hours; samples hourly from its start up to `upTo` hours. */
  function engineHistory(life: number, upTo: number, endTs: number) {
    return Array.from({ length: upTo }, (_, i) => {
      const wear = Math.exp(4 * ((i + 1) / life - 1));
      return {
        ts: endTs - (upTo - 1 - i) * HOUR,
        values: { temp: 100 + 6 * wear + noise(), pressure: 50 - 4 * wear + noise(), speed: 20 + noise() },
      };
    });
  }
  async function send(deviceToken: string, points: { ts: number; values: Record<string, number> }[]) {
    for (let i = 0; i < points.length; i += 2000) {
      const res = await request(vigil.http, 'POST', `/api/v1/${deviceToken}/telemetry`, { body: points.slice(i, i + 2000) });
      assert.equal(res.status, 200);
    }
  }

  test('a model trained on engines that ran to failure estimates RUL and warns before the end', async () => {
    const failedAt = Date.now() - 20 * 24 * HOUR;
    const failures = [];
    for (let u = 0; u < 14; u++) {
      const life = 150 + ((u * 37) % 110);
      const d = await createDevice(vigil.http, token, `engine-${u}`, { type: 'engine' });
      await send(d.accessToken, engineHistory(life, life, failedAt));
      failures.push({ deviceId: d.id, failedAt: String(failedAt) });
    }
    const young = await createDevice(vigil.http, token, 'engine-young', { type: 'engine' });
    const old = await createDevice(vigil.http, token, 'engine-old', { type: 'engine' });
    const now = Date.now() - 60_000;
    await send(young.accessToken, engineHistory(220, 140, now)); // 80 h left
    await send(old.accessToken, engineHistory(220, 208, now)); // 12 h left
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${old.id}/telemetry?keys=temp&interval=1d&agg=count&from=0`, { token });
      return (r.body.data.temp ?? []).reduce((n: number, w: { count: number }) => n + w.count, 0) === 208;
    }, 'histories stored');

    const tooFew = await request(vigil.http, 'POST', '/api/v1/maintenance/rul-models/engine/train', {
      token,
      body: { keys: ['temp', 'pressure', 'speed'], failures: failures.slice(0, 2) },
    });
    assert.equal(tooFew.status, 400, 'three failures at least');
    const trained = await request(vigil.http, 'POST', '/api/v1/maintenance/rul-models/engine/train', {
      token,
      body: { keys: ['temp', 'pressure', 'speed'], failures },
    });
    assert.equal(trained.status, 200, JSON.stringify(trained.body));
    assert.equal(trained.body.units, 14);
    assert.equal(trained.body.stepMs, HOUR);
    assert.equal(trained.body.version, 1);

    const youngHealth = await request(vigil.http, 'GET', `/api/v1/devices/${young.id}/health`, { token });
    assert.equal(youngHealth.status, 200, JSON.stringify(youngHealth.body));
    assert.equal(youngHealth.body.method, 'rul');
    assert.ok(Math.abs(youngHealth.body.estimate.rulSteps - 80) <= 25, `young engine RUL ${youngHealth.body.estimate.rulSteps}`);
    const oldHealth = await request(vigil.http, 'GET', `/api/v1/devices/${old.id}/health`, { token });
    assert.ok(Math.abs(oldHealth.body.estimate.rulSteps - 12) <= 12, `old engine RUL ${oldHealth.body.estimate.rulSteps}`);
    assert.ok(oldHealth.body.health < youngHealth.body.health);

    const alarm = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/alarms?type=predicted_failure&deviceId=${old.id}`, { token });
      return r.body.items[0];
    }, 'predicted failure from the RUL model', 15_000);
    assert.match(alarm.message, /remaining useful life/);
    const none = await request(vigil.http, 'GET', `/api/v1/alarms?type=predicted_failure&deviceId=${young.id}`, { token });
    assert.equal(none.body.total, 0);
    const models = await request(vigil.http, 'GET', '/api/v1/maintenance/rul-models', { token });
    assert.deepEqual(models.body.items.map((m: { deviceType: string }) => m.deviceType), ['engine']);
  });
});

describe('detector state survives a restart', () => {
  test('models are saved at shutdown and restored with their version and history', async () => {
    const first = await startVigil();
    const token = await login(first.http);
    const device = await createDevice(first.http, token, 'persisted');
    const start = Date.now() - 500 * 60_000;
    const points = Array.from({ length: 450 }, (_, i) => ({ ts: start + i * 60_000, values: { level: 50 + Math.sin(i / 10) } }));
    assert.equal((await request(first.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: points })).status, 200);
    await first.stop({ keepData: true });

    const second = await startVigil({}, first.dataDir);
    try {
      const token2 = await login(second.http);
      const models = await request(second.http, 'GET', `/api/v1/models?deviceId=${device.id}`, { token: token2 });
      assert.deepEqual(
        models.body.items.map((m: { key: string; points: number; version: number; trainedFrom: number }) => [m.key, m.points, m.version, m.trainedFrom]),
        [['level', 450, 1, start]],
      );
    } finally {
      await second.stop();
    }
  });
});
