// Rules end to end through the real app: CRUD and versions, validation, a threshold with a
// duration firing on the (test-moved) clock, clearing, backtest, and a restart mid-duration.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const MIN = 60_000;

describe('rules API and engine', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  before(async () => {
    vigil = await startVigil({}, undefined, { clock });
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'boiler-1', { type: 'boiler' });
  });
  after(async () => vigil.stop());

  const send = (values: Record<string, number>, ts = clock()) =>
    request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts, values } });
  const ruleAlarms = async (status?: string) => {
    const r = await request(vigil.http, 'GET', `/api/v1/alarms?type=rule${status ? `&status=${status}` : ''}`, { token });
    return r.body.items as { id: string; status: string; severity: string; deviceId: string; details: { ruleId: string } }[];
  };

  test('invalid rules get 422 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', condition: { type: 'threshold', key: 't', operator: '=>', value: 1 } }, 'condition.operator'],
      [{ type: 'threshold', condition: { key: 't', operator: '>', value: 1, duration_seconds: -1 }, action: { type: 'alert' } }, 'condition.duration_seconds'],
      [{ type: 'schedule', condition: { cron: '61 * * * *', key: 't', operator: '>', value: 1 }, action: { type: 'alert' } }, 'condition.cron'],
      [{ name: 'x', target: { deviceId: 'nope' }, condition: { type: 'threshold', key: 't', operator: '>', value: 1 } }, 'target.deviceId'],
    ];
    for (const [body, field] of cases) {
      const r = await request(vigil.http, 'POST', '/api/v1/rules', { token, body });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.ok(r.body.details.problems.some((p: { field: string }) => p.field === field), `${field} in ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, new RegExp(field.replace('.', '\\.')));
    }
  });

  test('a threshold "> 80 for 5 min" fires on time, clears, keeps versions, and the backtest reproduces it', async () => {
    const created = await request(vigil.http, 'POST', '/api/v1/rules', {
      token,
      body: {
        type: 'threshold',
        device_id: device.id,
        condition: { key: 'temperature', operator: '>', value: 80, duration_seconds: 300 },
        action: { type: 'alert', severity: 'major', message: 'Boiler above 80 for 5 min' },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const rule = created.body;
    assert.equal(rule.version, 1);
    const startTs = clock();
    assert.equal((await send({ temperature: 85 }, startTs)).status, 200);
    await send({ temperature: 86 }, startTs + 1000);
    // Give the engine time to see the points; nothing fires before the 5 minutes are up.
    await waitFor(async () => vigil.app.rules.pointsEvaluated >= 2, 'points evaluated');
    assert.deepEqual(await ruleAlarms(), []);
    offsetMs += 5 * MIN;
    const [alarm] = await waitFor(async () => {
      const a = await ruleAlarms('open');
      return a.length ? a : null;
    }, 'rule alarm');
    assert.equal(alarm!.severity, 'major');
    assert.equal(alarm!.deviceId, device.id);
    assert.equal(alarm!.details.ruleId, rule.id);
    // Still over the limit: de-duplicated, no second alarm.
    await send({ temperature: 90 });
    await waitFor(async () => vigil.app.rules.pointsEvaluated >= 3, 'third point');
    assert.equal((await ruleAlarms()).length, 1);
    await send({ temperature: 70 });
    await waitFor(async () => (await ruleAlarms('cleared')).length === 1, 'alarm cleared');

    const edited = await request(vigil.http, 'PUT', `/api/v1/rules/${rule.id}`, {
      token,
      body: { name: 'boiler hot', target: { deviceId: device.id }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 95, durationMs: '5m' }, severity: 'critical' },
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.version, 2);
    const versions = await request(vigil.http, 'GET', `/api/v1/rules/${rule.id}/versions`, { token });
    assert.deepEqual(versions.body.items.map((r: { version: number }) => r.version), [2, 1]);
    assert.equal(versions.body.items[1].condition.value, 80);
    const disabled = await request(vigil.http, 'POST', `/api/v1/rules/${rule.id}/disable`, { token });
    assert.equal(disabled.body.enabled, false);
    assert.equal(disabled.body.version, 3);

    // Backtest version 1 (unsaved form) over the stored points: the firing 5 min after the first point.
    const stored = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=${startTs - 1}&to=${clock() + 1}`, { token });
      return r.body.data.temperature?.length === 4 ? r.body : null;
    }, 'points stored');
    assert.ok(stored);
    const bt = await request(vigil.http, 'POST', '/api/v1/rules/test', {
      token,
      body: { rule: versions.body.items[1], from: startTs - 1000, to: clock() + 1000 },
    });
    assert.equal(bt.status, 422, 'a saved rule object has server fields; the unsaved form is the spec only');
    const spec = { name: 'v1', target: { deviceId: device.id }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, durationMs: '5m' } };
    const replay = await request(vigil.http, 'POST', '/api/v1/rules/test', { token, body: { rule: spec, from: startTs - 1000, to: clock() + 1000 } });
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.deepEqual(replay.body.events.map((e: { kind: string }) => e.kind), ['fire', 'clear']);
    assert.equal(replay.body.events[0].at, startTs + 5 * MIN);
    assert.equal(replay.body.points, 4);
    const saved = await request(vigil.http, 'POST', '/api/v1/rules/test', { token, body: { ruleId: rule.id, from: startTs - 1000, to: clock() + 1000 } });
    assert.deepEqual(saved.body.events, [], 'version 3 (> 95) never fired on this history');
    assert.equal((await ruleAlarms()).length, 1, 'a backtest raises nothing');

    const del = await request(vigil.http, 'DELETE', `/api/v1/rules/${rule.id}`, { token });
    assert.equal(del.status, 204);
    assert.equal((await request(vigil.http, 'GET', `/api/v1/rules/${rule.id}`, { token })).status, 404);
  });
});

test('rules - a restart in the middle of a duration still fires on time', async () => {
  const dataDir = await tempDir();
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  let vigil = await startVigil({}, dataDir, { clock });
  const token = await login(vigil.http);
  const device = await createDevice(vigil.http, token, 'pump');
  const created = await request(vigil.http, 'POST', '/api/v1/rules', {
    token,
    body: { name: 'pump hot', target: { deviceId: device.id }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, durationMs: '10m' } },
  });
  assert.equal(created.status, 201);
  const ts = clock();
  await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts, values: { temperature: 99 } } });
  await waitFor(async () => vigil.app.rules.pointsEvaluated >= 1, 'point evaluated');
  offsetMs += 4 * MIN;
  await vigil.stop({ keepData: true });
  vigil = await startVigil({}, dataDir, { clock });
  const token2 = await login(vigil.http);
  const alarms = async () => (await request(vigil.http, 'GET', '/api/v1/alarms?type=rule', { token: token2 })).body.items as unknown[];
  assert.deepEqual(await alarms(), [], 'not yet: 4 of 10 minutes');
  offsetMs += 6 * MIN;
  const fired = await waitFor(async () => {
    const a = (await alarms()) as { details: { firedAt: number } }[];
    return a.length ? a : null;
  }, 'alarm after restart');
  assert.equal(fired[0]!.details.firedAt, ts + 10 * MIN);
  await vigil.stop();
});

