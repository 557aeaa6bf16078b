// No device can take the server down with what it sends: cardinality limits (keys per device,
// series per tenant), points per message and text that is not valid UTF-8 are rejected with a
// reason in the dead-letter log, while other devices keep flowing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import mqtt from 'mqtt';
import { ADMIN_PASSWORD, createDevice, login, request, startVigil, tempDir, waitFor } from '../helpers/harness.js';
import { startVigilProcess } from '../helpers/process.js';

function keysPayload(prefix: string, from: number, count: number): string {
  const values: Record<string, number> = {};
  for (let i = 0; i < count; i++) values[`${prefix}${from + i}`] = i;
  return JSON.stringify(values);
}

async function rejectedReasons(base: string, token: string, deviceId: string): Promise<string[]> {
  const log = await request(base, 'GET', `/api/v1/ingest/rejected?deviceId=${deviceId}&limit=1000`, { token });
  assert.equal(log.status, 200);
  return log.body.items.map((e: { reason: string }) => e.reason);
}

describe('ingest limits', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('one device posting 100,000 distinct keys is stopped at its key limit; the process lives and other devices flow', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const vigil = await startVigilProcess(dataDir, {
      VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      VIGIL_MAX_KEYS_PER_DEVICE: '1000',
      VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '100000',
    });
    try {
      const token = await login(vigil.http);
      const flood = await createDevice(vigil.http, token, 'key-flood');
      const quiet = await createDevice(vigil.http, token, 'well-behaved');
      const statuses = new Map<number, number>();
      for (let r = 0; r < 200; r++) {
        const res = await request(vigil.http, 'POST', `/api/v1/${flood.accessToken}/telemetry`, { raw: keysPayload('k', r * 500, 500) });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 422) {
          assert.equal(res.body.error, 'TOO_MANY_KEYS');
          assert.match(res.body.message, /1000 keys per device \(maxKeysPerDevice\)/);
        }
        // Meanwhile another device keeps being served.
        if (r % 20 === 0) {
          const ok = await request(vigil.http, 'POST', `/api/v1/${quiet.accessToken}/telemetry`, { raw: JSON.stringify({ temp: r }) });
          assert.equal(ok.status, 200);
        }
      }
      assert.deepEqual(Object.fromEntries(statuses), { 200: 2, 422: 198 });
      // Known keys still flow for the flooding device: the limit stops new keys, not the device.
      assert.equal((await request(vigil.http, 'POST', `/api/v1/${flood.accessToken}/telemetry`, { raw: '{"k0":1,"k999":2}' })).status, 200);
      assert.equal(vigil.child.exitCode, null, 'the process is still running');
      assert.equal((await request(vigil.http, 'GET', '/ready')).status, 200);
      const keys = await waitFor(async () => {
        const r = await request(vigil.http, 'GET', `/api/v1/devices/${flood.id}/keys`, { token });
        return r.body.keys?.length === 1000 ? r.body.keys : null;
      }, 'the first 1000 keys stored');
      assert.equal(keys.length, 1000);
      assert.ok((await rejectedReasons(vigil.http, token, flood.id)).every((r) => r === 'too_many_keys'));
      const latest = await waitFor(async () => {
        const r = await request(vigil.http, 'GET', `/api/v1/devices/${quiet.id}/telemetry/latest`, { token });
        return r.body.data?.temp?.value === 180 ? r.body : null;
      }, 'the other device\'s last point');
      assert.equal(latest.data.temp.value, 180);
      const metrics = await (await fetch(`${vigil.http}/metrics`)).text();
      assert.match(metrics, /vigil_ingest_rejected_total\{transport="http",reason="too_many_keys"\} 198/);
    } finally {
      vigil.child.kill('SIGTERM');
      await vigil.exited;
    }
  });

  test('the series limit of a tenant holds across devices and across a restart', async () => {
    const env = { VIGIL_MAX_SERIES_PER_TENANT: '10', VIGIL_MAX_KEYS_PER_DEVICE: '8' };
    const first = await startVigil(env);
    const token = await login(first.http);
    const a = await createDevice(first.http, token, 'a');
    const b = await createDevice(first.http, token, 'b');
    assert.equal((await request(first.http, 'POST', `/api/v1/${a.accessToken}/telemetry`, { raw: keysPayload('x', 0, 8) })).status, 200);
    const over = await request(first.http, 'POST', `/api/v1/${b.accessToken}/telemetry`, { raw: keysPayload('y', 0, 3) });
    assert.equal(over.status, 422);
    assert.equal(over.body.error, 'TOO_MANY_SERIES');
    assert.match(over.body.message, /maxSeriesPerTenant/);
    assert.equal((await request(first.http, 'POST', `/api/v1/${b.accessToken}/telemetry`, { raw: keysPayload('y', 0, 2) })).status, 200);
    await waitFor(async () => (await request(first.http, 'GET', `/api/v1/devices/${b.id}/keys`, { token })).body.keys?.length === 2, 'b stored');
    await first.stop({ keepData: true });
    dirs.push(first.dataDir);

    const second = await startVigil(env, first.dataDir);
    try {
      const token2 = await login(second.http);
      // Still 10 series after the restart: a new one is refused, known ones are accepted.
      const again = await request(second.http, 'POST', `/api/v1/${b.accessToken}/telemetry`, { raw: '{"y0":1,"y9":1}' });
      assert.equal(again.status, 422);
      assert.equal((await request(second.http, 'POST', `/api/v1/${a.accessToken}/telemetry`, { raw: keysPayload('x', 0, 8) })).status, 200);
      assert.equal((await request(second.http, 'POST', `/api/v1/${a.accessToken}/telemetry`, { raw: '{"x8":1}' })).status, 422);
      // Deleting a device frees its series.
      assert.equal((await request(second.http, 'DELETE', `/api/v1/devices/${a.id}`, { token: token2 })).status, 204);
      assert.equal((await request(second.http, 'POST', `/api/v1/${b.accessToken}/telemetry`, { raw: keysPayload('y', 0, 8) })).status, 200);
      assert.deepEqual((await rejectedReasons(second.http, token2, b.id)).slice(0, 2), ['too_many_series', 'too_many_series']);
    } finally {
      await second.stop();
    }
  });

  test('points per message are capped', async () => {
    const vigil = await startVigil({ VIGIL_MAX_POINTS_PER_MESSAGE: '100' });
    try {
      const token = await login(vigil.http);
      const device = await createDevice(vigil.http, token, 'big-batches');
      const batch = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ ts: Date.now() - 10_000 + i, values: { v: i } })));
      assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: batch(100) })).status, 200);
      const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: batch(101) });
      assert.equal(res.status, 413);
      assert.equal(res.body.error, 'TOO_MANY_POINTS');
      assert.match(res.body.message, /at most 100 points/);
      assert.deepEqual(await rejectedReasons(vigil.http, token, device.id), ['too_many_points']);
    } finally {
      await vigil.stop();
    }
  });

  test('invalid UTF-8 and lone surrogates are rejected over HTTP and MQTT, not stored altered', async () => {
    const vigil = await startVigil();
    try {
      const token = await login(vigil.http);
      const device = await createDevice(vigil.http, token, 'bad-text');
      const post = (raw: string | Buffer) => request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw });
      const badBytes = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      for (const raw of [badBytes, '{"name":"\\ud800"}', '{"\\udfff":1}']) {
        const res = await post(raw);
        assert.equal(res.status, 400, String(raw));
        assert.equal(res.body.error, 'INVALID_UTF8');
      }
      const viaHeader = await request(vigil.http, 'POST', '/api/v1/telemetry', { raw: badBytes, headers: { 'x-api-key': device.accessToken } });
      assert.equal(viaHeader.status, 400);
      // The management API refuses them too, instead of storing a name altered to U+FFFD.
      const named = await request(vigil.http, 'POST', '/api/v1/devices', { token, raw: Buffer.concat([Buffer.from('{"name":"'), badBytes.subarray(9)]) });
      assert.equal(named.status, 400);
      assert.match(named.body.message, /UTF-8/);
      const surrogate = await request(vigil.http, 'POST', '/api/v1/devices', { token, raw: '{"name":"pump \\ud800"}' });
      assert.equal(surrogate.status, 400);
      assert.match(surrogate.body.message, /body\/name has a lone surrogate/);

      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0 });
      await client.publishAsync('v1/devices/me/telemetry', badBytes, { qos: 1 });
      await client.publishAsync('v1/devices/me/telemetry', '{"name":"\\udbff"}', { qos: 1 });
      await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ name: 'café 😀' }), { qos: 1 });
      await client.endAsync();

      const reasons = await rejectedReasons(vigil.http, token, device.id);
      assert.deepEqual(reasons, Array(6).fill('invalid_utf8'));
      const latest = await waitFor(async () => {
        const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest`, { token });
        return r.body.data?.name ? r.body.data : null;
      }, 'the valid point');
      assert.equal(latest.name.value, 'café 😀');
    } finally {
      await vigil.stop();
    }
  });
});
