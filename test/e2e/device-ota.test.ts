// OTA firmware end to end: upload (curl), assign, the device learns through fw_* shared
// attributes (mqtt.js), downloads in chunks over MQTT and over HTTP (curl), verifies the checksum
// and reports fw_state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const hasCurl = existsSync('/usr/bin/curl');
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'client not installed');

function collect(client: MqttClient, prefix: string): Map<string, Buffer> {
  const got = new Map<string, Buffer>();
  client.on('message', (topic, payload) => {
    if (topic.startsWith(prefix)) got.set(topic, payload);
  });
  return got;
}

describe('device API: OTA firmware', () => {
  let vigil: Running;
  let token: string;
  let image: Buffer;
  let pkg: { id: string; checksum: string; sizeBytes: number };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    image = randomBytes(50_000 + 123);
    const dir = await tempDir('vigil-ota-');
    await writeFile(join(dir, 'fw.bin'), image);
    if (hasCurl) {
      const { stdout } = await run('curl', [
        '-s',
        '-H', `Authorization: Bearer ${token}`,
        '-H', 'Content-Type: application/octet-stream',
        '--data-binary', `@${join(dir, 'fw.bin')}`,
        `${vigil.http}/api/v1/ota/packages?kind=firmware&title=tracker-fw&version=2.0.1&deviceType=tracker`,
      ]);
      pkg = JSON.parse(stdout);
    } else {
      const res = await fetch(`${vigil.http}/api/v1/ota/packages?kind=firmware&title=tracker-fw&version=2.0.1&deviceType=tracker`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: image,
      });
      pkg = (await res.json()) as typeof pkg;
    }
  });
  after(async () => {
    await vigil.stop();
  });

  test('upload computes SHA-256 and size; a second upload of the same version is a conflict', async () => {
    assert.equal(pkg.checksum, createHash('sha256').update(image).digest('hex'));
    assert.equal(pkg.sizeBytes, image.length);
    const again = await fetch(`${vigil.http}/api/v1/ota/packages?kind=firmware&title=tracker-fw&version=2.0.1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('x'),
    });
    assert.equal(again.status, 409);
  });

  test('MQTT (mqtt.js) - assignment arrives as fw_* shared attributes; chunks download until a short one; fw_state reported', async () => {
    const device = await createDevice(vigil.http, token, 'tracker-1', { type: 'tracker' });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0 });
    await client.subscribeAsync(['v1/devices/me/attributes', 'v2/fw/response/+/chunk/+', 'v2/fw/error'], { qos: 1 });
    const attrs = new Promise<any>((resolve) => client.once('message', (_t, p) => resolve(JSON.parse(p.toString()))));
    const assigned = await request(vigil.http, 'POST', `/api/v1/ota/packages/${pkg.id}/assign`, { token, body: { deviceType: 'tracker' } });
    assert.equal(assigned.body.assigned, 1);
    const fw = await attrs;
    assert.deepEqual(fw, { fw_title: 'tracker-fw', fw_version: '2.0.1', fw_checksum: pkg.checksum, fw_checksum_algorithm: 'SHA256', fw_size: image.length });

    const chunks = collect(client, 'v2/fw/response/');
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ fw_state: 'DOWNLOADING' }), { qos: 1 });
    const size = 16_384;
    const parts: Buffer[] = [];
    for (let n = 0; ; n++) {
      const topic = `v2/fw/response/7/chunk/${n}`;
      await client.publishAsync(`v2/fw/request/7/chunk/${n}`, String(size), { qos: 1 });
      const part = await waitFor(async () => chunks.get(topic), `chunk ${n}`);
      parts.push(part);
      if (part.length < size) break;
    }
    const whole = Buffer.concat(parts);
    assert.equal(createHash('sha256').update(whole).digest('hex'), fw.fw_checksum);
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ fw_state: 'UPDATED', current_fw_title: 'tracker-fw', current_fw_version: '2.0.1' }), { qos: 1 });
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=fw_state`, { token });
      return r.body.data?.fw_state?.value === 'UPDATED';
    }, 'fw_state stored');
    const status = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/ota/firmware`, { token });
    assert.equal(status.body.assigned.id, pkg.id);
    await client.endAsync();
  });

  test('MQTT - an empty request payload gets the whole package; no assignment gets an error on v2/fw/error', async () => {
    const device = await createDevice(vigil.http, token, 'tracker-2');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0 });
    await client.subscribeAsync(['v2/fw/response/+/chunk/+', 'v2/fw/error'], { qos: 1 });
    const got = collect(client, 'v2/fw/');
    await client.publishAsync('v2/fw/request/1/chunk/0', '', { qos: 1 });
    assert.match((await waitFor(async () => got.get('v2/fw/error'), 'error')).toString(), /no firmware is assigned/);
    const put = await request(vigil.http, 'PUT', `/api/v1/devices/${device.id}/ota/firmware`, { token, body: { packageId: pkg.id } });
    assert.equal(put.status, 200);
    await client.publishAsync('v2/fw/request/2/chunk/0', '', { qos: 1 });
    assert.ok((await waitFor(async () => got.get('v2/fw/response/2/chunk/0'), 'whole')).equals(image));
    await client.endAsync();
  });

  test('HTTP (curl) - chunked download by title and version; a chunk past the end is empty', { skip: skipUnlessCi(hasCurl) }, async () => {
    const device = await createDevice(vigil.http, token, 'tracker-3');
    const url = (chunk: number) => `${vigil.http}/api/v1/${device.accessToken}/firmware?title=tracker-fw&version=2.0.1&size=20000&chunk=${chunk}`;
    const parts: Buffer[] = [];
    for (let n = 0; n < 10; n++) {
      const { stdout } = await run('curl', ['-s', '--fail', url(n)], { encoding: 'buffer' } as never) as unknown as { stdout: Buffer };
      parts.push(stdout);
      if (stdout.length < 20_000) break;
    }
    assert.equal(parts.length, 3);
    assert.ok(Buffer.concat(parts).equals(image));
    const past = await fetch(url(9));
    assert.equal(past.status, 200);
    assert.equal((await past.arrayBuffer()).byteLength, 0);
    const unknown = await fetch(`${vigil.http}/api/v1/${device.accessToken}/firmware?title=nope&version=1`);
    assert.equal(unknown.status, 404);
  });

  async function fleet(type: string, n: number) {
    const made = [];
    for (let i = 0; i < n; i++) made.push(await createDevice(vigil.http, token, `${type}-${i}`, { type }));
    return made;
  }
  const report = (device: { accessToken: string }, fw_state: string) =>
    request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { fw_state } });
  const campaign = async (id: string) => (await request(vigil.http, 'GET', `/api/v1/ota/campaigns/${id}`, { token })).body;
  const assignedVersion = async (deviceId: string) =>
    (await request(vigil.http, 'GET', `/api/v1/devices/${deviceId}/attributes?scope=shared&keys=fw_version`, { token })).body.items[0]?.value;

  test('campaign - the canary stage fails: the campaign pauses itself and the rest of the fleet is not touched; resume continues', async () => {
    const devices = await fleet('canary-fail', 10);
    const res = await request(vigil.http, 'POST', '/api/v1/ota/campaigns', { token, body: { packageId: pkg.id, deviceType: 'canary-fail', stagePercents: [20, 100], maxFailureRatio: 0.4 } });
    assert.equal(res.status, 201);
    const c = res.body;
    const canary = c.devices.filter((d: any) => d.stage === 0).map((d: any) => d.deviceId);
    assert.equal(canary.length, 2);
    for (const d of c.devices) assert.equal(await assignedVersion(d.deviceId), d.stage === 0 ? '2.0.1' : undefined);
    const byId = new Map(devices.map((d) => [d.id, d]));
    await report(byId.get(canary[0])!, 'FAILED'); // 1 of 2 = 50%, over the 40% allowed
    const paused = await waitFor(async () => {
      const now = await campaign(c.id);
      return now.status === 'paused' && now;
    }, 'campaign paused');
    assert.match(paused.pausedReason, /1 of 2 devices FAILED/);
    const rest = c.devices.filter((d: any) => d.stage === 1);
    for (const d of rest) assert.equal(await assignedVersion(d.deviceId), undefined, 'not rolled out further');
    const resumed = await request(vigil.http, 'POST', `/api/v1/ota/campaigns/${c.id}/resume`, { token });
    assert.equal(resumed.body.status, 'running');
    assert.equal(resumed.body.stage, 1);
    assert.equal(await assignedVersion(rest[0].deviceId), '2.0.1');

    // Rollback: every device the campaign reached gets its previous assignment back (here: none).
    const rolled = await request(vigil.http, 'POST', `/api/v1/ota/campaigns/${c.id}/rollback`, { token });
    assert.equal(rolled.body.status, 'rolled_back');
    for (const d of c.devices) assert.equal(await assignedVersion(d.deviceId), undefined);
  });

  test('campaign - updated canaries that raise alarms pause the campaign (maxAlarmRatio), even though none FAILED', async () => {
    const devices = await fleet('alarm-canary', 10);
    const rule = await request(vigil.http, 'POST', '/api/v1/rules', {
      token,
      body: { name: 'canary too hot', target: { deviceType: 'alarm-canary' }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80 } },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const res = await request(vigil.http, 'POST', '/api/v1/ota/campaigns', {
      token,
      body: { packageId: pkg.id, deviceType: 'alarm-canary', stagePercents: [20, 100], maxFailureRatio: 0.5, maxAlarmRatio: 0.4 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const c = res.body;
    assert.equal(c.maxAlarmRatio, 0.4);
    const byId = new Map(devices.map((d) => [d.id, d]));
    const [first, second] = c.devices.filter((d: any) => d.stage === 0).map((d: any) => byId.get(d.deviceId)!);
    await report(first, 'UPDATED');
    await waitFor(async () => (await campaign(c.id)).devices.find((d: any) => d.deviceId === first.id).state === 'UPDATED', 'UPDATED recorded');
    // The updated canary misbehaves: the rule raises an alarm on it (1 of 2 = 50%, over the 40% allowed).
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${first.accessToken}/telemetry`, { body: { temperature: 95 } })).status, 200);
    const paused = await waitFor(async () => {
      const now = await campaign(c.id);
      return now.status === 'paused' && now;
    }, 'campaign paused by alarms');
    assert.match(paused.pausedReason, /1 of 2 updated devices raised alarms/);
    await report(second, 'UPDATED'); // the stage completes, but the campaign stays paused
    for (const d of c.devices.filter((d: any) => d.stage === 1)) assert.equal(await assignedVersion(d.deviceId), undefined, 'not rolled out further');
    assert.equal((await campaign(c.id)).status, 'paused');
  });

  test('campaign - rollback restores the version each device had before', async () => {
    const [device] = await fleet('rollback', 1);
    const old = await fetch(`${vigil.http}/api/v1/ota/packages?kind=firmware&title=tracker-fw&version=1.9.0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('old firmware'),
    });
    const oldPkg = (await old.json()) as { id: string };
    await request(vigil.http, 'PUT', `/api/v1/devices/${device!.id}/ota/firmware`, { token, body: { packageId: oldPkg.id } });
    const c = (await request(vigil.http, 'POST', '/api/v1/ota/campaigns', { token, body: { packageId: pkg.id, deviceType: 'rollback', stagePercents: [100] } })).body;
    assert.equal(await assignedVersion(device!.id), '2.0.1');
    await request(vigil.http, 'POST', `/api/v1/ota/campaigns/${c.id}/rollback`, { token });
    assert.equal(await assignedVersion(device!.id), '1.9.0');
  });

  test('campaign - healthy stages roll out one after the other until completed', async () => {
    const devices = await fleet('canary-ok', 4);
    const res = await request(vigil.http, 'POST', '/api/v1/ota/campaigns', { token, body: { packageId: pkg.id, deviceType: 'canary-ok', stagePercents: [25, 100] } });
    const c = res.body;
    const byId = new Map(devices.map((d) => [d.id, d]));
    const first = c.devices.find((d: any) => d.stage === 0).deviceId;
    await report(byId.get(first)!, 'UPDATED');
    const stage2 = await waitFor(async () => {
      const now = await campaign(c.id);
      return now.stage === 1 && now;
    }, 'second stage');
    for (const d of stage2.devices) assert.equal(await assignedVersion(d.deviceId), '2.0.1');
    for (const d of stage2.devices.filter((x: any) => x.stage === 1)) await report(byId.get(d.deviceId)!, 'UPDATED');
    await waitFor(async () => (await campaign(c.id)).status === 'completed', 'completed');
  });
});
