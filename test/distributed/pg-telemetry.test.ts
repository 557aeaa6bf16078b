// What the PostgreSQL telemetry store adds to the contract: partitions created on demand (also by
// two nodes at once), idempotent replays, rollups equal to raw aggregates with several nodes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresStores, type PostgresStores } from '../../src/adapters/distributed/postgres.js';
import { PARTITION_MS } from '../../src/adapters/distributed/pg-partitions.js';
import type { SequencedBatch } from '../../src/ports/telemetry.js';
import { openTestStores, postgresUrl, type TestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';

const T = 'tenant';

function batch(seq: number, deviceId: string, points: [string, number, number | string | boolean][]): SequencedBatch {
  return { seq, tenantId: T, deviceId, transport: 'mqtt', receivedAt: 0, points: points.map(([key, ts, value]) => ({ key, ts, value })) };
}

async function partitionNames(stores: PostgresStores): Promise<string[]> {
  const rows = await stores.pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry'::regclass ORDER BY 1`,
  );
  return rows.rows.map((r) => r.name);
}

async function count(stores: PostgresStores, sql: string): Promise<number> {
  const rows = await stores.pool.query<{ n: string }>(sql);
  return Number(rows.rows[0]!.n);
}

/** A second node on the same schema: its own pool and store instances. */
function secondNode(first: TestStores): Promise<PostgresStores> {
  return openPostgresStores(postgresUrl, { schema: first.schema, poolSize: 4 });
}

describe('PgTelemetryStore (PostgreSQL specifics)', { skip: await skipUnless('postgres') }, () => {
  test('partitions - today and the next days exist at start; old and future points get theirs on demand', async () => {
    const stores = await openTestStores();
    try {
      const day = (ts: number) => `telemetry_p${new Date(ts).toISOString().slice(0, 10).replaceAll('-', '')}`;
      const now = Date.now();
      const atStart = await partitionNames(stores);
      for (const ts of [now, now + PARTITION_MS]) assert.ok(atStart.includes(day(ts)), `${day(ts)} in ${atStart}`);
      const old = Date.UTC(2019, 4, 17, 12);
      const future = now + 400 * PARTITION_MS;
      await stores.telemetry.append('c', [batch(1, 'd', [['t', old, 1], ['t', future, 2], ['t', now, 3]])]);
      const names = await partitionNames(stores);
      assert.ok(names.includes(day(old)) && names.includes(day(future)), `partitions: ${names}`);
      const raw = await stores.telemetry.queryRaw({ tenantId: T, deviceId: 'd', fromMs: 0, toMs: future, limit: 10, order: 'asc' });
      assert.deepEqual(raw.map((p) => [p.ts, p.value]), [[old, 1], [now, 3], [future, 2]]);
    } finally {
      await stores.close();
    }
  });

  test('partitions - two nodes creating the same new partitions at once both store their points', async () => {
    const stores = await openTestStores();
    const other = await secondNode(stores);
    try {
      const base = Date.UTC(2021, 0, 1);
      const points = (offset: number): [string, number, number][] =>
        Array.from({ length: 5 }, (_, d) => ['t', base + d * PARTITION_MS + offset, d] as [string, number, number]);
      await Promise.all([
        stores.telemetry.append('a', [batch(1, 'd1', points(1))]),
        other.telemetry.append('b', [batch(1, 'd2', points(2))]),
      ]);
      const names = await partitionNames(stores);
      assert.equal(names.filter((n) => n.startsWith('telemetry_p2021010')).length, 5, `partitions: ${names}`);
      assert.equal(await count(stores, 'SELECT count(*) AS n FROM telemetry'), 10);
    } finally {
      await other.close();
      await stores.close();
    }
  });

  test('idempotent writes - the same batch replayed, also by another node, is stored once', async () => {
    const stores = await openTestStores();
    const other = await secondNode(stores);
    try {
      const first = batch(1, 'd', [['t', 1000, 1], ['t', 2000, 2], ['on', 1000, true], ['mode', 1000, 'eco']]);
      await stores.telemetry.append('c', [first]);
      await stores.telemetry.append('c', [first]);
      await Promise.all([stores.telemetry.append('c', [first, batch(2, 'd', [['t', 3000, 3]])]), other.telemetry.append('c', [first])]);
      const raw = await stores.telemetry.queryRaw({ tenantId: T, deviceId: 'd', fromMs: 0, toMs: 10_000, limit: 100, order: 'asc' });
      assert.equal(raw.length, 5);
      await stores.telemetryLifecycle.rollUp();
      const agg = await stores.telemetry.queryAggregate({ tenantId: T, deviceId: 'd', fromMs: 0, toMs: 59_999, intervalMs: 60_000, aggregates: ['count', 'sum'] });
      assert.deepEqual(agg, [
        { key: 'mode', ts: 0, count: 1, sum: null },
        { key: 'on', ts: 0, count: 1, sum: null },
        { key: 't', ts: 0, count: 3, sum: 6 },
      ]);
      assert.deepEqual((await stores.telemetry.latest(T, 'd', ['t'])).map((p) => p.value), [3]);
    } finally {
      await other.close();
      await stores.close();
    }
  });

  test('rollups - two nodes writing and rolling up at once: the rollup equals the raw aggregates', async () => {
    const stores = await openTestStores();
    const other = await secondNode(stores);
    try {
      const nodes = [stores, other];
      const M = 60_000;
      let seed = 7;
      const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
      const writes: Promise<void>[] = [];
      for (let round = 0; round < 6; round++) {
        for (const [n, node] of nodes.entries()) {
          const batches: SequencedBatch[] = [];
          for (let d = 0; d < 4; d++) {
            const points: [string, number, number | string][] = [];
            for (let i = 0; i < 50; i++) points.push([`k${i % 3}`, Math.floor(random() * 10 * M), Math.round(random() * 1000) / 10]);
            points.push(['status', Math.floor(random() * 10 * M), 'ok']);
            batches.push(batch(round * 10 + d, `n${n}-d${d}`, points));
          }
          writes.push(node.telemetry.append(`node-${n}`, batches));
          writes.push(node.telemetryLifecycle.rollUp());
        }
      }
      await Promise.all(writes);
      // Passes fold what is finished; poll (a writer elsewhere on the server can hold the
      // watermark back for a moment) until everything written is folded.
      const stored = await count(stores, 'SELECT count(*) AS n FROM telemetry');
      const deadline = Date.now() + 60_000;
      while ((await count(stores, 'SELECT coalesce(sum(cnt), 0) AS n FROM telemetry_rollup_1m')) < stored) {
        assert.ok(Date.now() < deadline, 'roll-up passes never folded every stored point');
        await Promise.all(nodes.map((node) => node.telemetryLifecycle.rollUp()));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Every row below the watermark is in the rollup exactly once, per series and minute.
      const diff = await count(
        stores,
        `WITH raw AS (
           SELECT tenant_id, device_id, key, (ts / ${M}) * ${M} AS bucket, count(*) AS cnt, count(num) AS num_cnt, sum(num) AS sum, min(num) AS min, max(num) AS max
           FROM telemetry WHERE tx < (SELECT rolled_tx FROM telemetry_rollup_state) GROUP BY 1, 2, 3, 4),
         rolled AS (
           SELECT tenant_id, device_id, key, bucket, sum(cnt) AS cnt, sum(num_cnt) AS num_cnt, sum(sum) AS sum, min(min) AS min, max(max) AS max
           FROM telemetry_rollup_1m GROUP BY 1, 2, 3, 4)
         SELECT count(*) AS n FROM raw FULL JOIN rolled USING (tenant_id, device_id, key, bucket)
         WHERE raw.cnt IS DISTINCT FROM rolled.cnt OR raw.num_cnt IS DISTINCT FROM rolled.num_cnt
            OR abs(coalesce(raw.sum, 0) - coalesce(rolled.sum, 0)) > 1e-6
            OR raw.min IS DISTINCT FROM rolled.min OR raw.max IS DISTINCT FROM rolled.max`,
      );
      assert.equal(diff, 0, 'rollup rows differ from raw aggregates');
      // And the store's answers (rollup plus raw rows not folded yet) equal aggregates of raw points.
      for (const deviceId of ['n0-d1', 'n1-d3']) {
        const q = { tenantId: T, deviceId, fromMs: 30_000, toMs: 9 * M + 10_000, intervalMs: 2 * M };
        const agg = await stores.telemetry.queryAggregate({ ...q, aggregates: ['count', 'sum', 'min', 'max'] });
        const raw = await stores.telemetry.queryRaw({ ...q, limit: 100_000, order: 'asc' });
        const windows = new Map<string, { key: string; ts: number; count: number; sum: number; min: number | null; max: number | null }>();
        for (const p of raw) {
          const ts = Math.floor(p.ts / q.intervalMs) * q.intervalMs;
          const id = `${p.key}@${ts}`;
          const w = windows.get(id) ?? { key: p.key, ts, count: 0, sum: 0, min: null, max: null };
          w.count++;
          if (typeof p.value === 'number') {
            w.sum += p.value;
            w.min = w.min === null ? p.value : Math.min(w.min, p.value);
            w.max = w.max === null ? p.value : Math.max(w.max, p.value);
          }
          windows.set(id, w);
        }
        const round = (rows: object[]) => JSON.parse(JSON.stringify(rows, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
        const expected = [...windows.values()]
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.ts - b.ts))
          .map((w) => ({ ...w, sum: w.min === null ? null : w.sum }));
        assert.deepEqual(round(agg), round(expected));
      }
    } finally {
      await other.close();
      await stores.close();
    }
  });
});
