import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

function connect(port: number, username: string): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, reconnectPeriod: 0, connectTimeout: 5000 });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

describe('MQTT ingest and the live stream', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'mqtt-sensor');
  });
  after(async () => vigil.stop());

  test('a device publishes with QoS 1 and QoS 0; points are queryable after PUBACK', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken);
    const ts = Date.now() - 5000;
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ ts, values: { temperature: 22.5 } }), { qos: 1 });
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify([{ humidity: 55 }, { ts: ts + 1, values: { temperature: 23 } }]), {
      qos: 0,
    });
    await client.publishAsync('v2/t', JSON.stringify({ pressure: 1013 }), { qos: 1 });
    const stored = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=${ts - 1}`, { token });
      return r.body.data.temperature?.length === 2 && r.body.data.humidity && r.body.data.pressure ? r.body : null;
    }, 'mqtt points stored');
    assert.deepEqual(stored.data.temperature.map((p: { value: number }) => p.value), [22.5, 23]);
    const dev = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token });
    assert.equal(dev.body.status, 'online');
    await client.endAsync();
  });

  test('a wrong or empty token gets a refused CONNACK', async () => {
    await assert.rejects(connect(vigil.mqttPort, 'wrong-token'), /Not authorized|Bad username|refused/i);
    await assert.rejects(connect(vigil.mqttPort, ''), /Bad username|refused|Not authorized/i);
    const metrics = await (await fetch(`${vigil.http}/metrics`)).text();
    assert.match(metrics, /vigil_ingest_rejected_total\{transport="mqtt",reason="unauthorized"\} [1-9]/);
  });

  test('a bad payload is dropped and counted; the connection stays and good data still flows', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken);
    let closed = false;
    client.on('close', () => (closed = true));
    await client.publishAsync('v1/devices/me/telemetry', '{"broken": ', { qos: 1 });
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ bad: [1, 2] }), { qos: 1 });
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ after_bad: 1 }), { qos: 1 });
    assert.equal(closed, false);
    assert.equal(client.connected, true);
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=after_bad`, { token });
      return r.body.data.after_bad;
    }, 'good point after bad ones');
    const metrics = await (await fetch(`${vigil.http}/metrics`)).text();
    assert.match(metrics, /vigil_ingest_rejected_total\{transport="mqtt",reason="invalid_json"\} 1/);
    assert.match(metrics, /vigil_ingest_rejected_total\{transport="mqtt",reason="invalid_value"\} 1/);
    const rejected = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token });
    assert.ok(rejected.body.items.some((e: { transport: string; reason: string }) => e.transport === 'mqtt' && e.reason === 'invalid_json'));
    await client.endAsync();
  });

  test('a device cannot subscribe to other devices\' telemetry', async () => {
    const spy = await connect(vigil.mqttPort, device.accessToken);
    // mqtt.js turns a SUBACK failure code (0x80) into a rejection.
    await assert.rejects(spy.subscribeAsync('v1/devices/me/telemetry', { qos: 1 }), (err: { packet?: { granted?: number[] } }) => {
      assert.deepEqual(err.packet?.granted, [128]);
      return true;
    });
    await assert.rejects(spy.subscribeAsync('#', { qos: 0 }));
    const allowed = await spy.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
    assert.equal(allowed[0]!.qos, 1);
    await spy.endAsync();
  });

  test('a rotated token disconnects the open session', async () => {
    const other = await createDevice(vigil.http, token, 'rotating');
    const client = await connect(vigil.mqttPort, other.accessToken);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await request(vigil.http, 'POST', `/api/v1/devices/${other.id}/credentials/rotate`, { token });
    await closed;
    client.end(true);
    await assert.rejects(connect(vigil.mqttPort, other.accessToken));
  });

  test('a dashboard receives each accepted point and status changes over Socket.IO', async () => {
    const watched = await createDevice(vigil.http, token, 'watched');
    const socket: Socket = io(vigil.http, { auth: { token }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const ack = await socket.emitWithAck('subscribe', { deviceId: watched.id });
    assert.deepEqual(ack, { ok: true });
    const keyed: Socket = io(vigil.http, { auth: { token }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve) => keyed.once('connect', () => resolve()));
    assert.deepEqual(await keyed.emitWithAck('subscribe', { deviceId: watched.id, keys: ['b'] }), { ok: true });

    const received: { key: string; value: unknown }[] = [];
    const keyedReceived: { key: string }[] = [];
    const statuses: string[] = [];
    socket.on('telemetry', (msg: { deviceId: string; points: { key: string; value: unknown }[] }) => {
      assert.equal(msg.deviceId, watched.id);
      received.push(...msg.points);
    });
    socket.on('status', (msg: { status: string }) => statuses.push(msg.status));
    keyed.on('telemetry', (msg: { points: { key: string }[] }) => keyedReceived.push(...msg.points));

    const client = await connect(vigil.mqttPort, watched.accessToken);
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ a: 1, b: 2 }), { qos: 1 });
    await request(vigil.http, 'POST', `/api/v1/${watched.accessToken}/telemetry`, { body: { a: 3 } });
    await waitFor(async () => received.length === 3 && keyedReceived.length === 1, 'live points');
    assert.deepEqual(received.map((p) => p.value), [1, 2, 3]);
    assert.deepEqual(keyedReceived.map((p) => p.key), ['b']);
    assert.ok(statuses.includes('online'));

    const denied = await socket.emitWithAck('subscribe', { deviceId: 'not-a-device' });
    assert.match(denied.error, /not found/);
    await client.endAsync();
    socket.close();
    keyed.close();
  });

  test('the live endpoint refuses connections without a valid token', async () => {
    const socket: Socket = io(vigil.http, { auth: { token: 'nope' }, transports: ['websocket'], reconnection: false });
    const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    assert.match(err.message, /unauthorized/);
    socket.close();
  });
});
