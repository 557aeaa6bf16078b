import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { Fleet, type FleetOptions } from '../../src/simulator/fleet.js';
import { PRESETS } from '../../src/simulator/models.js';
import { run as simulate } from '../../src/cli/simulate.js';

/** A TCP proxy the test can cut and restore: the device sees its broker vanish and return. */
class Cuttable {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly targetPort: number) {}
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }
}

async function storedCount(base: string, token: string, deviceId: string, from: number): Promise<{ count: number; ts: number[] }> {
  const r = await request(base, 'GET', `/api/v1/devices/${deviceId}/telemetry?from=${from}&to=${Date.now() + 60_000}&limit=100000`, { token });
  const ts: number[] = [];
  let count = 0;
  for (const points of Object.values(r.body.data ?? {}) as { ts: number }[][]) {
    count += points.length;
    for (const p of points) ts.push(p.ts);
  }
  return { count, ts: [...new Set(ts)].sort((a, b) => a - b) };
}

describe('simulator - fleet against a running Vigil', () => {
  let vigil: Running;
  let token: string;
  let out: string;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    out = await mkdtemp(join(tmpdir(), 'vigil-sim-'));
  });
  after(async () => vigil.stop());

  const options = (extra: Partial<FleetOptions>): FleetOptions => ({
    url: vigil.http,
    mqttUrl: `mqtt://127.0.0.1:${vigil.mqttPort}`,
    coapUrl: `coap://127.0.0.1:${vigil.coapPort}`,
    mix: PRESETS.factory!,
    preset: 'factory',
    devices: 3,
    intervalMs: 200,
    durationMs: 2_000,
    transport: 'mixed',
    faultsPerHour: 0,
    seed: 42,
    outDir: out,
    email: 'admin@localhost',
    password: ADMIN_PASSWORD,
    drainMs: 3_000,
    ...extra,
  });

  test('three devices over MQTT and HTTP register and their points are queryable', async () => {
    const fleet = new Fleet(options({ faultsPerHour: 600 }));
    const summary = await fleet.run();
    assert.equal(summary.devices, 3);
    assert.ok(summary.pointsAcked > 0);
    assert.equal(summary.buffered, 0);
    for (const d of fleet.devices) {
      const expected = d.stats.pointsAcked;
      assert.ok(expected > 0, `${d.name} sent`);
      await waitFor(async () => (await storedCount(vigil.http, token, d.id, 0)).count === expected, `${d.name} stored ${expected}`);
      const latest = await request(vigil.http, 'GET', `/api/v1/devices/${d.id}/telemetry/latest`, { token });
      assert.ok(Object.keys(latest.body.data).length >= 2);
    }
    const labels = JSON.parse(await readFile(summary.labelsFile, 'utf8'));
    assert.equal(labels.devices.length, 3);
    assert.equal(labels.faults.length, summary.faults);
    for (const f of labels.faults) assert.ok(fleet.provisioned.some((p) => p.id === f.deviceId));
  });

  test('a device buffers while its broker is gone and delivers later after reconnecting with backoff', async () => {
    const proxy = new Cuttable(vigil.mqttPort);
    await proxy.up();
    const fleet = new Fleet(
      options({
        devices: 1,
        transport: 'mqtt',
        mix: { 'env-sensor': 1 },
        mqttUrl: `mqtt://127.0.0.1:${proxy.port}`,
        intervalMs: 100,
        durationMs: 4_000,
        backoffBaseMs: 100,
        backoffMaxMs: 400,
        seed: 7,
      }),
    );
    await fleet.provision();
    const started = Date.now();
    const running = fleet.run();
    await new Promise((r) => setTimeout(r, 1_000));
    const cutAt = Date.now();
    await proxy.down();
    await new Promise((r) => setTimeout(r, 1_500));
    const device = fleet.devices[0]!;
    assert.equal(device.online, false);
    assert.ok(device.buffered >= 5, `buffered ${device.buffered} samples while offline`);
    const restoredAt = Date.now();
    await proxy.up();
    const summary = await running;
    assert.ok(summary.reconnects >= 1);
    assert.equal(summary.buffered, 0);
    assert.equal(summary.dropped, 0);
    const stored = await waitFor(async () => {
      const s = await storedCount(vigil.http, token, device.id, started - 1000);
      return s.count === device.stats.pointsAcked ? s : null;
    }, 'all points stored');
    const during = stored.ts.filter((ts) => ts > cutAt + 200 && ts < restoredAt - 200);
    assert.ok(during.length >= 5, `${during.length} samples from the outage arrived later`);
    await proxy.down();
  });

  test('vigil simulate --transport coap delivers over CoAP and passes its own delivery check', async () => {
    const code = await simulate([
      '--transport', 'coap', '--url', vigil.http, '--coap-url', `coap://127.0.0.1:${vigil.coapPort}`,
      '--password', ADMIN_PASSWORD, '--devices', '2', '--interval', '200ms', '--duration', '2s', '--out', out, '--seed', '7',
    ]);
    assert.equal(code, 0);
    const fleetFile = JSON.parse(await readFile(join(out, 'fleet.json'), 'utf8')) as { devices: { id: string }[] };
    for (const d of fleetFile.devices) assert.ok((await storedCount(vigil.http, token, d.id, 0)).count > 0);
  });

  test('vigil simulate refuses a transport it does not have with one clear line', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (msg: string) => errors.push(msg);
    try {
      const code = await simulate(['--transport', 'lora', '--url', vigil.http, '--password', ADMIN_PASSWORD, '--duration', '1s']);
      assert.equal(code, 1);
    } finally {
      console.error = original;
    }
    assert.deepEqual(errors, ['vigil simulate: --transport must be mqtt, http, coap or mixed; got "lora"']);
  });
});
