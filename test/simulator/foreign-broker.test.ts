// Port 1883 held by another broker: it acknowledges every publish while Vigil receives nothing.
// `vigil simulate` must fail loudly instead of reporting success. The foreign broker is a real
// Mosquitto: the one on 1883 when there is one (as on the development machine), else a
// throwaway one on a free port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ADMIN_PASSWORD, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { run as simulate } from '../../src/cli/simulate.js';
import { ApiClient } from '../../src/simulator/api.js';
import { confirmDelivery, DeliveryError } from '../../src/simulator/delivery-check.js';
import { Fleet } from '../../src/simulator/fleet.js';
import { PRESETS } from '../../src/simulator/models.js';

async function acceptsAnyone(url: string): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(url, { username: 'not-a-vigil-token', reconnectPeriod: 0, connectTimeout: 3_000 });
    await client.endAsync(true);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Captures console.error while fn runs (the CLI's one-line messages); drops console.log. */
async function errorsOf(fn: () => Promise<number>): Promise<{ code: number; errors: string[] }> {
  const errors: string[] = [];
  const [log, error] = [console.log, console.error];
  console.error = (msg: string) => errors.push(String(msg));
  console.log = () => undefined;
  try {
    return { code: await fn(), errors };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

describe('simulator - a foreign broker on the MQTT port', () => {
  let vigil: Running;
  let foreignUrl: string;
  let mosquitto: ChildProcess | null = null;
  let out: string;

  before(async () => {
    vigil = await startVigil();
    out = await mkdtemp(join(tmpdir(), 'vigil-sim-foreign-'));
    if (await acceptsAnyone('mqtt://127.0.0.1:1883')) {
      foreignUrl = 'mqtt://127.0.0.1:1883';
    } else {
      const port = await freePort();
      mosquitto = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
      foreignUrl = `mqtt://127.0.0.1:${port}`;
      await waitFor(() => acceptsAnyone(foreignUrl), `a throwaway mosquitto on ${port}`, 15_000);
    }
  });
  after(async () => {
    mosquitto?.kill('SIGTERM');
    await vigil.stop();
    await rm(out, { recursive: true, force: true });
  });

  test('vigil simulate refuses a broker that accepts a made-up token, in one line', async () => {
    const { code, errors } = await errorsOf(() =>
      simulate(['--url', vigil.http, '--mqtt-url', foreignUrl, '--password', ADMIN_PASSWORD, '--devices', '2', '--duration', '30s', '--out', out]),
    );
    assert.equal(code, 1);
    assert.deepEqual(errors, [
      `vigil simulate: ${foreignUrl} accepted a made-up device token, so it is not Vigil's MQTT port (Vigil refuses unknown tokens); ` +
        "another broker probably holds it: give --mqtt-url the MQTT port Vigil printed in its 'vigil ready' line",
    ]);
  });

  test('acknowledged points that Vigil does not show fail the delivery check', async () => {
    const stopRun = new AbortController();
    const fleet = new Fleet({
      url: vigil.http,
      mqttUrl: foreignUrl,
      coapUrl: 'coap://127.0.0.1:5683',
      mix: PRESETS.home!,
      preset: 'home',
      devices: 2,
      intervalMs: 200,
      durationMs: 60_000,
      transport: 'mqtt',
      faultsPerHour: 0,
      seed: 3,
      outDir: out,
      email: 'admin@localhost',
      password: ADMIN_PASSWORD,
      namePrefix: 'foreign',
      drainMs: 500,
      signal: stopRun.signal,
    });
    await fleet.provision();
    fleet.build();
    const run = fleet.run();
    const api = new ApiClient(vigil.http);
    await api.login('admin@localhost', ADMIN_PASSWORD);
    try {
      await assert.rejects(
        confirmDelivery(api, fleet, { firstAckTimeoutMs: 30_000, timeoutMs: 3_000, pollMs: 100 }),
        (err: Error) =>
          err instanceof DeliveryError &&
          /acknowledged \d+ points of [12] MQTT devices, but Vigil at .* shows none of them after 3 s: .* is not this Vigil's MQTT port/.test(err.message),
      );
    } finally {
      stopRun.abort();
      await run;
    }
  });

  test("against Vigil's own ports the check passes and the run succeeds", async () => {
    const { code, errors } = await errorsOf(() =>
      simulate([
        '--url', vigil.http,
        '--mqtt-url', `mqtt://127.0.0.1:${vigil.mqttPort}`,
        '--transport', 'mixed',
        '--password', ADMIN_PASSWORD,
        '--devices', '2',
        '--interval', '200ms',
        '--duration', '6s',
        '--out', out,
        '--json',
      ]),
    );
    assert.equal(code, 0, errors.join('\n'));
    assert.ok(
      errors.some((e) => /^Vigil shows the telemetry the devices sent \((mqtt, http|http, mqtt)\)$/.test(e)),
      errors.join('\n'),
    );
  });
});
