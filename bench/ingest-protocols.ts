// `npm run build && node dist/bench/ingest-protocols.js [--duration 10s] [--rounds 2] [--quick] [--json file]`:
// points per second stored through each way in, side by side in one run: HTTP JSON (ThingsBoard
// batches, and single samples), the InfluxDB line protocol (plain and gzip, the same batches),
// and CoAP (single samples per confirmable message, as constrained devices send, and the same
// batches block-wise). Each measurement gets a fresh Vigil process, so a later protocol does not
// inherit a fuller database; rounds alternate the order and the table shows the median.
// "Stored" = points queryable through the API divided by the time from the first request until
// the last point is queryable. Indicative on a shared machine.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { Agent as CoapAgent, request as coapRequest, type IncomingMessage } from 'coap';
import { ApiClient, type ProvisionedDevice } from '../src/simulator/api.js';
import { parseDuration } from '../src/util/duration.js';
import { waitStored } from './lib/observers.js';
import { BENCH_PASSWORD, startVigilProcess, type VigilProcess } from './lib/processes.js';
import { round, Samples, type LatencySummary } from './lib/stats.js';

interface Protocol {
  name: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Sample entries per request, each with KEYS keys. */
  entries: number;
  send(v: VigilProcess, device: ProvisionedDevice, entries: number, seq: () => number, worker: number): Promise<boolean>;
}

interface Row {
  protocol: string;
  concurrency: number;
  pointsPerRequest: number;
  requests: number;
  errors: number;
  pointsAccepted: number;
  pointsStored: number;
  acceptedPerSec: number;
  storedPerSec: number;
  requestMs: LatencySummary;
}

const KEYS = 5;
const BATCH = 200;

function jsonBatch(entries: number, seq: () => number): string {
  const base = Date.now() - entries;
  const out: string[] = [];
  for (let i = 0; i < entries; i++) {
    let vals = '';
    for (let k = 0; k < KEYS; k++) vals += `${k ? ',' : ''}"k${k}":${(seq() % 1000) / 10}`;
    out.push(`{"ts":${base + i},"values":{${vals}}}`);
  }
  return entries === 1 ? out[0]! : `[${out.join(',')}]`;
}

function lineBatch(entries: number, seq: () => number): string {
  const base = Date.now() - entries;
  let body = '';
  for (let i = 0; i < entries; i++) {
    let fields = '';
    for (let k = 0; k < KEYS; k++) fields += `${k ? ',' : ''}k${k}=${(seq() % 1000) / 10}`;
    body += `bench ${fields} ${base + i}\n`;
  }
  return body;
}

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32 });

function httpPost(v: VigilProcess, path: string, body: string | Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: v.httpPort, path, method: 'POST', agent: httpAgent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const coapAgents: CoapAgent[] = [];
function coapPost(v: VigilProcess, worker: number, token: string, body: string, blockwise: boolean): Promise<boolean> {
  const agent = (coapAgents[worker] ??= new CoapAgent({ type: 'udp4' }));
  return new Promise((resolve) => {
    const req = coapRequest({ hostname: '127.0.0.1', port: v.coapPort, pathname: `/api/v1/${token}/telemetry`, method: 'POST', agent });
    req.setOption('Content-Format', 'application/json');
    if (blockwise) req.setOption('Block1', Buffer.of(6));
    const timer = setTimeout(() => resolve(false), 30_000);
    req.on('response', (res: IncomingMessage & { code: string }) => {
      clearTimeout(timer);
      resolve(res.code === '2.04');
    });
    req.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    req.end(body);
  });
}

const PROTOCOLS: Protocol[] = [
  {
    name: 'HTTP JSON (ThingsBoard batch)',
    concurrency: 8,
    entries: BATCH,
    send: async (v, d, n, seq) => (await httpPost(v, `/api/v1/${d.accessToken}/telemetry`, jsonBatch(n, seq), { 'content-type': 'application/json' })) === 200,
  },
  {
    name: 'HTTP JSON, 1 sample per request',
    concurrency: 32,
    entries: 1,
    send: async (v, d, n, seq) => (await httpPost(v, `/api/v1/${d.accessToken}/telemetry`, jsonBatch(n, seq), { 'content-type': 'application/json' })) === 200,
  },
  {
    name: 'InfluxDB line protocol',
    concurrency: 8,
    entries: BATCH,
    send: async (v, d, n, seq) =>
      (await httpPost(v, '/api/v2/write?org=o&bucket=b&precision=ms', lineBatch(n, seq), { authorization: `Token ${d.accessToken}`, 'content-type': 'text/plain' })) === 204,
  },
  {
    name: 'InfluxDB line protocol, gzip (Telegraf default)',
    concurrency: 8,
    entries: BATCH,
    send: async (v, d, n, seq) =>
      (await httpPost(v, '/api/v2/write?org=o&bucket=b&precision=ms', gzipSync(lineBatch(n, seq)), {
        authorization: `Token ${d.accessToken}`,
        'content-type': 'text/plain; charset=utf-8',
        'content-encoding': 'gzip',
      })) === 204,
  },
  {
    name: 'CoAP JSON, 1 sample per confirmable message',
    concurrency: 32,
    entries: 1,
    send: (v, d, n, seq, w) => coapPost(v, w, d.accessToken, jsonBatch(n, seq), false),
  },
  {
    name: 'CoAP JSON batch, block-wise (1 KiB blocks)',
    concurrency: 8,
    entries: BATCH,
    send: (v, d, n, seq, w) => coapPost(v, w, d.accessToken, jsonBatch(n, seq), true),
  },
];

async function measure(v: VigilProcess, api: ApiClient, p: Protocol, index: number, durationMs: number): Promise<Row> {
  const devs = await api.createDevices(Array.from({ length: 10 }, (_, i) => ({ name: `proto-${index}-${i}`, type: 'bench' })), 8);
  let requests = 0, errors = 0, points = 0, counter = 0;
  const seq = () => counter++;
  const latency = new Samples();
  const from = Date.now() - 3_600_000;
  const t0 = performance.now();
  const endAt = t0 + durationMs;
  await Promise.all(
    Array.from({ length: p.concurrency }, async (_, w) => {
      while (performance.now() < endAt) {
        const device = devs[(w + requests) % devs.length]!;
        requests++;
        const t = performance.now();
        if (await p.send(v, device, p.entries, seq, w)) {
          points += p.entries * KEYS;
          latency.add(performance.now() - t);
        } else errors++;
      }
    }),
  );
  const sentSec = (performance.now() - t0) / 1000;
  const stored = await waitStored(v.http, api.accessToken, devs.map((d) => d.id), from, points, 180_000);
  const storedSec = (performance.now() - t0) / 1000;
  return {
    protocol: p.name,
    concurrency: p.concurrency,
    pointsPerRequest: p.entries * KEYS,
    requests,
    errors,
    pointsAccepted: points,
    pointsStored: stored,
    acceptedPerSec: Math.round(points / sentSec),
    storedPerSec: Math.round(stored / storedSec),
    requestMs: latency.summary(),
  };
}

export function renderTable(rows: Row[]): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const lines = [
    '| way in | in flight | points/request | requests | errors | accepted points/s | stored points/s | request p50 / p99 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.protocol} | ${r.concurrency} | ${r.pointsPerRequest} | ${fmt(r.requests)} | ${r.errors} | ${fmt(r.acceptedPerSec)} | ${fmt(r.storedPerSec)} | ${round(r.requestMs.p50 ?? 0)} / ${round(r.requestMs.p99 ?? 0)} |`,
    );
  }
  return lines.join('\n');
}

async function measureFresh(p: Protocol, index: number, durationMs: number): Promise<Row> {
  const v = await startVigilProcess();
  try {
    const api = new ApiClient(v.http);
    await api.login('admin@localhost', BENCH_PASSWORD);
    return await measure(v, api, p, index, durationMs);
  } finally {
    for (const agent of coapAgents.splice(0)) agent.close();
    await v.stop();
    await rm(v.dataDir, { recursive: true, force: true });
  }
}

/** The row whose stored rate is the median of the rounds (the lower middle for an even count). */
function medianRow(rows: Row[]): Row {
  const sorted = [...rows].sort((a, b) => a.storedPerSec - b.storedPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export interface ProtocolsResult {
  durationMs: number;
  rounds: number;
  /** The median round of each way in, in PROTOCOLS order (the first is the HTTP JSON baseline). */
  rows: Row[];
  all: Record<string, Row[]>;
}

/** Every way in, `rounds` times in alternating order, each on a fresh Vigil process. */
export async function measureProtocols(durationMs: number, rounds: number): Promise<ProtocolsResult> {
  const all = new Map<string, Row[]>(PROTOCOLS.map((p) => [p.name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? PROTOCOLS : [...PROTOCOLS].reverse();
      for (const p of order) {
        process.stderr.write(`round ${round + 1}/${rounds}, ${p.name}: ${durationMs / 1000} s ... `);
        const row = await measureFresh(p, PROTOCOLS.indexOf(p), durationMs);
        process.stderr.write(`${row.storedPerSec} points/s stored\n`);
        all.get(p.name)!.push(row);
      }
    }
  } finally {
    httpAgent.destroy();
  }
  return { durationMs, rounds, rows: PROTOCOLS.map((p) => medianRow(all.get(p.name)!)), all: Object.fromEntries(all) };
}

/** The report section: the table plus each way in's stored rate as a ratio of HTTP JSON batches. */
export function renderProtocols(r: ProtocolsResult | { error: string } | undefined): string[] {
  if (!r) return [];
  const L = ['## 7. Ways in: HTTP JSON, InfluxDB line protocol, CoAP', ''];
  if ('error' in r) return [...L, '```', r.error, '```', ''];
  const base = r.rows[0]!;
  L.push(
    `Each way in on a fresh Vigil process for ${r.durationMs / 1000} s, ${r.rounds} round${r.rounds === 1 ? '' : 's'} in alternating order (median round shown). "Stored" counts points queryable through the API over the time until the last one was.`,
    '',
    renderTable(r.rows),
    '',
    'Stored points/s as a ratio of HTTP JSON batches in the same run: ' +
      r.rows
        .slice(1)
        .map((row) => `${row.protocol} **${base.storedPerSec > 0 ? round(row.storedPerSec / base.storedPerSec, 2) : '–'}**`)
        .join('; ') +
      '.',
    '',
  );
  const lost = r.rows.filter((row) => row.pointsStored < row.pointsAccepted);
  L.push(
    lost.length === 0
      ? 'Every accepted point was found stored, for every way in.'
      : `**Points accepted but not found stored:** ${lost.map((row) => `${row.protocol} ${row.pointsAccepted - row.pointsStored}`).join('; ')}.`,
    '',
  );
  return L;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10s' },
      rounds: { type: 'string', default: '2' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const durationMs = values.quick ? 3_000 : parseDuration(values.duration!, '--duration');
  const rounds = values.quick ? 1 : Math.max(1, Number(values.rounds) || 1);
  const result = await measureProtocols(durationMs, rounds);
  console.log(renderTable(result.rows));
  if (values.json) await writeFile(values.json, JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2));
}

if (process.argv[1]?.endsWith('ingest-protocols.js')) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
