// SenML JSON on the device telemetry route, sent with curl as a user would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cbor from 'cbor';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);

describe('SenML over HTTP', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'senml-node');
  });
  after(async () => vigil.stop());

  test('curl posts a pack with base name, base time and units; points and units are readable', async () => {
    const bt = Math.floor(Date.now() / 1000) - 120;
    const pack = JSON.stringify([
      { bn: 'room1/', bt, bu: 'Cel', n: 'temp', v: 21.5 },
      { n: 'temp', t: 60, v: 22 },
      { n: 'hum', u: '%RH', v: 40 },
      { n: 'door', vb: false },
    ]);
    const { stdout } = await run('curl', [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-H',
      'Content-Type: application/senml+json',
      '--data-binary',
      pack,
      `${vigil.http}/api/v1/${device.accessToken}/telemetry`,
    ]);
    const [body, status] = stdout.split('\n');
    assert.equal(status, '200', body);
    assert.deepEqual(JSON.parse(body!), { accepted: 4 });

    const raw = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=room1/temp&from=${bt * 1000 - 1}&to=${Date.now()}`, { token });
      return r.body.data['room1/temp']?.length === 2 ? r.body.data['room1/temp'] : null;
    }, 'two temperature points');
    assert.deepEqual(raw, [
      { ts: bt * 1000, value: 21.5 },
      { ts: (bt + 60) * 1000, value: 22 },
    ]);
    const keys = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
      return r.body.keys.length === 3 ? r.body : null;
    }, 'keys');
    assert.deepEqual(keys.keys, ['room1/door', 'room1/hum', 'room1/temp']);
    assert.deepEqual(keys.units, { 'room1/hum': '%RH', 'room1/temp': 'Cel', 'room1/door': 'Cel' });
  });

  test('SenML CBOR with curl --data-binary', async () => {
    const file = join(await tempDir('vigil-senml-'), 'pack.cbor');
    await writeFile(file, cbor.encode([new Map<number, unknown>([[-2, 'cbor/'], [0, 'volts'], [1, 'V'], [2, 229.5]])]));
    const { stdout } = await run('curl', ['-sS', '-H', 'Content-Type: application/senml+cbor', '--data-binary', `@${file}`, `${vigil.http}/api/v1/${device.accessToken}/telemetry`]);
    assert.deepEqual(JSON.parse(stdout), { accepted: 1 });
    const latest = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=cbor/volts`, { token });
      return r.body.data['cbor/volts'] ?? null;
    }, 'cbor point');
    assert.equal(latest.value, 229.5);
    const keys = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
    assert.equal(keys.body.units['cbor/volts'], 'V');
  });

  test('a bad pack gets 422 and lands in the dead-letter log; plain JSON still works on the same route', async () => {
    const url = `/api/v1/${device.accessToken}/telemetry`;
    const bad = await request(vigil.http, 'POST', url, { raw: '[{"n":"x"}]', headers: { 'content-type': 'application/senml+json' } });
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /no value/);
    const log = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token });
    assert.equal(log.body.items[0].payloadHead, '[{"n":"x"}]');
    const json = await request(vigil.http, 'POST', url, { body: { plain: 1 } });
    assert.equal(json.status, 200);
  });
});
