// `node dist/bench/pg-ingest.js [--points N] [--batch-points N] [--devices N] [--keys N] [--writers N] [--rounds N] [--shared-position]`:
// points/s stored through PgTelemetryStore.append (COPY and unnest loading) beside raw COPY of
// the same rows, in the same batches, into the same PostgreSQL in the same run: into a plain
// unindexed table (the floor), and into the store's own partitioned table with its primary key
// (what the unique index alone costs). The ratios say what idempotent writes, latest values and
// the consumer position cost. The variants run interleaved, `rounds` times, and the medians are
// reported, so a busy machine skews them alike. URL: --postgres-url, VIGIL_POSTGRES_URL or the
// test default. Each run uses fresh schemas and drops them. Not part of `npm run bench` yet.
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { createPool, openPostgresStores } from '../src/adapters/distributed/postgres.js';
import { INPUT_COLUMNS, type BulkLoadMethod } from '../src/adapters/distributed/pg-bulk-load.js';
import type { SequencedBatch } from '../src/ports/telemetry.js';

const { values: flags } = parseArgs({
  options: {
    'postgres-url': { type: 'string' },
    points: { type: 'string', default: '500000' },
    'batch-points': { type: 'string', default: '5000' },
    devices: { type: 'string', default: '1000' },
    keys: { type: 'string', default: '5' },
    writers: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    // Every writer records its position in one row, as the nodes of a queue group do.
    'shared-position': { type: 'boolean', default: false },
  },
});
const url = flags['postgres-url'] || process.env.VIGIL_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const totalPoints = Number(flags.points);
const batchPoints = Number(flags['batch-points']);
const devices = Number(flags.devices);
const keys = Number(flags.keys);
const writers = Number(flags.writers);
const rounds = Number(flags.rounds);

/** Appends of about batchPoints points: one SequencedBatch per device message of `keys` points. */
function workload(): SequencedBatch[][] {
  const appends: SequencedBatch[][] = [];
  let current: SequencedBatch[] = [];
  let inCurrent = 0;
  const start = Date.now() - 3_600_000;
  let seq = 0;
  for (let step = 0; seq * keys < totalPoints; step++) {
    for (let d = 0; d < devices && seq * keys < totalPoints; d++) {
      const ts = start + step * 1000;
      const points = Array.from({ length: keys }, (_, k) => ({ key: `k${k}`, ts, value: k === keys - 1 ? step % 2 === 0 : 20 + Math.sin(step / 10 + d) }));
      current.push({ seq: ++seq, tenantId: 'bench', deviceId: `device-${d}`, transport: 'mqtt', receivedAt: ts, points });
      inCurrent += keys;
      if (inCurrent >= batchPoints) {
        appends.push(current);
        current = [];
        inCurrent = 0;
      }
    }
  }
  if (current.length) appends.push(current);
  return appends;
}

/** Runs the appends over `writers` concurrent workers; returns points per second. */
async function timed(appends: SequencedBatch[][], write: (batches: SequencedBatch[], worker: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, worker) => {
      while (next < appends.length) await write(appends[next++]!, worker);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const points = appends.reduce((n, a) => n + a.reduce((m, b) => m + b.points.length, 0), 0);
  return points / seconds;
}

async function throughStore(appends: SequencedBatch[][], bulkLoad: BulkLoadMethod): Promise<{ pointsPerSec: number; replayPointsPerSec: number; rollUpMs: number }> {
  const schema = `vigil_bench_${process.pid}_${bulkLoad}`;
  const stores = await openPostgresStores(url, { schema, bulkLoad, poolSize: writers + 2 });
  try {
    const consumer = (worker: number) => (flags['shared-position'] ? 'storage' : `writer-${worker}`);
    const pointsPerSec = await timed(appends, (batches, worker) => stores.telemetry.append(consumer(worker), batches));
    const started = Date.now();
    await stores.telemetryLifecycle.rollUp();
    const rollUpMs = Date.now() - started;
    // Every point again: what a redelivery after a crash costs (all skipped as already stored).
    const replayPointsPerSec = await timed(appends, (batches, worker) => stores.telemetry.append(consumer(worker), batches));
    return { pointsPerSec, replayPointsPerSec, rollUpMs };
  } finally {
    await stores.pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await stores.close();
  }
}

/**
 * COPY of the same rows, one COPY per append: into a table with the same columns and no index
 * (the floor), or into the store's own table (partitions, primary key, BRIN) without conflict
 * handling, latest values or positions.
 */
async function rawCopy(appends: SequencedBatch[][], into: 'plain' | 'store'): Promise<number> {
  const schema = `vigil_bench_${process.pid}_raw_${into}`;
  if (into === 'store') await (await openPostgresStores(url, { schema, poolSize: 1 })).close();
  const pool = createPool(url, { poolSize: writers });
  if (into === 'plain') {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".telemetry (tenant_id text, device_id text, key text, ts bigint, num double precision, str text, bool boolean)`);
  }
  try {
    return await timed(appends, async (batches) => {
      const client = await pool.connect();
      try {
        const lines = batches.flatMap((b) =>
          b.points.map((p) => {
            const v = p.value;
            const fields = typeof v === 'number' ? `${v}\t\\N\t\\N` : typeof v === 'boolean' ? `\\N\t\\N\t${v ? 't' : 'f'}` : `\\N\t${v}\t\\N`;
            return `${b.tenantId}\t${b.deviceId}\t${p.key}\t${p.ts}\t${fields}\n`;
          }),
        );
        await pipeline(Readable.from([lines.join('')]), client.query(copyFrom(`COPY "${schema}".telemetry (${INPUT_COLUMNS}) FROM STDIN`)));
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const appends = workload();
const points = appends.reduce((n, a) => n + a.reduce((m, b) => m + b.points.length, 0), 0);
console.log(`pg-ingest: ${points} points in ${appends.length} appends of ~${batchPoints}, ${devices} devices x ${keys} keys, ${writers} writer(s), ${rounds} round(s)`);
const runs = { rawPlain: [] as number[], rawStore: [] as number[], copy: [] as number[], unnest: [] as number[], rollUpMs: [] as number[], replay: [] as number[] };
for (let round = 0; round < rounds; round++) {
  runs.rawPlain.push(await rawCopy(appends, 'plain'));
  runs.rawStore.push(await rawCopy(appends, 'store'));
  for (const method of ['copy', 'unnest'] as const) {
    const r = await throughStore(appends, method);
    runs[method].push(r.pointsPerSec);
    if (method === 'copy') runs.rollUpMs.push(r.rollUpMs);
    if (method === 'copy') runs.replay.push(r.replayPointsPerSec);
  }
  console.log(`round ${round + 1}: ${['rawPlain', 'rawStore', 'copy', 'unnest'].map((k) => `${k} ${Math.round(runs[k as 'copy'].at(-1)!)}`).join(', ')} points/s`);
}
const floor = median(runs.rawPlain);
const fmt = (n: number) => Math.round(n).toLocaleString('en').padStart(9);
const results: Record<string, unknown> = { points, appends: appends.length, batchPoints, devices, keys, writers, rounds };
for (const [name, label] of [
  ['rawPlain', 'raw COPY, unindexed table'],
  ['rawStore', 'raw COPY, store table (PK)'],
  ['copy', 'PgTelemetryStore.append copy'],
  ['unnest', 'PgTelemetryStore.append unnest'],
] as const) {
  const m = median(runs[name]);
  console.log(`${label.padEnd(31)} ${fmt(m)} points/s  ratio to raw COPY ${(m / floor).toFixed(2)}`);
  results[name] = { pointsPerSec: Math.round(m), ratio: Number((m / floor).toFixed(3)) };
}
results.replayPointsPerSec = Math.round(median(runs.replay));
console.log(`replay of the same points (copy, all skipped) ${fmt(median(runs.replay))} points/s`);
results.rollUpPassMs = median(runs.rollUpMs);
console.log(`roll-up pass after the load (copy run): ${results.rollUpPassMs} ms`);
console.log(JSON.stringify(results));
