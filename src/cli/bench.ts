// `vigil bench ingest`: a load generator against a running Vigil. Registers devices, opens many
// lightweight connections, publishes at a target rate and reports sent, acknowledged, stored
// (verified by query), throughput and latency percentiles, as a table and as JSON.
// The whole suite (with baselines) is `npm run bench` (bench/run-suite.ts).
import { ApiClient } from '../simulator/api.js';
import { parseDuration } from '../util/duration.js';
import { runMqttLoad } from '../../bench/lib/mqtt-load.js';
import { liveWatcher, storedLatencyProbe, waitStored } from '../../bench/lib/observers.js';
import { Samples, type LatencySummary } from '../../bench/lib/stats.js';
import { parseCommandLine } from './args.js';

const HELP = `usage: vigil bench ingest [options]

  --connections <n>   device connections (default 100)
  --devices <n>       device credentials to register, shared by the connections (default: connections, at most 1000)
  --rate <n>          target points per second in total; 0 = as fast as acks allow (default 10000)
  --qos <0|1>         MQTT QoS (default 1)
  --duration <d>      how long to publish (default 60s)
  --payload-keys <n>  keys per message (default 5)
  --transport <t>     mqtt | http (default mqtt)
  --url <url>         Vigil HTTP base URL (default http://localhost:8080)
  --mqtt-url <url>    MQTT broker (default: the --url host on port 1883)
  --password <p>      admin password (default $VIGIL_ADMIN_PASSWORD)
  --json              print only JSON

Start the server with higher limits first, e.g.
  VIGIL_DEVICE_RATE_LIMIT_PER_SEC=1000000 VIGIL_API_RATE_LIMIT_PER_MIN=100000000 vigil start
The suite with baselines is \`npm run bench\` (docs/benchmarks.md).`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'ingest') {
    console.error(sub && sub !== '--help' && sub !== '-h' ? `vigil bench: unknown benchmark "${sub}"\n\n${HELP}` : HELP);
    return sub === '--help' || sub === '-h' ? 0 : 1;
  }
  const parsed = parseCommandLine(
    'bench',
    rest,
    {
      connections: { type: 'string', default: '100' },
      devices: { type: 'string' },
      rate: { type: 'string', default: '10000' },
      qos: { type: 'string', default: '1' },
      duration: { type: 'string', default: '60s' },
      'payload-keys': { type: 'string', default: '5' },
      transport: { type: 'string', default: 'mqtt' },
      url: { type: 'string', default: 'http://localhost:8080' },
      'mqtt-url': { type: 'string' },
      password: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    HELP,
  );
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const f = parsed.values;
  const connections = Number(f.connections);
  const rate = Number(f.rate);
  const qos = Number(f.qos);
  const keys = Number(f['payload-keys']);
  const transport = f.transport;
  const problems: string[] = [];
  if (!Number.isInteger(connections) || connections < 1 || connections > 100_000) problems.push('--connections must be 1..100000');
  if (!(rate >= 0)) problems.push('--rate must be >= 0');
  if (qos !== 0 && qos !== 1) problems.push('--qos must be 0 or 1');
  if (!Number.isInteger(keys) || keys < 1 || keys > 1000) problems.push('--payload-keys must be 1..1000');
  if (transport !== 'mqtt' && transport !== 'http') problems.push('--transport must be mqtt or http');
  const password = f.password ?? process.env.VIGIL_ADMIN_PASSWORD;
  if (!password) problems.push('give --password or set VIGIL_ADMIN_PASSWORD');
  let durationMs = 0;
  try {
    durationMs = parseDuration(f.duration!, '--duration');
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length) {
    console.error(`vigil bench: ${problems.join('; ')}`);
    return 1;
  }
  const url = f.url!.replace(/\/+$/, '');
  const mqttUrl = new URL(f['mqtt-url'] ?? `mqtt://${new URL(url).hostname}:1883`);
  const api = new ApiClient(url);
  await api.login('admin@localhost', password!);
  const nDevices = Math.min(Number(f.devices ?? Math.min(connections, 1000)), connections);
  const stamp = Date.now().toString(36);
  const devs = await api.createDevices(Array.from({ length: nDevices + 1 }, (_, i) => ({ name: `bench-${stamp}-${i}`, type: 'bench' })));
  const probeDevice = devs.pop()!;
  const from = Date.now() - 1000;
  let result: Record<string, unknown>;
  if (transport === 'mqtt') {
    const watcher = await liveWatcher(url, api.accessToken, devs.slice(0, 10).map((d) => d.id));
    const probe = storedLatencyProbe({ http: url, token: api.accessToken, host: mqttUrl.hostname, mqttPort: Number(mqttUrl.port || 1883), device: probeDevice });
    const load = await runMqttLoad({
      host: mqttUrl.hostname,
      port: Number(mqttUrl.port || 1883),
      tokens: devs.map((d) => d.accessToken),
      connections,
      ratePointsPerSec: rate,
      qos: qos as 0 | 1,
      durationMs,
      payloadKeys: keys,
    });
    const storedMs = await probe.stop();
    watcher.close();
    const stored = await waitStored(url, api.accessToken, devs.map((d) => d.id), from, load.pointsAcked, 120_000);
    result = { transport, ...load, pointsStored: stored, storedMs, liveMs: watcher.samples.summary() };
  } else {
    result = { transport, ...(await httpLoad(url, devs.map((d) => d.accessToken), Math.min(connections, 64), rate, keys, durationMs)) };
    const stored = await waitStored(url, api.accessToken, devs.map((d) => d.id), from - 3_600_000, result.pointsAcked as number, 120_000);
    result.pointsStored = stored;
  }
  if (f.json) console.log(JSON.stringify(result, null, 2));
  else printTable(result);
  return 0;
}

async function httpLoad(url: string, tokens: string[], concurrency: number, rate: number, keys: number, durationMs: number) {
  const entries = 100;
  const perRequest = entries * keys;
  const latency = new Samples();
  let sent = 0, ok = 0, errors = 0;
  const t0 = performance.now();
  const worker = async (w: number) => {
    for (let i = 0; performance.now() - t0 < durationMs; i++) {
      if (rate > 0) {
        const due = ((sent * perRequest) / rate) * 1000;
        const wait = due - (performance.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const base = Date.now() - entries;
      const body = JSON.stringify(Array.from({ length: entries }, (_, e) => ({ ts: base + e, values: Object.fromEntries(Array.from({ length: keys }, (_, k) => [`k${k}`, (e + k) % 100])) })));
      sent++;
      const t = performance.now();
      const res = await fetch(`${url}/api/v1/${tokens[(w + i) % tokens.length]}/telemetry`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => null);
      await res?.arrayBuffer();
      if (res?.ok) {
        ok++;
        latency.add(performance.now() - t);
      } else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const sec = (performance.now() - t0) / 1000;
  return { requests: sent, errors, pointsSent: sent * perRequest, pointsAcked: ok * perRequest, elapsedSec: Math.round(sec * 1000) / 1000, ackedPointsPerSec: Math.round((ok * perRequest) / sec), requestMs: latency.summary() };
}

function printTable(r: Record<string, unknown>): void {
  const lat = (name: string, l: unknown) => {
    const s = l as LatencySummary | undefined;
    if (!s) return;
    console.log(`${name.padEnd(28)} p50 ${s.p50 ?? '–'}  p90 ${s.p90 ?? '–'}  p99 ${s.p99 ?? '–'}  max ${s.max ?? '–'}  (n=${s.count})`);
  };
  for (const k of ['transport', 'connections', 'connectErrors', 'requests', 'errors', 'pointsSent', 'pointsAcked', 'pointsStored', 'elapsedSec', 'ackedPointsPerSec']) {
    if (r[k] !== undefined) console.log(`${k.padEnd(28)} ${String(r[k])}`);
  }
  lat('publish→PUBACK ms', r.pubackMs);
  lat('HTTP request ms', r.requestMs);
  lat('publish→stored ms', r.storedMs);
  lat('publish→Socket.IO ms', r.liveMs);
}
