// The benchmark scenarios. Each one starts what it measures (a fresh Vigil process, a Mosquitto
// baseline), drives a bounded load, and returns plain numbers; run-suite.ts writes the report
// and test/bench runs each with tiny sizes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as httpRequest } from 'node:http';
import { DuckDBInstance } from '@duckdb/node-api';
import { ApiClient, type ProvisionedDevice } from '../src/simulator/api.js';
import { runMqttLoad, openConnections, type MqttLoadResult } from './lib/mqtt-load.js';
import { liveWatcher, storedLatencyProbe, waitStored } from './lib/observers.js';
import { BENCH_PASSWORD, cpuSeconds, rssBytes, withCpu, startMosquitto, startVigilProcess, type VigilProcess } from './lib/processes.js';
import { summarizeProfile, type ProfileSummary } from './lib/profile.js';
import { rollupAggregateSql } from '../src/adapters/embedded/duckdb-rollups.js';
import { median, round, Samples, sleep, type LatencySummary } from './lib/stats.js';

async function withVigil<T>(fn: (v: VigilProcess, api: ApiClient) => Promise<T>, opts: Parameters<typeof startVigilProcess>[0] = {}): Promise<T> {
  const v = await startVigilProcess(opts);
  try {
    const api = new ApiClient(v.http);
    await api.login('admin@localhost', BENCH_PASSWORD);
    return await fn(v, api);
  } finally {
    await v.stop();
    if (!opts.dataDir) await rm(v.dataDir, { recursive: true, force: true });
  }
}

function devices(api: ApiClient, n: number, prefix: string): Promise<ProvisionedDevice[]> {
  return api.createDevices(Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}`, type: 'bench' })), 8);
}

// 1. MQTT ingest, QoS 1 ----------------------------------------------------------------------

export interface MqttIngestParams {
  connections: number;
  durationMs: number;
  payloadKeys: number;
  /** 0 = as fast as acknowledgements allow. */
  ratePointsPerSec: number;
  inflightPerConnection: number;
  watchDevices: number;
  mosquitto: boolean;
  profileDir?: string;
}

export interface VigilIngestResult extends MqttLoadResult {
  serverCores: number;
  serverCpuSec: number;
  generatorCores: number;
  pointsStored: number;
  storedMs: LatencySummary;
  liveMs: LatencySummary;
  profile?: ProfileSummary | null;
  /** Live anomaly scoring after the load (detection runs in a worker thread, behind the acknowledgement). */
  detection?: DetectionCatchUp;
  /** Server CPU from the start of the load until storage and detection had caught up (includes the idle polling after). */
  serverCpuSecUntilCaughtUp?: number;
}

export interface DetectionCatchUp {
  /** Accepted points that live detection did not score because its worker was too far behind. */
  skippedPoints: number;
  /** Seconds from the end of the load until every accepted point was scored (null: did not catch up in time). */
  caughtUpAfterSec: number | null;
  /** Main-thread mode (VIGIL_DETECTION_THREAD=main) has no worker figures. */
  worker: boolean;
}

/** Waits until the detection worker has scored every accepted point (its backlog is 0), from /metrics. */
async function detectionCaughtUp(http: string, loadEnd: number, timeoutMs: number): Promise<DetectionCatchUp> {
  const read = async () => {
    const text = await (await fetch(`${http}/metrics`)).text();
    const value = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : null;
    };
    return { backlog: value('vigil_detection_backlog_points'), skipped: value('vigil_detection_skipped_points_total') };
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await read();
    if (m.backlog === null) return { skippedPoints: 0, caughtUpAfterSec: 0, worker: false };
    if (m.backlog === 0) return { skippedPoints: m.skipped ?? 0, caughtUpAfterSec: Math.round((Date.now() - loadEnd) / 100) / 10, worker: true };
    if (Date.now() > deadline) return { skippedPoints: m.skipped ?? 0, caughtUpAfterSec: null, worker: true };
    await sleep(200);
  }
}

export async function vigilMqttIngest(p: Omit<MqttIngestParams, 'mosquitto'>): Promise<VigilIngestResult> {
  return withVigil(
    async (v, api) => {
      const devs = await devices(api, p.connections + 1, 'mqtt-bench');
      const probeDevice = devs.pop()!;
      const watcher = await liveWatcher(v.http, api.accessToken, devs.slice(0, p.watchDevices).map((d) => d.id));
      const probe = storedLatencyProbe({ http: v.http, token: api.accessToken, host: '127.0.0.1', mqttPort: v.mqttPort, device: probeDevice });
      const from = Date.now() - 1000;
      const cpuAtStart = cpuSeconds(v.pid);
      const load = await withCpu(v.pid, () => runMqttLoad({
        host: '127.0.0.1',
        port: v.mqttPort,
        tokens: devs.map((d) => d.accessToken),
        connections: p.connections,
        ratePointsPerSec: p.ratePointsPerSec,
        qos: 1,
        durationMs: p.durationMs,
        payloadKeys: p.payloadKeys,
        inflightPerConnection: p.inflightPerConnection,
      }));
      const storedMs = await probe.stop();
      await sleep(300);
      watcher.close();
      const loadEnd = Date.now();
      // Both trail the acknowledgements; each is timed from the end of the load on its own.
      const [pointsStored, detection] = await Promise.all([
        waitStored(v.http, api.accessToken, devs.map((d) => d.id), from, load.pointsAcked, 120_000),
        detectionCaughtUp(v.http, loadEnd, 120_000),
      ]);
      // Storage and detection finish after the load: their CPU counts too, in this second figure.
      const serverCpuSecUntilCaughtUp = Math.round((cpuSeconds(v.pid) - cpuAtStart) * 1000) / 1000;
      return { ...load, pointsStored, storedMs, liveMs: watcher.samples.summary(), detection, serverCpuSecUntilCaughtUp };
    },
    p.profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${p.profileDir}`] } : {},
  ).then(async (r) => (p.profileDir ? { ...r, profile: await summarizeProfile(p.profileDir) } : r));
}

export async function mosquittoMqttIngest(p: Omit<MqttIngestParams, 'mosquitto'>): Promise<MqttLoadResult & { consumed: number; serverCores: number; generatorCores: number; serverCpuSec: number }> {
  const m = await startMosquitto();
  try {
    const load = await withCpu(m.pid, () => runMqttLoad({
      host: '127.0.0.1',
      port: m.port,
      tokens: [],
      connections: p.connections,
      ratePointsPerSec: p.ratePointsPerSec,
      qos: 1,
      durationMs: p.durationMs,
      payloadKeys: p.payloadKeys,
      inflightPerConnection: p.inflightPerConnection,
    }));
    const deadline = Date.now() + 30_000;
    while (m.consumed() < load.messagesAcked && Date.now() < deadline) await sleep(50);
    return { ...load, consumed: m.consumed() * p.payloadKeys };
  } finally {
    await m.stop();
  }
}

export async function mqttIngest(p: MqttIngestParams) {
  const vigil = await vigilMqttIngest(p);
  const mosquitto = p.mosquitto ? await mosquittoMqttIngest(p) : null;
  const ratio = mosquitto && mosquitto.ackedPointsPerSec > 0 ? round(vigil.ackedPointsPerSec / mosquitto.ackedPointsPerSec, 3) : null;
  return { params: p, vigil, mosquitto, ratio };
}

// 2. HTTP batch ingest -----------------------------------------------------------------------

export interface HttpIngestParams {
  devices: number;
  concurrency: number;
  batchEntries: number;
  payloadKeys: number;
  durationMs: number;
}

export async function httpIngest(p: HttpIngestParams) {
  return withVigil(async (v, api) => {
    const devs = await devices(api, p.devices, 'http-bench');
    const agent = new Agent({ keepAlive: true, maxSockets: p.concurrency });
    const url = new URL(v.http);
    const latency = new Samples();
    let requests = 0, ok = 0, errors = 0, points = 0, seq = 0;
    const from = Date.now() - 1000;
    const t0 = performance.now();
    const endAt = t0 + p.durationMs;
    const post = (token: string, body: string) =>
      new Promise<number>((resolve) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: `/api/v1/${token}/telemetry`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', () => resolve(0));
        req.end(body);
      });
    const worker = async (w: number) => {
      while (performance.now() < endAt) {
        const dev = devs[(w + requests) % devs.length]!;
        const base = Date.now() - p.batchEntries;
        const entries: string[] = [];
        for (let i = 0; i < p.batchEntries; i++) {
          let vals = '';
          for (let k = 0; k < p.payloadKeys; k++) vals += `${k ? ',' : ''}"k${k}":${(seq++ % 1000) / 10}`;
          entries.push(`{"ts":${base + i},"values":{${vals}}}`);
        }
        const body = `[${entries.join(',')}]`;
        requests++;
        const t = performance.now();
        const status = await post(dev.accessToken, body);
        if (status === 200) {
          ok++;
          points += p.batchEntries * p.payloadKeys;
          latency.add(performance.now() - t);
        } else errors++;
      }
    };
    await Promise.all(Array.from({ length: p.concurrency }, (_, w) => worker(w)));
    const elapsed = (performance.now() - t0) / 1000;
    agent.destroy();
    const stored = await waitStored(v.http, api.accessToken, devs.map((d) => d.id), from - 3_600_000, points, 120_000);
    return { params: p, requests, ok, errors, pointsAccepted: points, pointsStored: stored, elapsedSec: round(elapsed), pointsPerSec: Math.round(points / elapsed), requestMs: latency.summary() };
  });
}

// 3. Concurrent idle connections -------------------------------------------------------------

export interface ConnectionsParams {
  target: number;
  /** Distinct device credentials shared by the connections (each connection has its own client id). */
  devices: number;
  holdMs: number;
  connectConcurrency: number;
}

export async function connections(p: ConnectionsParams) {
  return withVigil(async (v, api) => {
    const devs = await devices(api, Math.min(p.devices, p.target), 'conn-bench');
    await sleep(500);
    const rssBefore = rssBytes(v.pid);
    const t0 = performance.now();
    const opened = await openConnections(
      { host: '127.0.0.1', port: v.mqttPort, tokens: devs.map((d) => d.accessToken), clientPrefix: 'idle', keepaliveSec: 120 },
      p.target,
      p.connectConcurrency,
    );
    const connectSec = (performance.now() - t0) / 1000;
    // Hold them, then check every one still answers a PINGREQ.
    await sleep(p.holdMs);
    let alive = 0;
    await Promise.all(
      opened.conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.closed) return resolve();
            const timer = setTimeout(resolve, 15_000);
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
    for (const c of opened.conns) c.destroy();
    return {
      params: p,
      opened: opened.conns.length,
      connectErrors: opened.errors,
      lastError: opened.lastError ?? null,
      held: alive,
      connectPerSec: Math.round(opened.conns.length / connectSec),
      rssBeforeMiB: round(rssBefore / 2 ** 20, 1),
      rssAfterMiB: round(rssAfter / 2 ** 20, 1),
      bytesPerConnection: alive > 0 ? Math.round((rssAfter - rssBefore) / alive) : null,
    };
  });
}

// 4. Publish-to-dashboard latency ------------------------------------------------------------

export interface DashboardParams {
  devices: number;
  ratePointsPerSec: number;
  payloadKeys: number;
  durationMs: number;
}

export async function dashboardLatency(p: DashboardParams) {
  return withVigil(async (v, api) => {
    const devs = await devices(api, p.devices, 'live-bench');
    const watcher = await liveWatcher(v.http, api.accessToken, devs.map((d) => d.id));
    const load = await runMqttLoad({
      host: '127.0.0.1',
      port: v.mqttPort,
      tokens: devs.map((d) => d.accessToken),
      connections: p.devices,
      ratePointsPerSec: p.ratePointsPerSec,
      qos: 1,
      durationMs: p.durationMs,
      payloadKeys: p.payloadKeys,
      inflightPerConnection: 16,
    });
    await sleep(500);
    watcher.close();
    return {
      params: p,
      pointsAcked: load.pointsAcked,
      achievedPointsPerMin: Math.round(load.ackedPointsPerSec * 60),
      pointsReceivedLive: watcher.received(),
      liveMs: watcher.samples.summary(),
      pubackMs: load.pubackMs,
    };
  });
}

// 5. Queries over a large history --------------------------------------------------------------

export interface QueryParams {
  points: number;
  keys: number;
  repeats: number;
}

const KEY_NAMES = ['temperature', 'humidity', 'pressure', 'vibration', 'current', 'voltage', 'power', 'flow'];

export async function queryScenario(p: QueryParams) {
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-bench-query-'));
  const device = await withVigil(async (_v, api) => (await devices(api, 1, 'history'))[0]!, { dataDir });
  const keys = KEY_NAMES.slice(0, p.keys);
  const perKey = Math.ceil(p.points / keys.length);
  const start = Date.UTC(2024, 0, 1);
  const end = start + (perKey - 1) * 1000;
  const intervalMs = Math.max(60_000, Math.ceil((end - start) / 500 / 60_000) * 60_000); // ~500 windows
  const rawFrom = start + Math.floor(perKey / 2) * 1000;
  const rawTo = rawFrom + Math.min(10_000, perKey - 1) * 1000;

  // Generate straight into the store's table with DuckDB's bulk path (not through the API).
  // Rows loaded this way carry no bus sequence number (seq NULL); Vigil notices at start that its
  // rollups do not cover them and rebuilds them in the background.
  let instance = await DuckDBInstance.create(join(dataDir, 'vigil.duckdb'), { memory_limit: '4GB' });
  let conn = await instance.connect();
  const keyList = `[${keys.map((k) => `'${k}'`).join(',')}]`;
  const t0 = performance.now();
  await conn.run(
    `INSERT INTO telemetry (tenant_id, device_id, key, ts, num)
     SELECT '${device.tenantId}', '${device.id}', ${keyList}[(i % ${keys.length})::INTEGER + 1],
            ${start} + (i // ${keys.length}) * 1000,
            round(20 + 5 * sin((i // ${keys.length}) / 13751.0) + (i % ${keys.length}) * 10 + random(), 3)
     FROM range(${perKey * keys.length}) t(i)`,
  );
  await conn.run(
    `INSERT INTO telemetry_latest SELECT tenant_id, device_id, key, max(ts), arg_max(num, ts), NULL, NULL FROM telemetry
     WHERE tenant_id = '${device.tenantId}' AND device_id = '${device.id}' GROUP BY ALL
     ON CONFLICT DO NOTHING`,
  );
  await conn.run('CHECKPOINT');
  const generateSec = round((performance.now() - t0) / 1000);
  const stored = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM telemetry')).getRowObjectsJS()[0]!.n);
  conn.closeSync();
  instance.closeSync();

  const time = async (fn: () => Promise<unknown>) => {
    await fn(); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < p.repeats; i++) {
      const t = performance.now();
      await fn();
      ms.push(performance.now() - t);
    }
    return round(median(ms));
  };

  // Through the API, once Vigil reports its rollups ready (vigil_rollups_ready 1 in /metrics).
  const aggregateQuery = { tenantId: device.tenantId!, deviceId: device.id, fromMs: start, toMs: end, intervalMs };
  const api = await withVigil(
    async (v, client) => {
      const t = performance.now();
      for (;;) {
        const metrics = await (await fetch(`${v.http}/metrics`)).text();
        if (/^vigil_rollups_ready 1$/m.test(metrics)) break;
        if (performance.now() - t > 30 * 60_000) throw new Error('rollups not ready after 30 minutes');
        await sleep(200);
      }
      const rollupBuildSec = round((performance.now() - t) / 1000);
      const get = async (path: string) => client.call('GET', path);
      const base = `/api/v1/devices/${device.id}/telemetry`;
      const paths = {
        aggregate: `${base}?from=${start}&to=${end}&interval=${intervalMs}&agg=avg,min,max,count`,
        latest: `${base}/latest`,
        raw: `${base}?keys=${keys[0]}&from=${rawFrom}&to=${rawTo}&limit=10000`,
      };
      const out: Record<string, number> = {};
      const check: Record<string, number> = {};
      for (const q of ['aggregate', 'latest', 'raw'] as const) {
        out[q] = await time(async () => {
          const body = await get(paths[q]);
          check[q] = q === 'latest' ? Object.keys(body.data).length : Object.values(body.data as Record<string, unknown[]>).reduce((n, rows) => n + rows.length, 0);
        });
      }
      return { ms: out, rows: check, rollupBuildSec };
    },
    { dataDir },
  );

  // DuckDB directly on the same file (rows materialised): the store's own SQL — the floor for the
  // API — and, for the aggregate, the full scan of every point that the rollups avoid.
  instance = await DuckDBInstance.create(join(dataDir, 'vigil.duckdb'), { memory_limit: '4GB' });
  conn = await instance.connect();
  const rollup = rollupAggregateSql(aggregateQuery)!;
  const sql: Record<string, string> = {
    aggregate: rollup.sql,
    aggregateFullScan: `SELECT key, (ts // $5::BIGINT) * $5::BIGINT AS bucket, avg(num) AS avg, min(num) AS min, max(num) AS max, count(*) AS count FROM telemetry
       WHERE tenant_id = $1 AND device_id = $2 AND ts >= $3::BIGINT AND ts <= $4::BIGINT GROUP BY key, bucket ORDER BY key, bucket`,
    latest: `SELECT key, ts, num, str, bool FROM telemetry_latest WHERE tenant_id = $1 AND device_id = $2 ORDER BY key`,
    raw: `SELECT key, ts, num, str, bool FROM telemetry WHERE tenant_id = $1 AND device_id = $2 AND ts >= $3::BIGINT AND ts <= $4::BIGINT AND key IN ($5) ORDER BY ts ASC, key LIMIT $6`,
  };
  const params: Record<string, any[]> = {
    aggregate: rollup.params,
    aggregateFullScan: [device.tenantId!, device.id, BigInt(start), BigInt(end), BigInt(intervalMs)],
    latest: [device.tenantId!, device.id],
    raw: [device.tenantId!, device.id, BigInt(rawFrom), BigInt(rawTo), keys[0]!, 10_000],
  };
  const raw: Record<string, number> = {};
  const rowsRaw: Record<string, number> = {};
  for (const q of Object.keys(sql)) {
    raw[q] = await time(async () => {
      const r = await conn.runAndReadAll(sql[q]!, params[q]);
      rowsRaw[q] = r.getRowObjectsJS().length;
    });
  }
  conn.closeSync();
  instance.closeSync();
  await rm(dataDir, { recursive: true, force: true });
  const ratio = Object.fromEntries(Object.keys(api.ms).map((q) => [q, raw[q]! > 0 ? round(api.ms[q]! / raw[q]!, 2) : null]));
  return {
    params: p,
    storedPoints: stored,
    generateSec,
    rollupBuildSec: api.rollupBuildSec,
    intervalMs,
    windows: rowsRaw.aggregate,
    rawMs: raw,
    apiMs: api.ms,
    rows: api.rows,
    rowsRaw,
    ratio,
  };

}
