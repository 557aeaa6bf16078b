// TelemetryStore on PostgreSQL, for several Vigil nodes sharing one database. Each append is
// one transaction: the points (bulk-loaded, see pg-bulk-load.ts) go into the daily partitions
// with ON CONFLICT DO NOTHING on (tenant, device, key, ts), so a replayed batch stores nothing
// twice; new series and the consumer position are written in the same transaction.
import type { Pool, PoolClient } from 'pg';
import type { AggregateQuery, AggregateRow, RawQuery, StoredPoint, TelemetryStore } from '../../ports/telemetry-store.js';
import type { EncodedBatch, SequencedBatch, TelemetryValue } from '../../ports/telemetry.js';
import { decodeBatch } from '../../domains/telemetry/batch-codec.js';
import type { TelemetryLifecycle } from '../../ports/telemetry-lifecycle.js';
import { rawAggregateSql, rollupAggregateSql, toAggregateRow } from '../telemetry-aggregate-sql.js';
import { copyInto, copyIntoStaging, INPUT_COLUMNS, unnestInput, type BulkLoadMethod } from './pg-bulk-load.js';
import { partitionStart, TelemetryPartitions } from './pg-partitions.js';
import { pgAggregateDialect, rollUp } from './pg-rollups.js';

export interface PgTelemetryStoreOptions {
  /** How points are loaded: COPY into a staging table (default) or INSERT over unnest(). */
  bulkLoad?: BulkLoadMethod;
}

type Row = { key: string; ts: string; num: number | null; str: string | null; bool: boolean | null };

function valueOf(r: Row): TelemetryValue {
  if (r.num !== null) return r.num;
  if (r.bool !== null) return r.bool;
  return r.str ?? '';
}

const toPoint = (r: Row): StoredPoint => ({ key: r.key, ts: Number(r.ts), value: valueOf(r) });

function keyFilter(keys: string[] | undefined, params: unknown[]): string {
  if (!keys || keys.length === 0) return '';
  params.push(keys);
  return ` AND key = ANY($${params.length}::text[])`;
}

/** no partition for the row (a partition dropped by another node), deadlock, serialization failure. */
const RETRYABLE = new Set(['23514', '40P01', '40001']);
const ATTEMPTS = 3;

/** Inserts the rows of `input` that are not stored yet. */
function insertNewSql(input: string): string {
  return `INSERT INTO telemetry (${INPUT_COLUMNS}, tx)
    SELECT ${INPUT_COLUMNS}, x.tx FROM ${input}, (SELECT pg_current_xact_id()::text::bigint AS tx) x
    ON CONFLICT DO NOTHING`;
}

const UNIQUE_VIOLATION = '23505';
/** Series remembered as stored; past this many the memory is cleared and refills. */
const KNOWN_SERIES_MAX = 1_000_000;

// Also the TelemetryLifecycle (rollups and the partitions made ahead), like the DuckDB store.
export class PgTelemetryStore implements TelemetryStore, TelemetryLifecycle {
  private readonly partitions: TelemetryPartitions;
  private readonly bulkLoad: BulkLoadMethod;
  /** Series this node knows are in telemetry_series, so a batch writes only new ones. */
  private readonly knownSeries = new Set<string>();

  constructor(
    private readonly pool: Pool,
    options: PgTelemetryStoreOptions = {},
  ) {
    this.partitions = new TelemetryPartitions(pool);
    this.bulkLoad = options.bulkLoad ?? 'copy';
  }

  /** Expects the schema migrated (pg-migrator.ts); creates today's and the next days' partitions. */
  async init(): Promise<void> {
    await this.partitions.init();
  }

  /** Rollups need no start-up check here: every stored row is either folded or read raw. */
  whenRollupsReady(): Promise<void> {
    return Promise.resolve();
  }

  async rollUp(): Promise<void> {
    await this.partitions.ensureAhead();
    await rollUp(this.pool);
  }

  async lastAppliedSeq(consumer: string): Promise<number> {
    const rows = await this.pool.query<{ seq: string }>('SELECT seq FROM ingest_positions WHERE consumer = $1', [consumer]);
    return rows.rows.length ? Number(rows.rows[0]!.seq) : 0;
  }

  /** Rows go to PostgreSQL as text made from the points: decoded here, right before they are written. */
  async appendEncoded(consumer: string, batches: readonly EncodedBatch[]): Promise<void> {
    await this.append(consumer, batches.map((b) => decodeBatch(b.seq, b.data)));
  }

  async append(consumer: string, batches: SequencedBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const starts = new Set<number>();
    for (const b of batches) for (const p of b.points) starts.add(partitionStart(p.ts));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.partitions.ensure(starts);
        await this.write(consumer, batches);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= ATTEMPTS || !code || !RETRYABLE.has(code)) throw err;
        if (code === '23514') await this.partitions.reload();
      }
    }
  }

  private async write(consumer: string, batches: SequencedBatch[]): Promise<void> {
    const lastSeq = batches[batches.length - 1]!.seq;
    const newSeries = this.newSeries(batches);
    const finish = async (client: PoolClient) => {
      if (newSeries.length > 0) {
        await client.query(
          `INSERT INTO telemetry_series SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
          [newSeries.map((s) => s[0]), newSeries.map((s) => s[1]), newSeries.map((s) => s[2])],
        );
      }
      await client.query('INSERT INTO ingest_positions VALUES ($1, $2) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq', [
        consumer,
        lastSeq,
      ]);
    };
    if (this.bulkLoad === 'copy') {
      try {
        // Fast path, taken by every batch that is not a replay: COPY straight into the table.
        await this.inTransaction(async (client) => {
          await copyInto(client, 'telemetry', batches);
          await finish(client);
        });
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        // Some points are stored already (a replay): load them aside and insert only the new ones.
        await this.inTransaction(async (client) => {
          await client.query(insertNewSql(await copyIntoStaging(client, batches)));
          await finish(client);
        });
      }
    } else {
      await this.inTransaction(async (client) => {
        const { from, params } = unnestInput(batches, 1);
        await client.query(insertNewSql(from), params);
        await finish(client);
      });
    }
    if (this.knownSeries.size + newSeries.length > KNOWN_SERIES_MAX) this.knownSeries.clear();
    for (const [t, d, k] of newSeries) this.knownSeries.add(`${t}\u0000${d}\u0000${k}`);
  }

  /** The batches' series not known to be stored, sorted so concurrent writers lock them in one order. */
  private newSeries(batches: SequencedBatch[]): [string, string, string][] {
    const fresh = new Map<string, [string, string, string]>();
    for (const b of batches) {
      for (const p of b.points) {
        const id = `${b.tenantId}\u0000${b.deviceId}\u0000${p.key}`;
        if (!this.knownSeries.has(id) && !fresh.has(id)) fresh.set(id, [b.tenantId, b.deviceId, p.key]);
      }
    }
    return [...fresh.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  }

  async queryRaw(q: RawQuery): Promise<StoredPoint[]> {
    const params: unknown[] = [q.tenantId, q.deviceId, q.fromMs, q.toMs];
    const keys = keyFilter(q.keys, params);
    params.push(q.limit);
    const rows = await this.pool.query<Row>(
      `SELECT key, ts, num, str, bool FROM telemetry
       WHERE tenant_id = $1 AND device_id = $2 AND ts >= $3::bigint AND ts <= $4::bigint${keys}
       ORDER BY ts ${q.order === 'desc' ? 'DESC' : 'ASC'}, key LIMIT $${params.length}`,
      params,
    );
    return rows.rows.map(toPoint);
  }

  async queryAggregate(q: AggregateQuery): Promise<AggregateRow[]> {
    // The rollup state and the rows are read in one snapshot, so a roll-up pass committing in
    // between can neither hide rows nor count them twice.
    return this.inTransaction(async (client) => {
      const state = await client.query<{ rolled_tx: string }>('SELECT rolled_tx FROM telemetry_rollup_state WHERE id = 1');
      const dialect = pgAggregateDialect(Number(state.rows[0]?.rolled_tx ?? 0));
      const { sql, params } = rollupAggregateSql(q, dialect) ?? rawAggregateSql(q, dialect);
      const rows = await client.query(sql, params);
      return rows.rows.map((r: Record<string, unknown>) => toAggregateRow(r, q.aggregates));
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async latest(tenantId: string, deviceId: string, keys?: string[]): Promise<StoredPoint[]> {
    const params: unknown[] = [tenantId, deviceId];
    const filter = keyFilter(keys, params);
    // Per series, the newest row through the primary key; partitions are scanned newest first
    // and the scan stops at the first row, so the history's length does not matter.
    const rows = await this.pool.query<Row>(
      `SELECT s.key, t.ts, t.num, t.str, t.bool FROM telemetry_series s
       CROSS JOIN LATERAL (
         SELECT ts, num, str, bool FROM telemetry t
         WHERE t.tenant_id = s.tenant_id AND t.device_id = s.device_id AND t.key = s.key
         ORDER BY t.ts DESC LIMIT 1) t
       WHERE s.tenant_id = $1 AND s.device_id = $2${filter.replace('key', 's.key')} ORDER BY s.key`,
      params,
    );
    return rows.rows.map(toPoint);
  }

  async keys(tenantId: string, deviceId: string): Promise<string[]> {
    const rows = await this.pool.query<{ key: string }>(
      'SELECT key FROM telemetry_series WHERE tenant_id = $1 AND device_id = $2 ORDER BY key',
      [tenantId, deviceId],
    );
    return rows.rows.map((r) => r.key);
  }

  async seriesCounts(): Promise<{ tenantId: string; deviceId: string; series: number }[]> {
    const rows = await this.pool.query<{ tenant_id: string; device_id: string; series: string }>(
      'SELECT tenant_id, device_id, count(*) AS series FROM telemetry_series GROUP BY tenant_id, device_id',
    );
    return rows.rows.map((r) => ({ tenantId: r.tenant_id, deviceId: r.device_id, series: Number(r.series) }));
  }

  async storageUsage(): Promise<{ totalBytes: number; pointsByTenant: { tenantId: string; points: number }[] }> {
    // Counted from the per-minute rollups (one row per series-minute, not per point); points not
    // yet rolled up count at the next pass.
    const rows = await this.pool.query<{ tenant_id: string; points: string }>(
      'SELECT tenant_id, sum(cnt) AS points FROM telemetry_rollup_1m GROUP BY tenant_id',
    );
    const size = await this.pool.query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(i.inhrelid)) AS bytes FROM pg_inherits i WHERE i.inhparent = to_regclass('telemetry')`,
    );
    return { totalBytes: Number(size.rows[0]?.bytes ?? 0), pointsByTenant: rows.rows.map((r) => ({ tenantId: r.tenant_id, points: Number(r.points) })) };
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    this.knownSeries.clear();
    await this.inTransaction(async (client) => {
      for (const table of ['telemetry', 'telemetry_series', 'telemetry_rollup_1m']) {
        await client.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_id = $2`, [tenantId, deviceId]);
      }
    });
    this.knownSeries.clear(); // again: an append running meanwhile may have remembered the device's series
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }
}
