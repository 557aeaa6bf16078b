// The alarm lifecycle beyond one rule and one device, end to end through the API, Socket.IO and
// a webhook receiver started here: the four statuses (active/cleared × unack/ack) in the API
// filter and the live alert_update; rules targeting devices by label; a site-wide failure as one
// incident with one page; anomaly and predicted-failure rules on the live models; escalation that
// raises the severity and survives a restart (moved clock).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const MIN = 60_000;

describe('alarm lifecycle: statuses, label targets, incidents, model rules, escalation across restarts', () => {
  let vigil: Running;
  let token: string;
  let dataDir: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: { path: string; body: any }[] = [];
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const env = { VIGIL_MAINTENANCE_INTERVAL_MS: '200', VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' };

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url!, body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    dataDir = await tempDir();
    vigil = await startVigil(env, dataDir, { clock });
    token = await login(vigil.http);
  });

  after(async () => {
    await vigil?.stop();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  const api = async (method: string, path: string, body?: unknown) => request(vigil.http, method, path, { token, body });
  const created = async (path: string, body: unknown) => {
    const r = await api('POST', path, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const send = async (device: { accessToken: string }, body: unknown) => {
    const r = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  const alarmsOf = async (query: string) => (await api('GET', `/api/v1/alarms?${query}`)).body.items as any[];
  /** Everything raised so far has its deliveries recorded. */
  const settled = async () => {
    await waitFor(async () => vigil.app.rules.evaluatedSeq > 0, 'engine running');
    await new Promise((r) => setTimeout(r, 300));
    await vigil.app.notifications.notifier.idle();
  };

  test('status is active/cleared × unack/ack in the API filter and the live alert_update', async () => {
    const socket: Socket = io(vigil.http, { auth: { token }, transports: ['websocket'] });
    const live: { event: string; data: any }[] = [];
    for (const event of ['alert', 'alert_update']) socket.on(event, (data) => live.push({ event, data }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    assert.deepEqual(await new Promise((r) => socket.emit('subscribe', { type: 'alerts' }, r)), { ok: true });
    try {
      const tank = await createDevice(vigil.http, token, 'tank-1');
      const rule = await created('/api/v1/rules', {
        name: 'tank overfull',
        target: { deviceId: tank.id },
        condition: { type: 'threshold', key: 'level', operator: '>', value: 10 },
        severity: 'major',
      });
      await send(tank, { level: 15 });
      const [first] = await waitFor(async () => {
        const a = await alarmsOf(`ruleId=${rule.id}&status=ACTIVE_UNACK`);
        return a.length ? a : null;
      }, 'active unacknowledged alarm');
      assert.equal(first.dismissed, false);
      await waitFor(async () => live.find((e) => e.event === 'alert' && e.data.id === first.id), 'alert');

      const acked = await api('POST', `/api/v1/alarms/${first.id}/acknowledge`);
      assert.equal(acked.body.status, 'ACTIVE_ACK');
      assert.ok(acked.body.acknowledgedAt > 0);
      await waitFor(async () => live.find((e) => e.event === 'alert_update' && e.data.id === first.id && e.data.status === 'ACTIVE_ACK' && e.data.event === 'acknowledged'), 'alert_update ACTIVE_ACK');
      assert.equal((await api('POST', `/api/v1/alarms/${first.id}/acknowledge`)).body.status, 'ACTIVE_ACK', 'acknowledging twice changes nothing');

      await send(tank, { level: 5 }); // the rule clears its own alarm
      await waitFor(async () => live.find((e) => e.event === 'alert_update' && e.data.id === first.id && e.data.status === 'CLEARED_ACK'), 'alert_update CLEARED_ACK');

      // Fires and clears again before anyone looked: cleared but still unacknowledged.
      await send(tank, { level: 20 });
      await send(tank, { level: 1 });
      const [second] = await waitFor(async () => {
        const a = await alarmsOf(`ruleId=${rule.id}&status=CLEARED_UNACK`);
        return a.length ? a : null;
      }, 'cleared unacknowledged alarm');
      assert.notEqual(second.id, first.id);
      assert.deepEqual((await alarmsOf(`ruleId=${rule.id}&status=unack`)).map((a) => a.id), [second.id]);
      assert.deepEqual((await alarmsOf(`ruleId=${rule.id}&status=cleared`)).map((a) => a.id), [second.id, first.id]);
      assert.deepEqual(await alarmsOf(`ruleId=${rule.id}&status=active`), []);
      assert.equal((await api('POST', `/api/v1/alarms/${second.id}/acknowledge`)).body.status, 'CLEARED_ACK');
      assert.equal((await api('GET', '/api/v1/alarms?status=ACTIVE_SOMETIMES')).status, 400, 'an unknown status is refused');
      const history = (await api('GET', `/api/v1/alarms/${second.id}/history`)).body.items.map((e: { kind: string; by: string }) => `${e.kind} by ${e.by.split(':')[0]}`);
      assert.deepEqual(history, ['raised by rule', 'cleared by rule', 'acknowledged by user']);
    } finally {
      socket.close();
    }
  });

  test('a rule targets devices by label; a site-wide failure is one incident and one page', async () => {
    const north = await Promise.all([1, 2, 3].map((n) => createDevice(vigil.http, token, `north-${n}`, { labels: { site: 'north', feed: `f${n}` } })));
    const south = await createDevice(vigil.http, token, 'south-1', { labels: { site: 'south' } });
    const listed = await api('GET', '/api/v1/devices?label=site:north');
    assert.deepEqual(listed.body.items.map((d: { name: string }) => d.name).sort(), ['north-1', 'north-2', 'north-3']);
    assert.equal((await api('GET', '/api/v1/devices?label=site:north,feed:f2')).body.total, 1);
    assert.equal((await api('GET', '/api/v1/devices?label=site')).status, 400, 'a label filter is key:value');

    const hook = await created('/api/v1/notifications/channels', { name: 'site pager', type: 'webhook', url: `${receiverUrl}/site` });
    const rule = await created('/api/v1/rules', {
      name: 'site power lost',
      target: { labels: { site: 'north' } },
      condition: { type: 'threshold', key: 'power', operator: '<', value: 1 },
      severity: 'critical',
      incident: { label: 'site', windowMs: '10m' },
    });
    assert.deepEqual(rule.target.labels, { site: 'north' });
    await created('/api/v1/notifications/policies', { name: 'site outages', ruleIds: [rule.id], channelIds: [hook.id] });

    for (const d of [...north, south]) await send(d, { power: 0 });
    const members = await waitFor(async () => {
      const a = await alarmsOf(`ruleId=${rule.id}`);
      return a.length === 3 ? a : null;
    }, 'three alarms, one per north device');
    assert.ok(!members.some((a) => a.deviceId === south.id), 'the south device is not a target');
    const incidents = (await api('GET', `/api/v1/incidents?ruleId=${rule.id}`)).body;
    assert.equal(incidents.total, 1);
    const incident = incidents.items[0];
    assert.deepEqual(incident.label, { key: 'site', value: 'north' });
    assert.equal(incident.alarmCount, 3);
    assert.equal(incident.status, 'ACTIVE_UNACK');
    assert.equal(incident.severity, 'critical');
    assert.deepEqual(incident.alarms.map((a: { id: string }) => a.id).sort(), members.map((a) => a.id).sort());
    assert.ok(members.every((a) => a.details.incidentId === incident.id));

    await settled();
    const raised = await waitFor(async () => received.filter((r) => r.path === '/site' && r.body.event === 'raised'), 'the page');
    assert.equal(raised.length, 1, 'one page for the incident, not one per device');
    assert.equal(raised[0]!.body.alarm.id, incident.id);

    const acked = await api('POST', `/api/v1/incidents/${incident.id}/acknowledge`);
    assert.equal(acked.status, 200, JSON.stringify(acked.body));
    assert.equal(acked.body.status, 'ACTIVE_ACK');
    assert.ok(acked.body.alarms.every((a: { status: string }) => a.status === 'ACTIVE_ACK'));

    await send(north[0]!, { power: 5 });
    await send(north[1]!, { power: 5 });
    await waitFor(async () => (await alarmsOf(`incidentId=${incident.id}&status=cleared`)).length === 2, 'two members cleared');
    await settled();
    assert.equal(received.filter((r) => r.path === '/site' && r.body.event === 'cleared').length, 0, 'not over while one device is still down');
    await send(north[2]!, { power: 5 });
    await waitFor(async () => received.find((r) => r.path === '/site' && r.body.event === 'cleared'), 'incident cleared page');
    assert.equal((await api('GET', `/api/v1/incidents/${incident.id}`)).body.status, 'CLEARED_ACK');
    assert.equal((await api('GET', `/api/v1/incidents/${members.find((a) => a.id !== incident.id)!.id}`)).status, 404, 'a member is not an incident');
  });

  test('a silence by label (a maintenance window for a site) holds the notifications of its devices', async () => {
    const inside = await createDevice(vigil.http, token, 'west-1', { labels: { site: 'west' } });
    const outside = await createDevice(vigil.http, token, 'east-1', { labels: { site: 'east' } });
    const hook = await created('/api/v1/notifications/channels', { name: 'maintenance pager', type: 'webhook', url: `${receiverUrl}/maint` });
    const rule = await created('/api/v1/rules', {
      name: 'flow stopped',
      condition: { type: 'threshold', key: 'flow', operator: '<', value: 1 },
      target: { deviceType: 'default' },
    });
    await created('/api/v1/notifications/policies', { name: 'flow', ruleIds: [rule.id], channelIds: [hook.id] });
    const silence = await created('/api/v1/silences', { labels: { site: 'west' }, untilMs: clock() + 3_600_000, reason: 'west site maintenance' });
    assert.deepEqual(silence.labels, { site: 'west' });
    assert.equal((await api('POST', '/api/v1/silences', { untilMs: clock() + 1000 })).status, 422, 'a silence names what it holds');
    await send(inside, { flow: 0 });
    await send(outside, { flow: 0 });
    const both = await waitFor(async () => {
      const a = await alarmsOf(`ruleId=${rule.id}`);
      return a.length === 2 ? a : null;
    }, 'both alarms recorded');
    await settled();
    const deliveries = async (alarmId: string) => (await api('GET', `/api/v1/notifications/deliveries?alarmId=${alarmId}`)).body.items as { status: string }[];
    const byDevice = new Map(both.map((a) => [a.deviceId, a.id]));
    assert.deepEqual((await deliveries(byDevice.get(inside.id)!)).map((d) => d.status), ['held']);
    await waitFor(async () => (await deliveries(byDevice.get(outside.id)!))[0]?.status === 'delivered', 'the east site is paged');
  });

  test('anomaly and predicted-failure rules fire on the live models and share the alarm lifecycle', async () => {
    const bad = [
      [{ type: 'anomaly', sensitivity: 2 }, 'condition.sensitivity'],
      [{ type: 'anomaly', keys: [] }, 'condition.keys'],
      [{ type: 'predicted_failure' }, 'condition.withinMs'],
      [{ type: 'predicted_failure', withinMs: '-1h' }, 'condition.withinMs'],
    ] as const;
    for (const [condition, field] of bad) {
      const r = await api('POST', '/api/v1/rules', { name: 'bad', condition });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.details.problems[0].field, field);
    }
    const noBacktest = await api('POST', '/api/v1/rules/test', { rule: { name: 'p', condition: { type: 'predicted_failure', withinMs: '1h' } }, from: 0, to: 1000 });
    assert.equal(noBacktest.status, 422, 'the estimates a predicted-failure rule judges are not stored');

    const steady = await createDevice(vigil.http, token, 'line-a-oven', { labels: { line: 'a' } });
    const anomalyRule = await created('/api/v1/rules', {
      name: 'line a anomalies',
      target: { labels: { line: 'a' } },
      condition: { type: 'anomaly', sensitivity: 'high', keys: ['temperature'] },
      severity: 'minor',
    });
    assert.equal(anomalyRule.condition.sensitivity, 0.5);
    const start = clock() - 2000 * MIN;
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
    const points = Array.from({ length: 1500 }, (_, i) => ({ ts: start + i * MIN, values: { temperature: 20 + noise() } }));
    for (let i = 0; i < points.length; i += 500) await send(steady, points.slice(i, i + 500));
    await send(steady, Array.from({ length: 15 }, (_, i) => ({ ts: start + (1500 + i) * MIN, values: { temperature: 45 } })));
    const [fired] = await waitFor(async () => {
      const a = await alarmsOf(`ruleId=${anomalyRule.id}`);
      return a.length ? a : null;
    }, 'anomaly rule alarm', 20_000);
    assert.equal(fired.type, 'rule');
    assert.equal(fired.deviceId, steady.id);
    assert.equal(fired.details.condition.type, 'anomaly');
    assert.ok(fired.details.verdict.score >= 0.5);
    // The backtest replays the models' stored verdicts (their anomaly alarms) through the rule.
    const replay = await api('POST', '/api/v1/rules/test', { ruleId: anomalyRule.id, from: start, to: start + 1600 * MIN, deviceIds: [steady.id] });
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    const firstFire = replay.body.events.find((e: { kind: string }) => e.kind === 'fire');
    assert.ok(firstFire && firstFire.at >= start + 1500 * MIN && firstFire.at < start + 1515 * MIN, JSON.stringify(replay.body));
    // "Dismiss as false alarm" on the rule's alarm teaches the model as a model alarm would.
    const dismissed = await api('POST', `/api/v1/alarms/${fired.id}/dismiss`);
    assert.deepEqual([dismissed.body.status, dismissed.body.dismissed], ['CLEARED_ACK', true]);
    const model = await waitFor(async () => {
      const m = (await api('GET', `/api/v1/models?deviceId=${steady.id}`)).body.items.find((x: { key: string }) => x.key === 'temperature');
      return m?.sensitivity?.dismissals >= 1 ? m : null;
    }, 'the dismissal reaches the model');
    assert.ok(model.sensitivity.dismissals >= 1);

    const pump = await createDevice(vigil.http, token, 'pump-rising', { type: 'pump' });
    const healthy = await createDevice(vigil.http, token, 'pump-flat', { type: 'pump' });
    assert.equal((await api('PUT', '/api/v1/maintenance/policies/pump', { key: 'vibration', threshold: 7.1, failWhen: 'above' })).status, 200);
    const failureRule = await created('/api/v1/rules', {
      name: 'pump fails within 12 h',
      target: { deviceType: 'pump' },
      condition: { type: 'predicted_failure', withinMs: '12h' },
      severity: 'major',
    });
    const now = clock();
    const rising = Array.from({ length: 48 * 6 }, (_, i) => {
      const ts = now - (48 * 6 - i) * 600_000;
      return { ts, values: { vibration: 2.0 + ((ts - (now - 48 * 3_600_000)) / 3_600_000) * 0.1 } };
    });
    await send(pump, rising);
    await send(healthy, rising.map((p, i) => ({ ts: p.ts, values: { vibration: 2.0 + (i % 2) * 0.05 } })));
    const [predicted] = await waitFor(async () => {
      const a = await alarmsOf(`ruleId=${failureRule.id}`);
      return a.length ? a : null;
    }, 'predicted-failure rule alarm', 15_000);
    assert.equal(predicted.deviceId, pump.id);
    assert.ok(predicted.details.value < 12 * 3_600_000, 'the estimate that fired it');
    await settled();
    assert.deepEqual((await alarmsOf(`ruleId=${failureRule.id}`)).map((a) => a.deviceId), [pump.id], 'the healthy pump is fine');
  });

  test('escalation raises the severity and a pending one survives a restart', async () => {
    const boiler = await createDevice(vigil.http, token, 'boiler-esc');
    const hook = await created('/api/v1/notifications/channels', { name: 'first line', type: 'webhook', url: `${receiverUrl}/first` });
    const manager = await created('/api/v1/notifications/channels', { name: 'manager', type: 'webhook', url: `${receiverUrl}/manager` });
    const rule = await created('/api/v1/rules', {
      name: 'boiler pressure',
      target: { deviceId: boiler.id },
      condition: { type: 'threshold', key: 'pressure', operator: '>', value: 3 },
      severity: 'minor',
    });
    const policy = await created('/api/v1/notifications/policies', {
      name: 'escalate boiler',
      ruleIds: [rule.id],
      channelIds: [hook.id],
      escalateAfterMs: 10 * MIN,
      escalateToChannelIds: [manager.id],
      raiseSeverity: 'critical',
    });
    assert.equal(policy.raiseSeverity, 'critical');
    assert.equal((await api('POST', '/api/v1/notifications/policies', { name: 'x', channelIds: [hook.id], raiseSeverity: 'loud' })).status, 422);
    await send(boiler, { pressure: 4 });
    const [alarm] = await waitFor(async () => {
      const a = await alarmsOf(`ruleId=${rule.id}`);
      return a.length ? a : null;
    }, 'boiler alarm');
    await settled();

    // Restart 4 minutes in: the escalation is still owed, due at minute 10 after the raise.
    offsetMs += 4 * MIN;
    await vigil.stop({ keepData: true });
    vigil = await startVigil(env, dataDir, { clock });
    token = await login(vigil.http);
    assert.equal(vigil.app.notifications.notifier.pendingEscalations(), 1);
    vigil.app.notifications.notifier.tick(clock());
    await settled();
    assert.equal(received.filter((r) => r.path === '/manager').length, 0, 'not yet');

    offsetMs += 6 * MIN;
    const escalated = await waitFor(async () => received.find((r) => r.path === '/manager'), 'escalation after the restart');
    assert.equal(escalated.body.event, 'escalated');
    assert.equal(escalated.body.alarm.severity, 'critical');
    const after = (await api('GET', `/api/v1/alarms/${alarm.id}`)).body;
    assert.equal(after.severity, 'critical');
    assert.equal(after.status, 'ACTIVE_UNACK');
    const history = (await api('GET', `/api/v1/alarms/${alarm.id}/history`)).body.items;
    const entry = history.find((e: { kind: string }) => e.kind === 'escalated');
    assert.equal(entry.by, `policy:${policy.id}`);
    assert.equal(entry.text, 'severity minor → critical');

    // Once done it is not owed again after another restart.
    await vigil.stop({ keepData: true });
    vigil = await startVigil(env, dataDir, { clock });
    token = await login(vigil.http);
    assert.equal(vigil.app.notifications.notifier.pendingEscalations(), 0);
    offsetMs += 60 * MIN;
    vigil.app.notifications.notifier.tick(clock());
    await settled();
    assert.equal(received.filter((r) => r.path === '/manager').length, 1);
  });
});
