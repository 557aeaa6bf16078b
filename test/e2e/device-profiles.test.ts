// Device profiles end to end: a telemetry schema (types, units, ranges, unknown keys) checked at
// ingest over HTTP and MQTT 5 — points out of schema refused with a reason in the dead-letter log,
// a wholly invalid message answered 422 / PUBACK 0x99 — or stored and flagged when the profile
// says flag; and the profile's inactivity timeout used as the device's reporting interval.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

describe('device profiles: telemetry schema and inactivity timeout', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    const thermostat = await request(vigil.http, 'POST', '/api/v1/device-profiles', {
      token,
      body: {
        name: 'thermostat',
        telemetrySchema: {
          keys: { temperature: { type: 'number', unit: '°C', min: -40, max: 85 }, mode: { type: 'string' }, heating: { type: 'boolean' }, setpoint: { type: 'integer' } },
          unknownKeys: 'reject',
        },
        inactivityTimeoutMs: 1000,
      },
    });
    assert.equal(thermostat.status, 201, JSON.stringify(thermostat.body));
    assert.equal(thermostat.body.onViolation, 'reject', 'reject by default');
    const meter = await request(vigil.http, 'POST', '/api/v1/device-profiles', {
      token,
      body: { name: 'meter', onViolation: 'flag', telemetrySchema: { keys: { power: { type: 'number', unit: 'W', min: 0 } }, unknownKeys: 'accept' } },
    });
    assert.equal(meter.status, 201, JSON.stringify(meter.body));
  });
  after(async () => {
    await vigil.stop();
  });

  const latest = async (id: string, key: string) => (await request(vigil.http, 'GET', `/api/v1/devices/${id}/telemetry/latest?keys=${key}`, { token })).body?.data?.[key]?.value;
  const deadLetters = async (id: string) =>
    (await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${id}`, { token })).body.items as { reason: string; message: string }[];

  test('schema - profiles are validated: min above max, ranges on strings, duplicate names', async () => {
    const bad = (schemaKey: unknown) => request(vigil.http, 'POST', '/api/v1/device-profiles', { token, body: { name: `p-${Math.random()}`, telemetrySchema: { keys: { k: schemaKey }, unknownKeys: 'accept' } } });
    assert.equal((await bad({ type: 'number', min: 5, max: 1 })).status, 400);
    assert.equal((await bad({ type: 'string', min: 0 })).status, 400);
    assert.equal((await bad({ type: 'decimal' })).status, 400);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/device-profiles', { token, body: { name: 'thermostat' } })).status, 409);
    const list = await request(vigil.http, 'GET', '/api/v1/device-profiles', { token });
    assert.deepEqual(list.body.items.map((p: { name: string }) => p.name), ['meter', 'thermostat']);
  });

  test('schema - HTTP: fitting points stored; out-of-schema points refused with a reason; a wholly invalid message is 422', async () => {
    const device = await createDevice(vigil.http, token, 'thermo-http', { type: 'thermostat' });
    const ok = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { temperature: 21.5, mode: 'heat', heating: true, setpoint: 21 } });
    assert.deepEqual([ok.status, ok.body], [200, { accepted: 4 }]);

    const mixed = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { temperature: 22, humidity: 40, setpoint: 20.5 } });
    assert.deepEqual([mixed.status, mixed.body], [200, { accepted: 1 }], 'the fitting point is stored');
    assert.equal(await waitFor(() => latest(device.id, 'temperature').then((v) => v === 22 && v), 'temperature 22'), 22);
    const partial = (await deadLetters(device.id)).find((e) => e.reason === 'schema_violation');
    assert.match(partial!.message, /humidity: key is not in the profile schema/);
    assert.match(partial!.message, /setpoint: expected integer, got 20.5/);

    const invalid = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { temperature: 120 } });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.error, 'SCHEMA_VIOLATION');
    assert.match(invalid.body.message, /temperature: 120 is above the maximum 85 °C/);
    assert.deepEqual(invalid.body.details.violations, [{ key: 'temperature', reason: '120 is above the maximum 85 °C' }]);
    assert.equal(await latest(device.id, 'temperature'), 22, 'nothing of it stored');
  });

  test('schema - MQTT 5: a wholly invalid message gets PUBACK 0x99 with the reason; a fitting one 0', async () => {
    const device = await createDevice(vigil.http, token, 'thermo-mqtt', { type: 'thermostat' });
    const client: MqttClient = await new Promise((resolve, reject) => {
      const c = mqtt.connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, protocolVersion: 5, reconnectPeriod: 0 });
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 0,
        (err: { code?: number }) => err.code,
      );
    assert.equal(await code(client.publishAsync('v1/devices/me/telemetry', '{"temperature": "hot"}', { qos: 1 })), 0x99);
    assert.equal(await code(client.publishAsync('v1/devices/me/telemetry', '{"temperature": 19}', { qos: 1 })), 0);
    assert.equal(await waitFor(() => latest(device.id, 'temperature'), 'temperature stored'), 19);
    assert.ok((await deadLetters(device.id)).some((e) => e.reason === 'schema_violation' && /expected number, got string/.test(e.message)));
    await client.endAsync();
  });

  test('schema - a flagging profile stores out-of-range points and logs them as flagged', async () => {
    const device = await createDevice(vigil.http, token, 'meter-1', { type: 'meter' });
    const r = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { power: -5, voltage: 230 } });
    assert.deepEqual([r.status, r.body], [200, { accepted: 2 }]);
    assert.equal(await waitFor(() => latest(device.id, 'power').then((v) => v === -5 && v), 'power stored'), -5);
    const flagged = (await deadLetters(device.id)).find((e) => e.reason === 'schema_flagged');
    assert.match(flagged!.message, /power: -5 is below the minimum 0 W/);
  });

  test("profile - the inactivity timeout is the device's reporting interval; a device without a profile keeps the default", async () => {
    const quick = await createDevice(vigil.http, token, 'thermo-quiet', { type: 'thermostat' });
    const plain = await createDevice(vigil.http, token, 'no-profile');
    for (const d of [quick, plain]) {
      assert.equal((await request(vigil.http, 'POST', `/api/v1/${d.accessToken}/telemetry`, { body: { temperature: 20 } })).status, 200);
    }
    const connectivity = async (id: string) => (await request(vigil.http, 'GET', `/api/v1/devices/${id}`, { token })).body.connectivity;
    await waitFor(async () => (await connectivity(quick.id)) === 'offline', 'the thermostat silent past its 1 s interval');
    assert.equal(await connectivity(plain.id), 'reporting', 'the default interval is 10 minutes');
  });
});
