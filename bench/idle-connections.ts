// `npm run bench:idle [-- --connections 19000 --sources 4 --hold-ms 10000]`: memory of idle MQTT
// connections. Starts `vigil start`, opens the connections from several 127.0.0.x source
// addresses (one address pair allows ~28k ephemeral ports), checks every one still answers a
// PINGREQ after the hold, and reports the server's RSS and V8 heap growth per connection.
// The ceiling here is the open-file limit (each process may hold at most `ulimit -Hn` files: the
// server needs one per connection, so ~19k connections on a 20k limit); the per-connection
// figure is what extrapolates to 100k on a host with a higher limit.
//
// `npm run bench:idle -- --nodes 6 --connections 100000 [--json out.json]`: the same over several
// nodes in scaled-out mode, opened by several client processes (bench/idle-scaled-out.ts), with a
// per-node and total memory report; needs PostgreSQL, NATS and Redis (skipped with the reason
// when one is missing).
import { parseArgs } from 'node:util';
import { rm, writeFile } from 'node:fs/promises';
import { ApiClient } from '../src/simulator/api.js';
import { BENCH_PASSWORD, rssBytes, startVigilProcess } from './lib/processes.js';
import { RawMqtt } from './lib/raw-mqtt.js';
import { sleep } from './lib/stats.js';
import { idleScaledOut } from './idle-scaled-out.js';

async function heapUsedBytes(http: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const m = /^vigil_process_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '19000' },
      // Default 4 on one node, 8 over several (100k connections need at least four: ~28k ports each).
      sources: { type: 'string' },
      devices: { type: 'string', default: '200' },
      'hold-ms': { type: 'string', default: '10000' },
      // Connects in flight: default 200 on one node, 32 per client process over several.
      concurrency: { type: 'string' },
      // Several nodes (scaled-out mode): the options below apply to it only.
      nodes: { type: 'string', default: '1' },
      workers: { type: 'string' },
      'devices-per-node': { type: 'string', default: '100' },
      'connect-rate': { type: 'string', default: '400' },
      json: { type: 'string' },
    },
  });
  if (Number(values.nodes) > 1) {
    const result = await idleScaledOut({
      nodes: Number(values.nodes),
      connections: Number(values.connections),
      ...(values.workers ? { workers: Number(values.workers) } : {}),
      sources: Number(values.sources ?? 8),
      devicesPerNode: Number(values['devices-per-node']),
      holdMs: Number(values['hold-ms']),
      connectRatePerSec: Number(values['connect-rate']),
      concurrencyPerWorker: Number(values.concurrency ?? 32),
    });
    console.log(JSON.stringify(result, null, 2));
    if (values.json) await writeFile(values.json, JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const target = Number(values.connections);
  const sources = Array.from({ length: Number(values.sources ?? 4) }, (_, i) => `127.0.0.${i + 1}`);
  const v = await startVigilProcess({ env: { VIGIL_ANOMALY_DETECTION: 'false' } });
  try {
    const api = new ApiClient(v.http);
    await api.login('admin@localhost', BENCH_PASSWORD);
    const devices = await api.createDevices(Array.from({ length: Number(values.devices) }, (_, i) => ({ name: `idle-${i}`, type: 'bench' })), 8);
    await sleep(2000);
    const rssBefore = rssBytes(v.pid);
    const heapBefore = await heapUsedBytes(v.http);
    const conns: RawMqtt[] = [];
    let errors = 0;
    let lastError = '';
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < target) {
        const i = next++;
        try {
          conns.push(
            await RawMqtt.connect({
              host: '127.0.0.1',
              port: v.mqttPort,
              clientId: `idle-${i}`,
              username: devices[i % devices.length]!.accessToken,
              keepaliveSec: 300,
              localAddress: sources[i % sources.length],
            }),
          );
        } catch (err) {
          errors++;
          lastError = (err as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: Number(values.concurrency ?? 200) }, worker));
    const connectSec = (performance.now() - t0) / 1000;
    await sleep(Number(values['hold-ms']));
    let alive = 0;
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.closed) return resolve();
            const timer = setTimeout(resolve, 30_000);
            c.onPingresp = () => {
              alive++;
              clearTimeout(timer);
              resolve();
            };
            c.ping();
          }),
      ),
    );
    const rssAfter = rssBytes(v.pid);
    const heapAfter = await heapUsedBytes(v.http);
    for (const c of conns) c.destroy();
    const result = {
      target,
      sources,
      opened: conns.length,
      connectErrors: errors,
      lastError: lastError || null,
      answeringPing: alive,
      connectPerSec: Math.round(conns.length / connectSec),
      rssBeforeMiB: +(rssBefore / 2 ** 20).toFixed(1),
      rssAfterMiB: +(rssAfter / 2 ** 20).toFixed(1),
      rssBytesPerConnection: alive > 0 ? Math.round((rssAfter - rssBefore) / alive) : null,
      heapBytesPerConnection: alive > 0 ? Math.round((heapAfter - heapBefore) / alive) : null,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await v.stop();
    await rm(v.dataDir, { recursive: true, force: true });
  }
}

await main();
