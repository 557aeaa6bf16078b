// Provisioning, claiming and CSV import end to end with real clients: mqtt.js, Paho (Python),
// mosquitto_pub and curl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasMosquitto = existsSync('/usr/bin/mosquitto_pub');
const hasCurl = existsSync('/usr/bin/curl');
const hasPaho = await run(PYTHON, ['-c', 'import paho.mqtt.client']).then(
  () => true,
  () => false,
);
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'client not installed');

// What ThingsBoard's provisioning sample does: connect as "provision", subscribe, request, read the answer.
const PAHO_PROVISION = `
import sys, json, threading
import paho.mqtt.client as mqtt
host, port, key, secret, name = sys.argv[1:6]
c = mqtt.Client(client_id='', protocol=mqtt.MQTTv311)
c.username_pw_set('provision')
answer = {}
done = threading.Event()
def on_connect(client, userdata, flags, rc):
    client.subscribe('/provision/response')
    client.publish('/provision/request', json.dumps({'deviceName': name, 'provisionDeviceKey': key, 'provisionDeviceSecret': secret}), qos=1)
def on_message(client, userdata, msg):
    answer.update(json.loads(msg.payload)); done.set()
c.on_connect = on_connect
c.on_message = on_message
c.connect(host, int(port), keepalive=30)
c.loop_start()
done.wait(20)
c.disconnect(); c.loop_stop()
print(json.dumps(answer))
`;

describe('device API: provisioning, claiming, CSV import', () => {
  let vigil: Running;
  let token: string;
  let dir: string;

  before(async () => {
    dir = await tempDir('vigil-prov-');
    await writeFile(join(dir, 'provision.py'), PAHO_PROVISION);
    vigil = await startVigil();
    token = await login(vigil.http);
  });
  after(async () => {
    await vigil.stop();
  });

  async function profile(strategy: 'allow_new' | 'check_preprovisioned', name: string) {
    const res = await request(vigil.http, 'POST', '/api/v1/provisioning/profiles', { token, body: { name, strategy } });
    assert.equal(res.status, 201);
    return res.body as { provisionKey: string; provisionSecret: string; deviceType: string };
  }

  test('MQTT (mqtt.js) - a new device provisions itself with the profile key and then sends telemetry with its token', async () => {
    const p = await profile('allow_new', 'thermostat');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: 'provision', reconnectPeriod: 0 });
    await client.subscribeAsync('/provision/response', { qos: 1 });
    const answer = new Promise<any>((resolve) => client.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()))));
    await client.publishAsync('/provision/request', JSON.stringify({ deviceName: 'th-1', provisionDeviceKey: p.provisionKey, provisionDeviceSecret: p.provisionSecret }), { qos: 1 });
    const got = await answer;
    assert.equal(got.status, 'SUCCESS');
    assert.equal(got.provisionDeviceStatus, 'SUCCESS');
    assert.equal(got.credentialsType, 'ACCESS_TOKEN');
    // The provisioning connection may do nothing else: a telemetry publish closes it (3.1.1).
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('v1/devices/me/telemetry', '{"t":1}', { qos: 1 });
    await closed;
    client.end(true);

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: got.credentialsValue, reconnectPeriod: 0 });
    await device.publishAsync('v1/devices/me/telemetry', '{"temp":20.5}', { qos: 1 });
    await device.endAsync();
    const info = await request(vigil.http, 'GET', `/api/v1/devices/${got.deviceId}`, { token });
    assert.deepEqual([info.body.name, info.body.type], ['th-1', 'thermostat']);
    const attrs = await request(vigil.http, 'GET', `/api/v1/devices/${got.deviceId}/attributes?scope=server`, { token });
    assert.deepEqual(attrs.body.items.map((a: any) => [a.key, a.value]), [['provisionState', 'provisioned']]);
  });

  test('MQTT (Paho) - ThingsBoard sample flow; a second device under the same name is refused; a wrong secret is NOT_FOUND', { skip: skipUnlessCi(hasPaho) }, async () => {
    const p = await profile('allow_new', 'meter');
    const script = (secret: string, name: string) => run(PYTHON, [join(dir, 'provision.py'), '127.0.0.1', String(vigil.mqttPort), p.provisionKey, secret, name], { timeout: 30_000 });
    const first = JSON.parse((await script(p.provisionSecret, 'meter-7')).stdout);
    assert.equal(first.status, 'SUCCESS');
    const again = JSON.parse((await script(p.provisionSecret, 'meter-7')).stdout);
    assert.equal(again.status, 'FAILURE');
    const wrong = JSON.parse((await script('not-the-secret', 'meter-8')).stdout);
    assert.equal(wrong.status, 'NOT_FOUND');
  });

  test('HTTP (curl) - check pre-provisioned: only a registered device gets credentials, once; it may choose its token', { skip: skipUnlessCi(hasCurl) }, async () => {
    const p = await profile('check_preprovisioned', 'gate');
    const pre = await createDevice(vigil.http, token, 'gate-1');
    const provision = async (body: object) =>
      JSON.parse((await run('curl', ['-s', '-H', 'Content-Type: application/json', '-d', JSON.stringify(body), `${vigil.http}/api/v1/provision`])).stdout);
    const base = { provisionDeviceKey: p.provisionKey, provisionDeviceSecret: p.provisionSecret };
    assert.equal((await provision({ ...base, deviceName: 'gate-unknown' })).status, 'NOT_FOUND');
    const ok = await provision({ ...base, deviceName: 'gate-1', credentialsType: 'ACCESS_TOKEN', token: 'gate-1-chosen-token' });
    assert.deepEqual([ok.status, ok.credentialsValue, ok.deviceId], ['SUCCESS', 'gate-1-chosen-token', pre.id]);
    assert.equal((await provision({ ...base, deviceName: 'gate-1' })).status, 'FAILURE');
    // Guessing the secret is limited per key: after 10 wrong secrets in a minute even the right one waits.
    for (let i = 0; i < 10; i++) assert.equal((await provision({ ...base, provisionDeviceSecret: `guess-${i}`, deviceName: 'gate-x' })).status, 'NOT_FOUND');
    const locked = await provision({ ...base, deviceName: 'gate-2' });
    assert.deepEqual([locked.status, /too many failed attempts/.test(locked.errorMsg)], ['FAILURE', true]);
    const tel = await request(vigil.http, 'POST', '/api/v1/gate-1-chosen-token/telemetry', { body: { open: true } });
    assert.equal(tel.status, 200);
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${pre.accessToken}/telemetry`, { body: { open: true } })).status, 401, 'the old token is revoked');
  });

  test('claiming - the device opens a window (mosquitto_pub / HTTP), a user claims it with the secret', { skip: skipUnlessCi(hasMosquitto) }, async () => {
    const device = await createDevice(vigil.http, token, 'claimable-1');
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(vigil.mqttPort), '-u', device.accessToken, '-q', '1', '-t', 'v1/devices/me/claim', '-m', '{"secretKey":"s3cret","durationMs":60000}']);
    const claim = (secretKey: string) => request(vigil.http, 'POST', '/api/v1/devices/claim', { token, body: { deviceName: 'claimable-1', secretKey } });
    await waitFor(async () => (await claim('wrong')).status === 403, 'claim window open');
    const ok = await claim('s3cret');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.deviceId, device.id);
    assert.equal((await claim('s3cret')).status, 404, 'a claim is used once');
    const attrs = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/attributes?scope=server&keys=claimedBy`, { token });
    assert.equal(attrs.body.items.length, 1);

    const other = await createDevice(vigil.http, token, 'claimable-2');
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${other.accessToken}/claim`, { raw: '' })).status, 200);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/devices/claim', { token, body: { deviceName: 'claimable-2' } })).status, 200, 'no secret set, none needed');
  });

  test('CSV import (curl) - rows are created or reported one by one', { skip: skipUnlessCi(hasCurl) }, async () => {
    await createDevice(vigil.http, token, 'csv-existing');
    const csv = ['name,type,labels,accessToken', 'csv-1,pump,site=a;floor=2,', '"csv-2, quoted",valve,,csv-2-token-xyz', 'csv-existing,pump,,', ',pump,,', 'csv-3,pump,broken,', 'csv-1,pump,,'].join('\n');
    const { stdout } = await run('curl', ['-s', '-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: text/csv', '--data-binary', csv, `${vigil.http}/api/v1/devices/import`]);
    const report = JSON.parse(stdout);
    assert.equal(report.created, 2);
    assert.deepEqual(
      report.rows.map((r: any) => [r.line, r.status]),
      [[2, 'created'], [3, 'created'], [4, 'error'], [5, 'error'], [6, 'error'], [7, 'error']],
    );
    assert.ok(report.rows[0].accessToken, 'a generated token is shown once');
    assert.equal(report.rows[1].accessToken, undefined, 'a token from the file is not echoed');
    assert.match(report.rows[2].error, /already exists/);
    assert.match(report.rows[5].error, /duplicate/);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/csv-2-token-xyz/telemetry', { body: { flow: 1 } })).status, 200);
    const labels = await request(vigil.http, 'GET', `/api/v1/devices/${report.rows[0].id}`, { token });
    assert.deepEqual(labels.body.labels, { site: 'a', floor: '2' });
  });
});
