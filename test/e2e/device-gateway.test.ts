// The gateway API end to end: a gateway (mqtt.js, and Paho as ThingsBoard IoT Gateway does it)
// publishes for devices behind it; children appear on first sight; commands and shared
// attributes for a child go through the gateway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasPaho = await run(PYTHON, ['-c', 'import paho.mqtt.client']).then(
  () => true,
  () => false,
);
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'client not installed');

const PAHO_GATEWAY = `
import sys, json
import paho.mqtt.client as mqtt
host, port, token = sys.argv[1:4]
c = mqtt.Client(client_id='paho-gw', protocol=mqtt.MQTTv311)
c.username_pw_set(token)
c.connect(host, int(port), keepalive=30)
c.loop_start()
c.publish('v1/gateway/connect', json.dumps({'device': 'Modbus PLC', 'type': 'plc'}), qos=1).wait_for_publish(15)
info = c.publish('v1/gateway/telemetry', json.dumps({'Modbus PLC': [{'ts': 1700000000000, 'values': {'pressure': 3.5}}]}), qos=1)
info.wait_for_publish(15)
c.disconnect(); c.loop_stop()
print('ok' if info.is_published() else 'no puback')
`;

function nextMessage(client: MqttClient, topic: string): Promise<any> {
  return new Promise((resolve) => {
    const on = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      client.off('message', on);
      resolve(JSON.parse(payload.toString()));
    };
    client.on('message', on);
  });
}

describe('device API: gateways', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
  });
  after(async () => {
    await vigil.stop();
  });

  const latest = async (deviceId: string, key: string) =>
    (await request(vigil.http, 'GET', `/api/v1/devices/${deviceId}/telemetry/latest?keys=${key}`, { token })).body.data?.[key];

  test('mqtt.js gateway - children created on first sight, telemetry and attributes stored per child, attribute request answered', async () => {
    const gw = await createDevice(vigil.http, token, 'gw-1');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: gw.accessToken, reconnectPeriod: 0 });
    await client.subscribeAsync(['v1/gateway/attributes', 'v1/gateway/attributes/response', 'v1/gateway/rpc'], { qos: 1 });
    await client.publishAsync('v1/gateway/connect', JSON.stringify({ device: 'Sensor A', type: 'thermometer' }), { qos: 1 });
    await client.publishAsync(
      'v1/gateway/telemetry',
      JSON.stringify({ 'Sensor A': [{ ts: Date.now() - 1000, values: { temp: 21.5 } }], 'Sensor B': [{ ts: Date.now() - 1000, values: { hum: 40 } }] }),
      { qos: 1 },
    );
    await client.publishAsync('v1/gateway/attributes', JSON.stringify({ 'Sensor A': { model: 'T-100' } }), { qos: 1 });
    const links = await request(vigil.http, 'GET', `/api/v1/devices/${gw.id}/gateway`, { token });
    const byName = new Map<string, string>(links.body.children.map((c: any) => [c.name, c.deviceId]));
    assert.deepEqual([...byName.keys()].sort(), ['Sensor A', 'Sensor B']);
    const a = byName.get('Sensor A')!;
    const info = await request(vigil.http, 'GET', `/api/v1/devices/${a}`, { token });
    assert.equal(info.body.type, 'thermometer');
    assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${a}/gateway`, { token })).body.gatewayId, gw.id);
    await waitFor(async () => (await latest(a, 'temp')) !== undefined, 'child telemetry stored');
    await waitFor(async () => (await latest(byName.get('Sensor B')!, 'hum')) !== undefined, 'second child telemetry stored');

    // Shared attribute for a child arrives at the gateway, wrapped with the child's name.
    const update = nextMessage(client, 'v1/gateway/attributes');
    await request(vigil.http, 'POST', `/api/v1/devices/${a}/attributes/shared`, { token, body: { setpoint: 19 } });
    assert.deepEqual(await update, { device: 'Sensor A', data: { setpoint: 19 } });

    const single = nextMessage(client, 'v1/gateway/attributes/response');
    await client.publishAsync('v1/gateway/attributes/request', JSON.stringify({ id: 1, device: 'Sensor A', client: true, key: 'model' }), { qos: 1 });
    assert.deepEqual(await single, { id: 1, device: 'Sensor A', value: 'T-100' });
    const many = nextMessage(client, 'v1/gateway/attributes/response');
    await client.publishAsync('v1/gateway/attributes/request', JSON.stringify({ id: 2, device: 'Sensor A', client: false, keys: ['setpoint'] }), { qos: 1 });
    assert.deepEqual(await many, { id: 2, device: 'Sensor A', values: { setpoint: 19 } });
    await client.endAsync();
  });

  test('RPC to a child goes through its gateway; a command queued while the gateway was away is delivered when it subscribes again', async () => {
    const gw = await createDevice(vigil.http, token, 'gw-2');
    let client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: gw.accessToken, reconnectPeriod: 0 });
    await client.publishAsync('v1/gateway/connect', JSON.stringify({ device: 'Valve 1' }), { qos: 1 });
    const child = (await request(vigil.http, 'GET', `/api/v1/devices/${gw.id}/gateway`, { token })).body.children[0].deviceId as string;
    await client.subscribeAsync('v1/gateway/rpc', { qos: 1 });
    client.on('message', (_topic, payload) => {
      const msg = JSON.parse(payload.toString());
      void client.publishAsync('v1/gateway/rpc', JSON.stringify({ device: msg.device, id: msg.data.id, data: { done: msg.data.method } }), { qos: 1 });
    });
    const live = await request(vigil.http, 'POST', `/api/v1/devices/${child}/rpc`, { token, body: { method: 'open', params: { pct: 50 }, timeoutMs: 20_000 } });
    assert.equal(live.status, 200);
    assert.deepEqual(live.body.response, { done: 'open' });
    await client.endAsync();

    const queued = await request(vigil.http, 'POST', `/api/v1/devices/${child}/rpc`, { token, body: { method: 'close', persistent: true, timeoutMs: 60_000 } });
    assert.equal(queued.body.status, 'queued');
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: gw.accessToken, reconnectPeriod: 0 });
    const command = nextMessage(client, 'v1/gateway/rpc');
    await client.subscribeAsync('v1/gateway/rpc', { qos: 1 });
    const got = await command;
    assert.deepEqual(got, { device: 'Valve 1', data: { id: queued.body.requestId, method: 'close', params: {} } });
    await client.publishAsync('v1/gateway/rpc', JSON.stringify({ device: 'Valve 1', id: got.data.id, data: { ok: true } }), { qos: 1 });
    await waitFor(async () => (await request(vigil.http, 'GET', `/api/v1/devices/${child}/rpc/${queued.body.id}`, { token })).body.status === 'succeeded', 'succeeded');
    await client.endAsync();
  });

  test('a bad child entry is refused with a reason (MQTT 5) while the good ones are stored', async () => {
    const gw = await createDevice(vigil.http, token, 'gw-3');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: gw.accessToken, reconnectPeriod: 0, protocolVersion: 5 });
    const code = await client.publishAsync('v1/gateway/telemetry', JSON.stringify({ Good: { v: 1 }, Bad: 'not telemetry' }), { qos: 1 }).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    assert.equal(code, 0x99);
    const good = (await request(vigil.http, 'GET', `/api/v1/devices/${gw.id}/gateway`, { token })).body.children.find((c: any) => c.name === 'Good');
    await waitFor(async () => (await latest(good.deviceId, 'v')) !== undefined, 'good child stored');
    await client.endAsync();
  });

  test('Paho gateway (as ThingsBoard IoT Gateway publishes) - connect and timestamped telemetry', { skip: skipUnlessCi(hasPaho) }, async () => {
    const gw = await createDevice(vigil.http, token, 'gw-paho');
    const { stdout } = await run(PYTHON, ['-c', PAHO_GATEWAY, '127.0.0.1', String(vigil.mqttPort), gw.accessToken], { timeout: 30_000 });
    assert.match(stdout, /ok/);
    const child = (await request(vigil.http, 'GET', `/api/v1/devices/${gw.id}/gateway`, { token })).body.children[0];
    assert.equal(child.name, 'Modbus PLC');
    await waitFor(async () => (await latest(child.deviceId, 'pressure')) !== undefined, 'stored');
  });
});
