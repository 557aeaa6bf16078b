// TelemetryStore on PostgreSQL, for several Vigil nodes sharing one database. Each append is
// one transaction: the points (bulk-loaded, see pg-bulk-load.ts) go into the daily partitions
// with ON CONFLICT DO NOTHING on (tenant, device, key, ts), so a replayed batch stores nothing
// twice; latest values and the consumer position are written in the same transaction.
import type { Pool, PoolClient } from 'pg';
import type { AggregateQuery, AggregateRow, RawQuery, StoredPoint, TelemetryStore } from '../../ports/telemetry-store.js';
import type { SequencedBatch, TelemetryValue } from '../../ports/telemetry.js';
import { rawAggregateSql, rollupAggregateSql, toAggregateRow } from '../telemetry-aggregate-sql.js';
import { copyIntoStaging, INPUT_COLUMNS, unnestInput, type BulkLoadMethod } from './pg-bulk-load.js';
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

function writeSql(input: string): string {
  // The newest point per series (DISTINCT ON ... ts DESC) updates latest only if it is newer,
  // so an old batch replayed late never moves latest back. Series are locked in key order,
  // so concurrent writers cannot deadlock on telemetry_latest.
  return `
    WITH inserted AS (
      INSERT INTO telemetry (${INPUT_COLUMNS}, tx)
      SELECT ${INPUT_COLUMNS}, x.tx FROM ${input}, (SELECT pg_current_xact_id()::text::bigint AS tx) x
      ON CONFLICT DO NOTHING
    )
    INSERT INTO telemetry_latest (${INPUT_COLUMNS})
    SELECT DISTINCT ON (tenant_id, device_id, key) ${INPUT_COLUMNS} FROM ${input}
    ORDER BY tenant_id, device_id, key, ts DESC
    ON CONFLICT (tenant_id, device_id, key) DO UPDATE
    SET ts = excluded.ts, num = excluded.num, str = excluded.str, bool = excluded.bool
    WHERE excluded.ts >= telemetry_latest.ts`;
}

export class PgTelemetryStore implements TelemetryStore {
  private readonly partitions: TelemetryPartitions;
  private readonly bulkLoad: BulkLoadMethod;

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
    await this.inTransaction(async (client) => {
      if (this.bulkLoad === 'copy') {
        await client.query(writeSql(await copyIntoStaging(client, batches)));
      } else {
        const { from, params } = unnestInput(batches, 1);
        await client.query(writeSql(`(SELECT * FROM ${from}) AS input`), params);
      }
      await client.query(
        'INSERT INTO ingest_positions VALUES ($1, $2) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq',
        [consumer, lastSeq],
      );
    });
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
    const rows = await this.pool.query<Row>(
      `SELECT key, ts, num, str, bool FROM telemetry_latest WHERE tenant_id = $1 AND device_id = $2${filter} ORDER BY key`,
      params,
    );
    return rows.rows.map(toPoint);
  }

  async keys(tenantId: string, deviceId: string): Promise<string[]> {
    const rows = await this.pool.query<{ key: string }>(
      'SELECT key FROM telemetry_latest WHERE tenant_id = $1 AND device_id = $2 ORDER BY key',
      [tenantId, deviceId],
    );
    return rows.rows.map((r) => r.key);
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.inTransaction(async (client) => {
      for (const table of ['telemetry', 'telemetry_latest', 'telemetry_rollup_1m']) {
        await client.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_id = $2`, [tenantId, deviceId]);
      }
    });
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
