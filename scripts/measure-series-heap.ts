// `node --expose-gc dist/scripts/measure-series-heap.js [--keys 20000] [--points 1]`: heap kept per
// new series on the live path, split into the anomaly model and everything else. An in-process
// Vigil takes `--keys` new keys (`--points` points each) over HTTP, once with anomaly detection on
// and once off; the heap difference after a full GC, per key, is what a series costs, and the
// model memory's own estimate (/metrics) shows how much of it the model state is.
import { createDevice, login, request, startVigil } from '../test/helpers/harness.js';
import { parseArgs } from 'node:util';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 300));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

async function measure(detection: boolean, keys: number, points: number) {
  const vigil = await startVigil({
    VIGIL_ANOMALY_DETECTION: String(detection),
    VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '100000',
    VIGIL_HTTP_BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
    VIGIL_MODEL_MEMORY_BUDGET_MB: '100000',
  });
  try {
    const token = await login(vigil.http);
    const device = await createDevice(vigil.http, token, 'many-keys');
    const start = Date.now() - points * 60_000;
    const send = async (prefix: string, n: number) => {
      const perRequest = Math.max(1, Math.floor(200_000 / points));
      for (let i = 0; i < n; i += perRequest) {
        const names = Array.from({ length: Math.min(perRequest, n - i) }, (_, j) => `${prefix}${i + j}`);
        const body = Array.from({ length: points }, (_, p) => ({ ts: start + p * 60_000, values: Object.fromEntries(names.map((k, j) => [k, 20 + ((j + p) % 7) / 10])) }));
        const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body });
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
      }
    };
    await send('warm', 1000); // first-use allocations (JIT, pools) out of the measurement
    const before = await settledHeap();
    const estimateBefore = await metric(vigil.http, 'vigil_models_resident_bytes');
    await send('k', keys);
    const after = await settledHeap();
    const estimate = (await metric(vigil.http, 'vigil_models_resident_bytes')) - estimateBefore;
    return { bytesPerKey: Math.round((after - before) / keys), modelEstimatePerKey: detection ? Math.round(estimate / keys) : 0 };
  } finally {
    await vigil.stop();
  }
}

const { values } = parseArgs({ options: { keys: { type: 'string', default: '20000' }, points: { type: 'string', default: '1' } } });
const keys = Number(values.keys);
const points = Number(values.points);
const on = await measure(true, keys, points);
const off = await measure(false, keys, points);
console.log(
  JSON.stringify({
    keys,
    pointsPerKey: points,
    heapPerKeyWithDetection: on.bytesPerKey,
    heapPerKeyWithoutDetection: off.bytesPerKey,
    detectionPerKey: on.bytesPerKey - off.bytesPerKey,
    modelStateEstimatePerKey: on.modelEstimatePerKey,
  }),
);
