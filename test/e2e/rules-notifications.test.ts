// The whole path with real clients: a device publishes over MQTT and HTTP, a threshold-with-
// duration rule fires, the alarm shows in the API and on Socket.IO, a webhook receiver gets a
// correctly signed payload, an e-mail reaches an SMTP sink, escalation fires on the (moved)
// clock, acknowledge and clear reach the live stream, a silence holds notifications, and a
// failing and a hanging receiver are retried and dead-lettered without holding anyone up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { SMTPServer } from 'smtp-server';
import { startMosquitto } from '../helpers/mosquitto.js';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

const MIN = 60_000;
const WEBHOOK_SECRET = 'whsec-test-9f8e7d';
const SMTP_PASSWORD = 'smtp-pass-123';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('rules, alarms and notifications end to end', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let smtp: SMTPServer;
  let smtpPort: number;
  const mails: { raw: string; user: string | undefined }[] = [];
  const smtpLogins: { user: string; pass: string }[] = [];
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  let socket: Socket;
  const live: { event: string; data: any }[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url!, headers: req.headers, body });
        if (req.url === '/fail') res.writeHead(500).end('boom');
        else if (req.url === '/hang') return; // never answers
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    smtp = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, cb) {
        smtpLogins.push({ user: auth.username!, pass: auth.password! });
        cb(null, { user: auth.username });
      },
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (c) => (raw += c));
        stream.on('end', () => {
          mails.push({ raw, user: session.user as string | undefined });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    vigil = await startVigil(
      { VIGIL_NOTIFICATION_TIMEOUT_MS: '500', VIGIL_NOTIFICATION_MAX_ATTEMPTS: '3', VIGIL_NOTIFICATION_BACKOFF_MS: '100' },
      undefined,
      { clock },
    );
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'boiler-7', { type: 'boiler' });
    socket = io(vigil.http, { auth: { token }, transports: ['websocket'] });
    for (const event of ['alert', 'alert_update', 'device_status']) socket.on(event, (data) => live.push({ event, data }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const subscribe = (body: unknown) => new Promise<any>((r) => socket.emit('subscribe', body, r));
    assert.deepEqual(await subscribe({ type: 'alerts', severity: ['warning', 'major'] }), { ok: true });
    assert.deepEqual(await subscribe({ type: 'device_status' }), { ok: true });
    assert.match((await subscribe({ type: 'alerts', severity: ['loud'] })).error, /severity must be/);
  });

  after(async () => {
    socket?.close();
    await vigil?.stop();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  const channel = async (body: unknown) => {
    const r = await request(vigil.http, 'POST', '/api/v1/notifications/channels', { token, body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { id: string; hasSecret: boolean };
  };
  const deliveries = async (alarmId: string) =>
    (await request(vigil.http, 'GET', `/api/v1/notifications/deliveries?alarmId=${alarmId}`, { token })).body.items as {
      channelId: string | null;
      status: string;
      attempts: number;
      event: string;
      lastError: string | null;
      responseStatus: number | null;
    }[];

  test('a rule fires from MQTT and HTTP points, and every channel hears about it', async () => {
    const hook = await channel({ name: 'ops hook', type: 'webhook', url: `${receiverUrl}/ok`, secret: WEBHOOK_SECRET });
    assert.equal(hook.hasSecret, true);
    const mail = await channel({
      name: 'ops mail',
      type: 'email',
      to: ['ops@example.test'],
      smtp: { host: '127.0.0.1', port: smtpPort, tls: 'none', user: 'vigil', from: 'vigil@example.test' },
      secret: SMTP_PASSWORD,
    });
    const failing = await channel({ name: 'broken', type: 'webhook', url: `${receiverUrl}/fail` });
    const hanging = await channel({ name: 'hangs', type: 'webhook', url: `${receiverUrl}/hang` });
    const escalate = await channel({ name: 'manager', type: 'slack', url: `${receiverUrl}/escalate` });
    const listed = await request(vigil.http, 'GET', '/api/v1/notifications/channels', { token });
    assert.equal(listed.body.items.length, 5);
    assert.ok(!JSON.stringify(listed.body).includes(WEBHOOK_SECRET) && !JSON.stringify(listed.body).includes(SMTP_PASSWORD), 'secrets never leave');
    const bad = await request(vigil.http, 'POST', '/api/v1/notifications/channels', { token, body: { name: 'x', type: 'webhook' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.details.problems[0].field, 'url');

    const policy = await request(vigil.http, 'POST', '/api/v1/notifications/policies', {
      token,
      body: { name: 'boilers', severities: ['major', 'critical'], channelIds: [hook.id, mail.id, failing.id, hanging.id], escalateAfterMs: 10 * MIN, escalateToChannelIds: [escalate.id] },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));

    const rule = await request(vigil.http, 'POST', '/api/v1/rules', {
      token,
      body: {
        name: 'boiler over 80 for 5 min',
        target: { deviceType: 'boiler' },
        condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, durationMs: '5m', clear: { operator: '<', value: 75 } },
        severity: 'major',
        message: 'Boiler above 80 °C for 5 minutes',
      },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0 });
    const startTs = clock();
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ ts: startTs, values: { temperature: 85 } }), { qos: 1 });
    await client.endAsync();
    const http = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts: startTs + 1000, values: { temperature: 87 } } });
    assert.equal(http.status, 200);
    await waitFor(async () => vigil.app.rules.pointsEvaluated >= 2, 'both points evaluated');
    await waitFor(async () => live.some((e) => e.event === 'device_status' && e.data.device_id === device.id && e.data.status === 'online'), 'device_status online');
    assert.equal(live.filter((e) => e.event === 'alert').length, 0, 'nothing before the 5 minutes');

    offsetMs += 5 * MIN;
    const alert = await waitFor(async () => live.find((e) => e.event === 'alert'), 'alert on Socket.IO');
    assert.equal(alert.data.device_id, device.id);
    assert.equal(alert.data.severity, 'major');
    assert.equal(alert.data.message, 'Boiler above 80 °C for 5 minutes');
    const alarms = await request(vigil.http, 'GET', '/api/v1/alarms?type=rule&status=open', { token });
    assert.equal(alarms.body.items.length, 1);
    const alarm = alarms.body.items[0];
    assert.equal(alarm.id, alert.data.id);
    assert.equal(alarm.details.firedAt, startTs + 5 * MIN);

    // The webhook: a JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>".
    const hit = await waitFor(async () => received.find((r) => r.path === '/ok'), 'webhook received');
    const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${hit.headers['x-vigil-timestamp']}.${hit.body}`).digest('hex');
    assert.equal(hit.headers['x-vigil-signature'], `sha256=${expected}`);
    const payload = JSON.parse(hit.body);
    assert.equal(payload.event, 'raised');
    assert.equal(payload.alarm.id, alarm.id);
    assert.equal(payload.alarm.severity, 'major');

    const email = await waitFor(async () => mails[0], 'e-mail at the SMTP sink');
    assert.match(email.raw, /Subject: =\?UTF-8\?Q\?=5BMAJOR=5D_Boiler_above_80/, 'subject "[MAJOR] Boiler above 80 °C…", encoded for the °');
    assert.match(email.raw, new RegExp(`X-Vigil-Alarm: ${alarm.id}`));
    assert.match(email.raw, /To: ops@example\.test/);
    assert.deepEqual(smtpLogins[0], { user: 'vigil', pass: SMTP_PASSWORD }, 'the sealed SMTP password opens for sending');

    // The good receivers were served while the failing and hanging ones were still being retried;
    // all three attempts of each end in the dead-letter state.
    const log = await waitFor(async () => {
      const d = await deliveries(alarm.id);
      const byChannel = (id: string) => d.find((x) => x.channelId === id);
      return byChannel(failing.id)?.status === 'dead' && byChannel(hanging.id)?.status === 'dead' ? d : null;
    }, 'dead letters', 20_000);
    const of = (id: string) => log.find((x) => x.channelId === id)!;
    assert.equal(of(hook.id).status, 'delivered');
    assert.equal(of(mail.id).status, 'delivered');
    assert.equal(of(failing.id).attempts, 3);
    assert.equal(of(failing.id).responseStatus, 500);
    assert.equal(of(hanging.id).attempts, 3);
    assert.match(of(hanging.id).lastError!, /no response within 500 ms/);
    assert.equal(received.filter((r) => r.path === '/fail').length, 3);

    // Escalation: still unacknowledged 10 minutes later → the next level hears about it.
    offsetMs += 10 * MIN;
    const escalated = await waitFor(async () => received.find((r) => r.path === '/escalate'), 'escalation');
    assert.match(JSON.parse(escalated.body).text, /^\[ESCALATED\] Boiler above 80/);

    const ack = await request(vigil.http, 'POST', `/api/v1/alarms/${alarm.id}/acknowledge`, { token });
    assert.equal(ack.status, 200);
    await waitFor(async () => live.some((e) => e.event === 'alert_update' && e.data.id === alarm.id && e.data.status === 'ACTIVE_ACK'), 'alert_update acknowledged');
    const commented = await request(vigil.http, 'POST', `/api/v1/alarms/${alarm.id}/comments`, { token, body: { text: 'burner valve sticking; technician sent' } });
    assert.equal(commented.status, 200, JSON.stringify(commented.body));
    const kinds = commented.body.items.map((e: { kind: string; by: string }) => `${e.kind} by ${e.by.split(':')[0]}`);
    assert.deepEqual(kinds, ['raised by rule', 'escalated by policy', 'acknowledged by user', 'comment by user']);
    const majors = await request(vigil.http, 'GET', `/api/v1/alarms?severity=major&from=${alarm.createdAt}`, { token });
    assert.deepEqual(majors.body.items.map((a: { id: string }) => a.id), [alarm.id]);
    const minors = await request(vigil.http, 'GET', '/api/v1/alarms?severity=minor', { token });
    assert.equal(minors.body.total, 0);

    // The value drops under the clear condition (< 75): the rule clears its own alarm. (Points
    // carry the server's receipt time from here on: the moved clock is past the future-skew limit.)
    const cleared = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { temperature: 70 } });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    await waitFor(async () => live.some((e) => e.event === 'alert_update' && e.data.id === alarm.id && e.data.status === 'CLEARED_ACK'), 'alert_update cleared');
    await waitFor(async () => received.some((r) => r.path === '/ok' && JSON.parse(r.body).event === 'cleared'), 'cleared webhook');

    // A silence on the device: the next alarm is recorded, its notifications held.
    const silence = await request(vigil.http, 'POST', '/api/v1/silences', { token, body: { deviceId: device.id, untilMs: clock() + 3_600_000, reason: 'maintenance' } });
    assert.equal(silence.status, 201, JSON.stringify(silence.body));
    const okBefore = received.filter((r) => r.path === '/ok').length;
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { temperature: 95 } })).status, 200);
    offsetMs += 6 * MIN;
    const second = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', '/api/v1/alarms?type=rule&status=open', { token });
      return r.body.items[0];
    }, 'second alarm');
    assert.notEqual(second.id, alarm.id);
    const held = await waitFor(async () => {
      const d = await deliveries(second.id);
      return d.length === 4 ? d : null;
    }, 'held deliveries');
    assert.ok(held.every((d) => d.status === 'held' && d.attempts === 0));
    assert.equal(received.filter((r) => r.path === '/ok').length, okBefore, 'nothing sent while silenced');
  });
  test('a plain-form rule with webhook, e-mail and MQTT actions reaches all three', async () => {
    // An outside MQTT broker (for example the plant's Mosquitto) that Vigil publishes alarms to.
    // Real Mosquitto with a password file: a message arrives only if the sealed password opened.
    const broker = await startMosquitto('vigil', 'broker-pass');
    const brokerUrl = broker.url;
    const listener = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0, username: 'vigil', password: 'broker-pass' });
    const published: { topic: string; body: any }[] = [];
    listener.on('message', (topic, payload) => published.push({ topic, body: JSON.parse(payload.toString()) }));
    await listener.subscribeAsync('plant/alarms/#', { qos: 1 });
    try {
      await channel({ name: 'plant broker', type: 'mqtt', brokerUrl, topic: 'plant/alarms/all', username: 'vigil', secret: 'broker-pass' });
      const pump = await createDevice(vigil.http, token, 'pump-3', { type: 'pump' });
      const rule = await request(vigil.http, 'POST', '/api/v1/rules', {
        token,
        body: {
          type: 'statistical',
          name: 'pump vibration',
          device_id: pump.id,
          condition: { key: 'vibration', function: 'avg', window: 60, operator: '>', value: 5 },
          action: [
            { type: 'alert', severity: 'critical', message: 'Pump vibration high' },
            { type: 'webhook', url: `${receiverUrl}/action` },
            { type: 'email', to: 'pump-team@example.test' },
            { type: 'mqtt', topic: 'plant/alarms/pumps' },
          ],
        },
      });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
      assert.equal(rule.body.condition.windowMs, 60_000);
      await request(vigil.http, 'POST', `/api/v1/${pump.accessToken}/telemetry`, { body: [{ vibration: 9 }] });
      const hit = await waitFor(async () => received.find((r) => r.path === '/action'), 'webhook action');
      assert.equal(JSON.parse(hit.body).alarm.message, 'Pump vibration high');
      assert.equal(hit.headers['x-vigil-signature'], undefined, 'a rule action has no secret to sign with');
      await waitFor(async () => mails.some((m) => /To: pump-team@example\.test/.test(m.raw)), 'e-mail action through the e-mail channel');
      const mqttMessage = await waitFor(async () => published.find((p) => p.topic === 'plant/alarms/pumps'), 'MQTT action');
      assert.equal(mqttMessage.body.event, 'raised');
      assert.equal(mqttMessage.body.alarm.severity, 'critical');
    } finally {
      await listener.endAsync();
      await broker.stop();
    }
  });
});
