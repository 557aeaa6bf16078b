// Heap cost of one new telemetry key (series), end to end through a real app: posts N distinct
// numeric keys over HTTP, waits until they are stored, and compares the heap after a full GC.
// Run: npm run build && node --expose-gc dist/scripts/measure-key-memory.js [keys] [keysPerRequest]
// Prints one line per configuration (anomaly detection on/off, detector kind) so the
// per-series cost of each component can be told apart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().heapUsed;
}

async function measure(keys: number, perRequest: number, env: Record<string, string>): Promise<{ bytesPerKey: number; rssPerKey: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-keymem-'));
  const config = loadConfig(
    { VIGIL_LOG_LEVEL: 'silent', VIGIL_ADMIN_PASSWORD: 'measure-keys', VIGIL_MAX_KEYS_PER_DEVICE: String(keys * 2), VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '100000', ...env },
    { httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir: dir },
  );
  const app = await buildApp(config);
  const { httpPort } = await app.listen();
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    const login = (await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password: 'measure-keys' }) })).json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
    const device = (await (await fetch(`${base}/api/v1/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'keys' }) })).json()) as {
      id: string;
      accessToken: string;
    };
    const post = async (from: number, count: number) => {
      const values: Record<string, number> = {};
      for (let i = 0; i < count; i++) values[`key_${from + i}`] = i;
      const res = await fetch(`${base}/api/v1/${device.accessToken}/telemetry`, { method: 'POST', body: JSON.stringify(values) });
      if (res.status !== 200) throw new Error(`post failed: ${res.status} ${await res.text()}`);
    };
    // Warm every path with a few keys first, so one-off allocations are not counted per key.
    await post(0, 100);
    await waitStored(base, auth, device.id, 100);
    const before = await settledHeap();
    const rssBefore = process.memoryUsage().rss;
    for (let k = 100; k < 100 + keys; k += perRequest) await post(k, Math.min(perRequest, 100 + keys - k));
    await waitStored(base, auth, device.id, 100 + keys);
    const after = await settledHeap();
    return { bytesPerKey: (after - before) / keys, rssPerKey: (process.memoryUsage().rss - rssBefore) / keys };
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitStored(base: string, headers: Record<string, string>, deviceId: string, count: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const body = (await (await fetch(`${base}/api/v1/devices/${deviceId}/keys`, { headers })).json()) as { keys: string[] };
    if (body.keys.length >= count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('keys not stored in time');
}

const keys = Number(process.argv[2] ?? 20_000);
const perRequest = Number(process.argv[3] ?? 500);
for (const [label, env] of [
  ['anomaly detection off', { VIGIL_ANOMALY_DETECTION: 'false' }],
  ['detector robust', { VIGIL_ANOMALY_DETECTOR: 'robust' }],
  ['detector auto (default)', {}],
] as const) {
  const r = await measure(keys, perRequest, env);
  console.log(`${label}: ${Math.round(r.bytesPerKey)} B heap per new key, ${Math.round(r.rssPerKey)} B RSS per new key (${keys} keys, ${perRequest} per request)`);
}
