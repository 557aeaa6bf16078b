// `node dist/bench/shutdown.js [--series 200000] [--keys-per-device 500] [--points 3] [--restart]`:
// how long a real `vigil start` takes from SIGTERM to exit when it holds many live anomaly models.
// Devices post `--points` points for each of their keys over HTTP (every key becomes a series with
// its own model), the server is given a moment to settle, then it gets SIGTERM. With --restart it
// starts again on the same data and reports how many models came back. Prints one JSON object.
import { Agent, request as httpRequest } from 'node:http';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApiClient } from '../src/simulator/api.js';
import { BENCH_PASSWORD, rssBytes, startVigilProcess } from './lib/processes.js';
import { sleep } from './lib/stats.js';

function post(agent: Agent, base: URL, path: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: base.hostname, port: base.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function modelCount(http: string, token: string): Promise<number> {
  const res = await fetch(`${http}/api/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { items?: unknown[] };
  return body.items?.length ?? -1;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      series: { type: 'string', default: '200000' },
      'keys-per-device': { type: 'string', default: '500' },
      points: { type: 'string', default: '3' },
      restart: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const series = Number(values.series);
  const keysPerDevice = Number(values['keys-per-device']);
  const pointsPerKey = Number(values.points);
  const env: Record<string, string> = { VIGIL_HTTP_BODY_LIMIT_BYTES: String(64 * 1024 * 1024) };
  for (const kv of values.env!) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const nDevices = Math.ceil(series / keysPerDevice);

  const v = await startVigilProcess({ env });
  const api = new ApiClient(v.http);
  await api.login('admin@localhost', BENCH_PASSWORD);
  const devs = await api.createDevices(Array.from({ length: nDevices }, (_, i) => ({ name: `shutdown-${i}`, type: 'shutdown-bench' })));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const base = new URL(v.http);
  const t0 = Date.now() - pointsPerKey * 1000;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < devs.length) {
      const d = devs[next++]!;
      const entries: string[] = [];
      for (let p = 0; p < pointsPerKey; p++) {
        let vals = '';
        for (let k = 0; k < keysPerDevice; k++) vals += `${k ? ',' : ''}"s${k}":${(k * 7 + p) % 100}`;
        entries.push(`{"ts":${t0 + p * 1000},"values":{${vals}}}`);
      }
      if ((await post(agent, base, `/api/v1/${d.accessToken}/telemetry`, `[${entries.join(',')}]`)) !== 200) failed++;
    }
  };
  const ingestStarted = Date.now();
  await Promise.all(Array.from({ length: 4 }, worker));
  const ingestSec = (Date.now() - ingestStarted) / 1000;
  agent.destroy();
  const models = await modelCount(v.http, api.accessToken);
  await sleep(2000);
  const rssMiB = Math.round(rssBytes(v.pid) / 2 ** 20);

  const exited = new Promise<void>((r) => v.child.once('exit', () => r()));
  const stopStarted = performance.now();
  v.child.kill('SIGTERM');
  await exited;
  const shutdownSec = Math.round(performance.now() - stopStarted) / 1000;
  console.error(`shutdown: ${nDevices * keysPerDevice} series, SIGTERM to exit ${shutdownSec} s (RSS before ${rssMiB} MiB)`);

  let modelsAfterRestart: number | null = null;
  if (values.restart) {
    const again = await startVigilProcess({ dataDir: v.dataDir, env, startTimeoutMs: 600_000 });
    const api2 = new ApiClient(again.http);
    await api2.login('admin@localhost', BENCH_PASSWORD);
    modelsAfterRestart = await modelCount(again.http, api2.accessToken);
    await again.stop();
  }
  await rm(v.dataDir, { recursive: true, force: true });
  console.log(JSON.stringify({ series: nDevices * keysPerDevice, devices: nDevices, pointsPerKey, failedRequests: failed, ingestSec, models, rssMiB, shutdownSec, modelsAfterRestart }));
}

await main();
