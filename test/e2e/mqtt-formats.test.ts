// SenML and the industrial per-device topic layout over MQTT, with real clients: mqtt.js in both
// protocol versions and mosquitto_pub (MQTT 5 content type; MQTT 3.1.1 on the /senml topics).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import cbor from 'cbor';
import mqtt, { type MqttClient } from 'mqtt';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const hasMosquitto = existsSync('/usr/bin/mosquitto_pub');
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'mosquitto clients not installed');
const PREFIX = 'plant1';
/** A one-record SenML CBOR pack: name, unit, value under their integer labels (0, 1, 2; RFC 8428, 6). */
const cborPack = (name: string, unit: string, value: number) => cbor.encode([new Map<number, unknown>([[0, name], [1, unit], [2, value]])]);

function connect(port: number, username: string, version: 4 | 5): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, protocolVersion: version, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The PUBACK reason code mqtt.js reports (0 = stored). */
const code = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (err: { code?: number }) => err.code,
  );

describe('SenML and the industrial topic layout over MQTT', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  let other: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil({ VIGIL_MQTT_TOPIC_PREFIX: PREFIX });
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'press-7');
    other = await createDevice(vigil.http, token, 'press-8');
  });
  after(async () => vigil.stop());

  async function latest(key: string, deviceId = device.id) {
    return waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${deviceId}/telemetry/latest?keys=${encodeURIComponent(key)}`, { token });
      return r.body.data[key] ?? null;
    }, `latest ${key}`);
  }

  async function unit(key: string): Promise<string> {
    return waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
      return r.body.units?.[key] ?? null;
    }, `unit of ${key}`);
  }

  async function rejected(): Promise<{ reason: string; message: string; transport: string; payloadHead: string }[]> {
    const r = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token });
    return r.body.items;
  }

  test('mqtt.js v5: SenML JSON and CBOR by content type on the telemetry topic, units kept; bad pack 0x99', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken, 5);
    const pack = JSON.stringify([{ bn: 'v5/', bu: 'Cel', n: 'temp', v: 21.5 }, { n: 'hum', u: '%RH', v: 40 }]);
    assert.equal(await code(client.publishAsync('v1/devices/me/telemetry', pack, { qos: 1, properties: { contentType: 'application/senml+json' } })), 0);
    const packCbor = cborPack('v5cbor/volts', 'V', 229.5);
    assert.equal(await code(client.publishAsync('v2/t', packCbor, { qos: 1, properties: { contentType: 'application/senml+cbor' } })), 0);
    assert.equal(await code(client.publishAsync('v1/devices/me/telemetry', '[{"n":"x"}]', { qos: 1, properties: { contentType: 'application/senml+json' } })), 0x99);
    assert.equal(client.connected, true);
    await client.endAsync();

    assert.equal((await latest('v5/temp')).value, 21.5);
    assert.equal((await latest('v5/hum')).value, 40);
    assert.equal((await latest('v5cbor/volts')).value, 229.5);
    assert.equal(await unit('v5/temp'), 'Cel');
    assert.equal(await unit('v5/hum'), '%RH');
    assert.equal(await unit('v5cbor/volts'), 'V');
    assert.ok((await rejected()).some((e) => e.transport === 'mqtt' && e.payloadHead === '[{"n":"x"}]'));
  });

  test('mqtt.js v4: SenML on the dedicated /senml topics; a bad pack is acknowledged and dead-lettered', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken, 4);
    await client.publishAsync('v1/devices/me/telemetry/senml', JSON.stringify([{ n: 'v4/flow', u: 'l/s', v: 3.5 }]), { qos: 1 });
    await client.publishAsync('v1/devices/me/telemetry/senml/cbor', cborPack('v4cbor/rpm', '1/min', 1200), { qos: 1 });
    await client.publishAsync('v1/devices/me/telemetry/senml', '{"not":"a pack"}', { qos: 1 });
    assert.equal(client.connected, true);
    await client.endAsync();
    assert.equal((await latest('v4/flow')).value, 3.5);
    assert.equal((await latest('v4cbor/rpm')).value, 1200);
    assert.equal(await unit('v4/flow'), 'l/s');
    assert.equal(await unit('v4cbor/rpm'), '1/min');
    await waitFor(async () => (await rejected()).some((e) => e.payloadHead === '{"not":"a pack"}'), 'bad v4 pack dead-lettered');
  });

  test('mosquitto_pub -V mqttv5 with content-type, and -V mqttv311 on the /senml topics', { skip: skipUnlessCi(hasMosquitto) }, async () => {
    const conn = ['-h', '127.0.0.1', '-p', String(vigil.mqttPort), '-u', device.accessToken, '-q', '1'];
    await run('mosquitto_pub', [...conn, '-V', 'mqttv5', '-D', 'publish', 'content-type', 'application/senml+json', '-t', 'v1/devices/me/telemetry', '-m', '[{"n":"mosq5/temp","u":"Cel","v":19.5}]'], { timeout: 20_000 });
    await run('mosquitto_pub', [...conn, '-V', 'mqttv311', '-t', 'v1/devices/me/telemetry/senml', '-m', '[{"n":"mosq311/temp","u":"Cel","v":18}]'], { timeout: 20_000 });
    const file = join(await tempDir('vigil-senml-'), 'pack.cbor');
    await writeFile(file, cborPack('mosqcbor/amps', 'A', 2.5));
    await run('mosquitto_pub', [...conn, '-V', 'mqttv311', '-t', 'v1/devices/me/telemetry/senml/cbor', '-f', file], { timeout: 20_000 });
    assert.equal((await latest('mosq5/temp')).value, 19.5);
    assert.equal((await latest('mosq311/temp')).value, 18);
    assert.equal((await latest('mosqcbor/amps')).value, 2.5);
    assert.equal(await unit('mosq5/temp'), 'Cel');
    assert.equal(await unit('mosqcbor/amps'), 'A');

    const refused = await run('mosquitto_pub', [...conn, '-V', 'mqttv5', '-D', 'publish', 'content-type', 'application/senml+json', '-t', 'v1/devices/me/telemetry', '-m', '{"broken"'], { timeout: 20_000 }).then(
      (ok) => ok.stdout + ok.stderr,
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    assert.match(refused, /payload format invalid/i);
  });

  for (const version of [4, 5] as const) {
    test(`mqtt.js v${version}: industrial telemetry (full and per-key), status, units and quality kept`, async () => {
      const client = await connect(vigil.mqttPort, device.accessToken, version);
      const k = `ind${version}`;
      const full = {
        timestamp: new Date(Date.now() - 60_000).toISOString(),
        device_id: device.id,
        telemetry: { [`${k}_pressure`]: { value: 4.2, unit: 'bar' } },
        metadata: { quality: 'good', source: 'plc-2' },
      };
      assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/telemetry`, JSON.stringify(full), { qos: 1 })), 0);
      // By name as well as by id.
      assert.equal(await code(client.publishAsync(`${PREFIX}/devices/press-7/telemetry/${k}_temp`, '{"value": 25.5, "unit": "C"}', { qos: 1 })), 0);
      assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/status`, '{"status": "online"}', { qos: 1 })), 0);
      await client.endAsync();

      const pressure = await latest(`${k}_pressure`);
      assert.equal(pressure.value, 4.2);
      assert.equal(pressure.ts, Date.parse(full.timestamp));
      assert.equal((await latest('metadata.quality')).value, 'good');
      assert.equal((await latest('metadata.source')).value, 'plc-2');
      assert.equal((await latest(`${k}_temp`)).value, 25.5);
      assert.equal(await unit(`${k}_pressure`), 'bar');
      assert.equal(await unit(`${k}_temp`), 'C');
    });
  }

  test('a status message counts as device activity (presence)', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken, 5);
    const seen = async () => (await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.lastSeenAt as number;
    const before = await seen();
    await waitFor(async () => Date.now() > before + 5, 'clock moves past the last activity');
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/status`, '"running"', { qos: 1 })), 0);
    await waitFor(async () => (await seen()) > before, 'lastSeenAt advanced by the status');
    const device2 = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token });
    assert.equal(device2.body.status, 'online');
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/status`, '{"state": 1}', { qos: 1 })), 0x99);
    await client.endAsync();
  });

  test('v5: another device_id is refused with 0x87 and dead-lettered; config/command cannot be published by a device', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken, 5);
    const foreign = '{"value": 1, "unit": "C"}';
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${other.id}/telemetry/forged`, foreign, { qos: 1 })), 0x87);
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/press-8/status`, '"online"', { qos: 1 })), 0x87);
    const bodyForeign = JSON.stringify({ device_id: other.id, telemetry: { forged: { value: 1 } } });
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/telemetry`, bodyForeign, { qos: 1 })), 0x87);
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/config`, '{}', { qos: 1 })), 0x87);
    assert.equal(await code(client.publishAsync(`${PREFIX}/devices/${device.id}/nothing`, '{}', { qos: 1 })), 0x90);
    assert.equal(client.connected, true);
    await client.endAsync();
    const entries = await rejected();
    assert.ok(entries.some((e) => e.reason === 'unauthorized' && e.payloadHead === foreign), JSON.stringify(entries.slice(0, 5)));
    const otherData = await request(vigil.http, 'GET', `/api/v1/devices/${other.id}/keys`, { token });
    assert.deepEqual(otherData.body.keys, []);
  });

  test('v4: another device_id is acknowledged (3.1.1 cannot refuse), not stored, dead-lettered, connection kept', async () => {
    const client = await connect(vigil.mqttPort, device.accessToken, 4);
    const payload = '{"value": 2, "unit": "C", "v4forged": true}';
    await client.publishAsync(`${PREFIX}/devices/${other.id}/telemetry/forged4`, payload, { qos: 1 });
    assert.equal(client.connected, true);
    await client.endAsync();
    await waitFor(async () => (await rejected()).some((e) => e.reason === 'unauthorized' && e.payloadHead === payload), 'dead-lettered');
    const otherData = await request(vigil.http, 'GET', `/api/v1/devices/${other.id}/keys`, { token });
    assert.deepEqual(otherData.body.keys, []);
  });

  for (const version of [4, 5] as const) {
    test(`mqtt.js v${version}: subscribe to own config/command allowed, foreign refused; sendToDevice on config is received`, async () => {
      const client = await connect(vigil.mqttPort, device.accessToken, version);
      const refusedCode = version === 5 ? 0x87 : 0x80;
      const filters = [`${PREFIX}/devices/${device.id}/config`, `${PREFIX}/devices/press-7/command`, `${PREFIX}/devices/${other.id}/config`, `${PREFIX}/devices/+/command`];
      const granted = await client.subscribeAsync(filters, { qos: 1 }).catch((err) => err.packet?.granted ?? err);
      const codes = Array.isArray(granted) ? granted.map((g: { qos?: number } | number) => (typeof g === 'number' ? g : g.qos)) : granted;
      assert.deepEqual(codes, [1, 1, refusedCode, refusedCode]);

      const received = new Promise<{ topic: string; payload: string }>((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
      const config = JSON.stringify({ sampleIntervalMs: 5000, version });
      const topic = `${PREFIX}/devices/${device.id}/config`;
      await waitFor(async () => vigil.app.mqtt.sendToDevice(device.id, topic, config, { qos: 1 }).sent > 0, 'config sent');
      assert.deepEqual(await received, { topic, payload: config });
      // The other device's topic reaches nobody here.
      assert.equal(vigil.app.mqtt.sendToDevice(device.id, `${PREFIX}/devices/${other.id}/config`, '{}').sent, 0);
      await client.endAsync();
    });
  }
});
