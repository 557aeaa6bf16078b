// Device lifecycle end to end: disabling closes the device's MQTT sessions (TCP and WebSocket) and
// HTTP long polls, refuses every credential (CONNACK 5 / 0x87, HTTP 401, CoAP 4.01) and keeps the
// data; enabling lets it back in. Deleting removes the device with its telemetry and attributes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as coapRequest, type IncomingMessage } from 'coap';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { DuckDbDeviceStateStore } from '../../src/adapters/embedded/duckdb-device-state-store.js';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { openTempDuckDb } from '../helpers/duckdb.js';

function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

function coapPost(port: number, path: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = coapRequest({ hostname: '127.0.0.1', port, method: 'POST', pathname: path, confirmable: true });
    req.on('response', (res: IncomingMessage) => resolve(res.code));
    req.on('error', reject);
    req.end(payload);
  });
}

const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

describe('device lifecycle: disable, enable, delete', () => {
  let vigil: Running;
  let token: string;
  let stateStore: DuckDbDeviceStateStore;

  before(async () => {
    stateStore = new DuckDbDeviceStateStore(await openTempDuckDb());
    vigil = await startVigil({}, undefined, { deviceStateStore: stateStore });
    token = await login(vigil.http);
  });
  after(async () => {
    await vigil.stop();
  });

  const latest = async (deviceId: string, key: string) =>
    (await request(vigil.http, 'GET', `/api/v1/devices/${deviceId}/telemetry/latest?keys=${key}`, { token })).body?.data?.[key]?.value;

  test('disable - sessions close, credentials are refused on every transport, data stays; enable lets the device back', async () => {
    const device = await createDevice(vigil.http, token, 'to-disable');
    const tcp = await connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, protocolVersion: 5 });
    const ws = await connect(`${vigil.http.replace('http', 'ws')}/mqtt`, { username: device.accessToken, protocolVersion: 4 });
    await tcp.publishAsync('v1/devices/me/telemetry', '{"kept": 1}', { qos: 1 });
    await tcp.publishAsync('v1/devices/me/attributes', '{"firmware": "1.0"}', { qos: 1 });
    await waitFor(() => latest(device.id, 'kept'), 'telemetry stored');
    const poll = request(vigil.http, 'GET', `/api/v1/${device.accessToken}/rpc?timeout=60000`);
    const disconnectReason = new Promise<number | undefined>((resolve) => tcp.once('disconnect', (packet) => resolve(packet.reasonCode)));
    const [tcpClosed, wsClosed] = [closed(tcp), closed(ws)];

    assert.equal((await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/disable`, { token })).status, 204);
    assert.equal(await disconnectReason, 0x87, 'MQTT 5 DISCONNECT: not authorized');
    await Promise.all([tcpClosed, wsClosed]);
    assert.equal((await poll).status, 408, 'the open long poll ends');

    await assert.rejects(connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken }), (err: { code?: number }) => err.code === 5);
    await assert.rejects(connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, protocolVersion: 5 }), (err: { code?: number }) => err.code === 0x87);
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { refused: 1 } })).status, 401);
    assert.equal((await request(vigil.http, 'GET', `/api/v1/${device.accessToken}/attributes`)).status, 401);
    assert.equal(await coapPost(vigil.coapPort, `/api/v1/${device.accessToken}/telemetry`, '{"refused": 1}'), '4.01');

    const view = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token });
    assert.equal(view.body.disabled, true);
    assert.equal(await latest(device.id, 'kept'), 1, 'telemetry kept');
    const attrs = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/attributes`, { token });
    assert.match(JSON.stringify(attrs.body), /firmware/, 'attributes kept');
    const disabledList = await request(vigil.http, 'GET', `/api/v1/devices?name=to-disable`, { token });
    assert.equal(disabledList.body.items[0].disabled, true);

    assert.equal((await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/enable`, { token })).status, 204);
    const again = await connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken });
    await again.publishAsync('v1/devices/me/telemetry', '{"after_enable": 2}', { qos: 1 });
    await waitFor(() => latest(device.id, 'after_enable'), 'telemetry after enable');
    await again.endAsync();
    assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.disabled, false);
  });

  test('disable - a viewer may not disable a device; an unknown device is 404', async () => {
    assert.equal((await request(vigil.http, 'POST', `/api/v1/devices/00000000-0000-0000-0000-000000000000/disable`, { token })).status, 404);
    const viewer = await request(vigil.http, 'POST', '/api/v1/users', { token, body: { email: `viewer-${Date.now()}@example.com`, password: 'viewer-password-1', role: 'viewer' } });
    assert.equal(viewer.status, 201, JSON.stringify(viewer.body));
    const viewerToken = await login(vigil.http, viewer.body.email, 'viewer-password-1');
    const device = await createDevice(vigil.http, token, 'not-for-viewers');
    assert.equal((await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/disable`, { token: viewerToken })).status, 403);
  });

  test('delete - the device, its telemetry and its attributes are gone; its token is refused', async () => {
    const device = await createDevice(vigil.http, token, 'to-delete');
    const client = await connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken });
    await client.publishAsync('v1/devices/me/telemetry', '{"doomed": 1}', { qos: 1 });
    await client.publishAsync('v1/devices/me/attributes', '{"serial": "A-1"}', { qos: 1 });
    await waitFor(() => latest(device.id, 'doomed'), 'telemetry stored');
    const tenantId = (await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.tenantId as string;
    assert.equal((await stateStore.getAttributes(tenantId, device.id, 'client')).length, 1);
    const clientClosed = closed(client);

    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/devices/${device.id}`, { token })).status, 204);
    await clientClosed;
    assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).status, 404);
    assert.deepEqual(await vigil.app.telemetryStore.latest(tenantId, device.id), [], 'telemetry removed');
    await waitFor(async () => (await stateStore.getAttributes(tenantId, device.id, 'client')).length === 0, 'attributes removed');
    assert.equal((await stateStore.attributeHistory(tenantId, device.id, { limit: 10 })).length, 0, 'attribute history removed');
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { late: 1 } })).status, 401);
    await assert.rejects(connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken }), (err: { code?: number }) => err.code === 5);
  });
});
