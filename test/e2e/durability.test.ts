// An acknowledged point is never lost: not on SIGTERM, not on kill -9 right after the ack.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import mqtt from 'mqtt';
import { ADMIN_PASSWORD, createDevice, login, request, tempDir, waitFor } from '../helpers/harness.js';
import { runVigil, startVigilProcess } from '../helpers/process.js';

const env = { VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD };

describe('durability of acknowledged points', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('kill -9 right after the acks: every acknowledged point is there after restart', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startVigilProcess(dataDir, env);
    const token = await login(first.http);
    const device = await createDevice(first.http, token, 'crashy');

    const base = Date.now() - 600_000;
    // HTTP: 20 acknowledged batches of 100 points.
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => ({ ts: base + b * 100 + i, values: { http_seq: b * 100 + i } }));
      const res = await request(first.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: batch });
      assert.equal(res.status, 200);
    }
    // MQTT QoS 1: 200 messages, each acknowledged by PUBACK.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0 });
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ ts: base + i, values: { mqtt_seq: i } }), { qos: 1 }),
      ),
    );
    first.child.kill('SIGKILL');
    await first.exited;
    client.end(true);

    const second = await startVigilProcess(dataDir, env);
    try {
      const token2 = await login(second.http);
      const q = `/api/v1/devices/${device.id}/telemetry?from=${base - 1}&to=${base + 5000}&limit=10000&interval=1d&agg=count`;
      const counts = await waitFor(async () => {
        const r = await request(second.http, 'GET', q, { token: token2 });
        const http = r.body.data.http_seq?.[0]?.count ?? 0;
        const mq = r.body.data.mqtt_seq?.[0]?.count ?? 0;
        return http === 2000 && mq === 200 ? { http, mq } : null;
      }, 'all acknowledged points after restart', 20_000);
      assert.deepEqual(counts, { http: 2000, mq: 200 });
      // Replaying the log never duplicates: counts are exact, checked again after a pause.
      await new Promise((r) => setTimeout(r, 500));
      const again = await request(second.http, 'GET', q, { token: token2 });
      assert.equal(again.body.data.http_seq[0].count, 2000);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  test('SIGTERM flushes everything and exits 0; the data is there on the next start', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startVigilProcess(dataDir, env);
    const token = await login(first.http);
    const device = await createDevice(first.http, token, 'graceful');
    const batch = Array.from({ length: 5000 }, (_, i) => ({ ts: Date.now() - 100_000 + i, values: { v: i } }));
    assert.equal((await request(first.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: batch })).status, 200);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const second = await startVigilProcess(dataDir, env);
    try {
      const token2 = await login(second.http);
      const r = await request(second.http, 'GET', `/api/v1/devices/${device.id}/telemetry?interval=1d&agg=count&from=0`, { token: token2 });
      assert.equal(r.body.data.v[0].count, 5000);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  test('a port already in use gives a one-line error naming the port and the flag, exit code 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const run = runVigil(['start', '--http-port', String(port), '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], env);
    const code = await run.exited;
    blocker.close();
    assert.equal(code, 1);
    const line = run.output().trim().split('\n').filter((l) => l.startsWith('vigil:'));
    assert.equal(line.length, 1, run.output());
    assert.match(line[0]!, new RegExp(`port ${port} is already in use.*--http-port`));
    assert.doesNotMatch(run.output(), /at .*\.js:\d+/, 'no stack trace');
  });
});
