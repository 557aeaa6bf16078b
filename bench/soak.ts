// Soak: a started Vigil under mixed load for minutes, to see whether memory stays flat and
// whether every acknowledged point is stored. MQTT QoS 1 devices publish at a steady rate, HTTP
// devices post batches, a query loop reads latest values, aggregates and raw ranges, and
// Socket.IO dashboards stay subscribed throughout. The server's RSS is sampled every second.
// `npm run bench -- --only soak --soak-minutes 1` for a short run; run-suite.ts renders the row.
import { Agent, request as httpRequest } from 'node:http';
import { rm } from 'node:fs/promises';
import { ApiClient, type ProvisionedDevice } from '../src/simulator/api.js';
import { runMqttLoad } from './lib/mqtt-load.js';
import { liveWatcher, waitStored } from './lib/observers.js';
import { BENCH_PASSWORD, rssBytes, startVigilProcess } from './lib/processes.js';
import { round, Samples, sleep } from './lib/stats.js';

export interface SoakParams {
  durationMs: number;
  mqttDevices: number;
  mqttPointsPerSec: number;
  httpDevices: number;
  httpPointsPerSec: number;
  /** Entries per HTTP request (each with payloadKeys keys). */
  httpBatchEntries: number;
  payloadKeys: number;
  /** Socket.IO dashboards, each subscribed to every MQTT device. */
  dashboards: number;
  /** Pause between two query rounds (latest, aggregate, raw). */
  queryPauseMs: number;
}

export const SOAK_DEFAULTS: Omit<SoakParams, 'durationMs'> = {
  mqttDevices: 50,
  mqttPointsPerSec: 5_000,
  httpDevices: 10,
  httpPointsPerSec: 2_000,
  httpBatchEntries: 50,
  payloadKeys: 5,
  dashboards: 3,
  queryPauseMs: 200,
};

export interface SoakResult {
  params: SoakParams;
  rssMiB: { start: number; peak: number; end: number; quarters: number[] };
  /** JavaScript heap in use (from /metrics), to tell the heap from native memory (DuckDB, buffers). */
  heapMiB: { start: number; end: number };
  /** (end − start) / start, in %. */
  rssGrowthPercent: number;
  pointsAcked: { mqtt: number; http: number; total: number };
  pointsStored: number;
  httpErrors: number;
  queries: number;
  queryErrors: number;
  queryMs: ReturnType<Samples['summary']>;
  livePointsReceived: number;
  models: Record<string, number>;
}

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

/** HTTP devices posting batches at a steady total rate until `until`. */
async function httpLoad(http: string, devs: ProvisionedDevice[], p: SoakParams, until: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: devs.length });
  const base = new URL(http);
  const pointsPerRequest = p.httpBatchEntries * p.payloadKeys;
  const t0 = Date.now();
  let acked = 0, errors = 0, requests = 0, seq = 0;
  // Each device posts in turn; timestamps step 1 ms per entry from a per-device clock, so no two
  // entries of a device share a timestamp.
  const clock = new Map(devs.map((d) => [d.id, Date.now() - 60_000]));
  while (Date.now() < until) {
    const due = ((Date.now() - t0) / 1000) * p.httpPointsPerSec;
    if (requests * pointsPerRequest > due) {
      await sleep(5);
      continue;
    }
    const d = devs[requests++ % devs.length]!;
    let ts = Math.max(clock.get(d.id)!, Date.now() - 60_000);
    const entries: string[] = [];
    for (let i = 0; i < p.httpBatchEntries; i++) {
      let vals = '';
      for (let k = 0; k < p.payloadKeys; k++) vals += `${k ? ',' : ''}"k${k}":${(seq++ % 1000) / 10}`;
      entries.push(`{"ts":${++ts},"values":{${vals}}}`);
    }
    clock.set(d.id, ts);
    if ((await post(agent, base, `/api/v1/${d.accessToken}/telemetry`, `[${entries.join(',')}]`)) === 200) acked += pointsPerRequest;
    else errors++;
  }
  agent.destroy();
  return { acked, errors };
}

/** A user reading data in a loop: latest values, a one-hour aggregate, a raw range. */
async function queryLoop(http: string, token: string, devs: ProvisionedDevice[], pauseMs: number, until: number) {
  const ms = new Samples();
  let n = 0, errors = 0;
  while (Date.now() < until) {
    const d = devs[n % devs.length]!;
    const now = Date.now();
    const paths = [
      `/api/v1/devices/${d.id}/telemetry/latest`,
      `/api/v1/devices/${d.id}/telemetry?from=${now - 3_600_000}&to=${now}&interval=60000&agg=avg`,
      `/api/v1/devices/${d.id}/telemetry?keys=k0&from=${now - 60_000}&to=${now}&limit=1000`,
    ];
    for (const path of paths) {
      const t = performance.now();
      const res = await fetch(http + path, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) }).catch(() => null);
      await res?.arrayBuffer();
      n++;
      if (res?.ok) ms.add(performance.now() - t);
      else errors++;
    }
    await sleep(pauseMs);
  }
  return { queries: n, errors, ms: ms.summary() };
}

async function heapUsedMiB(http: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  return round(Number(/^vigil_process_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? NaN) / 2 ** 20, 1);
}

async function modelMetrics(http: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^vigil_models_(\w+) (\S+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

export async function soakScenario(p: SoakParams): Promise<SoakResult> {
  const v = await startVigilProcess();
  try {
    const api = new ApiClient(v.http);
    await api.login('admin@localhost', BENCH_PASSWORD);
    const all = await api.createDevices(Array.from({ length: p.mqttDevices + p.httpDevices }, (_, i) => ({ name: `soak-${i}`, type: 'soak' })));
    const mqttDevs = all.slice(0, p.mqttDevices);
    const httpDevs = all.slice(p.mqttDevices);
    const from = Date.now() - 120_000;
    const mib = () => round(rssBytes(v.pid) / 2 ** 20, 1);
    const start = mib();
    const heapStart = await heapUsedMiB(v.http);
    const samples: number[] = [start];
    const sampler = setInterval(() => samples.push(mib()), 1000);
    const watchers = await Promise.all(Array.from({ length: p.dashboards }, () => liveWatcher(v.http, api.accessToken, mqttDevs.map((d) => d.id))));
    const until = Date.now() + p.durationMs;
    const [mqtt, httpResult, queries] = await Promise.all([
      runMqttLoad({
        host: '127.0.0.1',
        port: v.mqttPort,
        tokens: mqttDevs.map((d) => d.accessToken),
        connections: p.mqttDevices,
        ratePointsPerSec: p.mqttPointsPerSec,
        qos: 1,
        durationMs: p.durationMs,
        payloadKeys: p.payloadKeys,
      }),
      httpLoad(v.http, httpDevs, p, until),
      queryLoop(v.http, api.accessToken, all, p.queryPauseMs, until),
    ]);
    for (const w of watchers) w.close();
    const total = mqtt.pointsAcked + httpResult.acked;
    const stored = await waitStored(v.http, api.accessToken, all.map((d) => d.id), from, total, 180_000);
    // End: load over, storage caught up, a few seconds for the heap to settle.
    await sleep(Math.min(5000, p.durationMs));
    clearInterval(sampler);
    const end = mib();
    samples.push(end);
    const heapEnd = await heapUsedMiB(v.http);
    const q = (f: number) => samples[Math.min(samples.length - 1, Math.round(f * (samples.length - 1)))]!;
    return {
      params: p,
      rssMiB: { start, peak: Math.max(...samples), end, quarters: [q(0.25), q(0.5), q(0.75)] },
      heapMiB: { start: heapStart, end: heapEnd },
      rssGrowthPercent: round(((end - start) / start) * 100, 1),
      pointsAcked: { mqtt: mqtt.pointsAcked, http: httpResult.acked, total },
      pointsStored: stored,
      httpErrors: httpResult.errors,
      queries: queries.queries,
      queryErrors: queries.errors,
      queryMs: queries.ms,
      livePointsReceived: watchers.reduce((n, w) => n + w.received(), 0),
      models: await modelMetrics(v.http),
    };
  } finally {
    await v.stop();
    await rm(v.dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));

/** The soak section of docs/benchmarks.md; every sentence is computed from the result. */
export function renderSoak(s: SoakResult | { error: string } | undefined): string[] {
  if (!s) return [];
  const L = ['## 6. Soak: mixed load for minutes', ''];
  if ('error' in s) return [...L, '```', s.error, '```', ''];
  const p = s.params;
  const minutes = round(p.durationMs / 60_000, 1);
  L.push(
    `${minutes} minute${minutes === 1 ? '' : 's'} of ${p.mqttDevices} MQTT QoS 1 devices at ${fmt(p.mqttPointsPerSec)} points/s in total, ${p.httpDevices} HTTP devices posting ${p.httpBatchEntries}-entry batches at ${fmt(p.httpPointsPerSec)} points/s, ` +
      `a query loop (latest, one-hour aggregate, raw range; ${p.queryPauseMs} ms apart) and ${p.dashboards} Socket.IO dashboards subscribed to every MQTT device. Server RSS sampled every second; "end" is after the load stopped and storage caught up.`,
    '',
    '| RSS start / peak / end (MiB) | RSS at 25% / 50% / 75% (MiB) | JS heap start / end (MiB) | points acknowledged (MQTT + HTTP) | points stored | queries (errors), p99 ms | live points received | models resident (bytes) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${fmt(s.rssMiB.start, 1)} / ${fmt(s.rssMiB.peak, 1)} / ${fmt(s.rssMiB.end, 1)} | ${s.rssMiB.quarters.map((x) => fmt(x, 1)).join(' / ')} | ${fmt(s.heapMiB.start, 1)} / ${fmt(s.heapMiB.end, 1)} | ${fmt(s.pointsAcked.total)} (${fmt(s.pointsAcked.mqtt)} + ${fmt(s.pointsAcked.http)}) | ${fmt(s.pointsStored)} | ${fmt(s.queries)} (${fmt(s.queryErrors)}), ${fmt(s.queryMs.p99, 1)} | ${fmt(s.livePointsReceived)} | ${fmt(s.models.resident)} (${fmt(s.models.resident_bytes)}) |`,
    '',
  );
  const lost = s.pointsAcked.total - s.pointsStored;
  const growth = s.rssGrowthPercent;
  const secondHalf = round(((s.rssMiB.end - s.rssMiB.quarters[1]!) / s.rssMiB.quarters[1]!) * 100, 1);
  L.push(
    `Memory: RSS ${growth >= 0 ? 'grew' : 'shrank'} ${fmt(Math.abs(growth), 1)}% from start to end (peak ${fmt(s.rssMiB.peak, 1)} MiB, ${fmt(((s.rssMiB.peak - s.rssMiB.start) / s.rssMiB.start) * 100, 1)}% over the start), and ${secondHalf >= 0 ? 'grew' : 'shrank'} ${fmt(Math.abs(secondHalf), 1)}% over the second half of the run; ` +
      `the JavaScript heap went from ${fmt(s.heapMiB.start, 1)} to ${fmt(s.heapMiB.end, 1)} MiB, so ${fmt(Math.max(0, s.rssMiB.end - s.rssMiB.start - (s.heapMiB.end - s.heapMiB.start)), 1)} MiB of the RSS change is outside it (DuckDB's buffers, native allocations). ` +
      `Data: ${lost <= 0 ? `every acknowledged point was stored (${fmt(s.pointsStored)} of ${fmt(s.pointsAcked.total)})` : `${fmt(lost)} of ${fmt(s.pointsAcked.total)} acknowledged points were not found in storage`}; ${fmt(s.httpErrors)} HTTP ingest requests failed.`,
    '',
  );
  return L;
}
