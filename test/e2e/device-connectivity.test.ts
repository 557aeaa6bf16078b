// Connectivity end to end: a device goes offline → connected (MQTT session, no data) → reporting
// (data) → stale (session open, silent past its interval) → offline (session closed), and an HTTP
// device is reporting without a session. Each state shows in the device API (and its filter), and
// each transition arrives on the live stream as a device_status event with the previous state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

interface StatusEvent {
  device_id: string;
  status: string;
  connectivity?: string;
  previous?: string;
}

describe('device connectivity: connected, reporting, stale, offline', () => {
  let vigil: Running;
  let token: string;
  let socket: Socket;
  const events: StatusEvent[] = [];

  before(async () => {
    // A short interval so "no data for longer than the interval" happens within the test.
    vigil = await startVigil({ VIGIL_DEVICE_INACTIVITY_TIMEOUT_MS: '1500' });
    token = await login(vigil.http);
    socket = io(vigil.http, { auth: { token }, transports: ['websocket'] });
    socket.on('device_status', (data: StatusEvent) => events.push(data));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const subscribed = await new Promise<any>((r) => socket.emit('subscribe', { type: 'device_status' }, r));
    assert.deepEqual(subscribed, { ok: true });
  });
  after(async () => {
    socket?.close();
    await vigil.stop();
  });

  const connectivityOf = async (id: string) => (await request(vigil.http, 'GET', `/api/v1/devices/${id}`, { token })).body.connectivity as string;
  const reaches = (id: string, state: string) => waitFor(async () => (await connectivityOf(id)) === state, `${state}`);
  const transitions = (id: string) => events.filter((e) => e.device_id === id && e.connectivity).map((e) => `${e.previous}>${e.connectivity}`);

  test('MQTT device - offline, connected, reporting, stale, offline; in the API, its filter and on the live stream', async () => {
    const device = await createDevice(vigil.http, token, 'conn-mqtt');
    assert.equal(await connectivityOf(device.id), 'offline');

    const client: MqttClient = await new Promise((resolve, reject) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0 });
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
    await reaches(device.id, 'connected');
    await client.publishAsync('v1/devices/me/telemetry', '{"t": 1}', { qos: 1 });
    await reaches(device.id, 'reporting');
    const reporting = await request(vigil.http, 'GET', '/api/v1/devices?connectivity=reporting', { token });
    assert.ok(reporting.body.items.some((d: { id: string }) => d.id === device.id), 'the filter finds it');
    const offline = await request(vigil.http, 'GET', '/api/v1/devices?connectivity=offline', { token });
    assert.ok(!offline.body.items.some((d: { id: string }) => d.id === device.id));

    // The session stays open and nothing arrives: stale, announced by the sweep.
    await waitFor(async () => transitions(device.id).includes('reporting>stale'), 'reporting>stale on the live stream');
    assert.equal(await connectivityOf(device.id), 'stale');
    await client.endAsync();
    await reaches(device.id, 'offline');
    await waitFor(async () => transitions(device.id).length >= 4, 'four transitions on the live stream').catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(transitions(device.id))}`);
    });
    assert.deepEqual(transitions(device.id), ['offline>connected', 'connected>reporting', 'reporting>stale', 'stale>offline']);
    const last = events.filter((e) => e.device_id === device.id && e.connectivity).at(-1)!;
    assert.equal(last.status, 'offline', 'status keeps its online/offline meaning');
    assert.ok(events.some((e) => e.device_id === device.id && !e.connectivity && e.status === 'online'), "today's online/offline events still arrive");
  });

  test('HTTP device - reporting without a session, offline once silent past its interval', async () => {
    const device = await createDevice(vigil.http, token, 'conn-http');
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { t: 1 } })).status, 200);
    await reaches(device.id, 'reporting');
    await reaches(device.id, 'offline');
    await waitFor(async () => transitions(device.id).length >= 2, 'two transitions');
    assert.deepEqual(transitions(device.id), ['offline>reporting', 'reporting>offline']);
  });
});
