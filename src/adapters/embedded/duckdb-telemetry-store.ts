// Embedded TelemetryStore on DuckDB. Points go in through the appender inside one transaction
// together with the consumer position, so a crash never stores a batch twice or half.
// ts is BIGINT epoch ms: windows are integer arithmetic (ts // interval * interval), SQL that
// PostgreSQL would also run.
import { BIGINT, BOOLEAN, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import type {
  AggregateQuery,
  AggregateRow,
  RawQuery,
  StoredPoint,
  TelemetryStore,
} from '../../ports/telemetry-store.js';
import type { SequencedBatch, TelemetryValue } from '../../ports/telemetry.js';
import type { TelemetryLifecycle } from '../../ports/telemetry-lifecycle.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';
import { DUCKDB_AGGREGATE_DIALECT, ROLLUP_SCHEMA, rollUp, rollupAggregateSql, verifyOrRebuild } from './duckdb-rollups.js';
import { rawAggregateSql, toAggregateRow } from '../telemetry-aggregate-sql.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS telemetry (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, key VARCHAR NOT NULL, ts BIGINT NOT NULL,
     num DOUBLE, str VARCHAR, bool BOOLEAN, seq BIGINT)`,
  // The bus sequence number of each row's batch drives the incremental rollups.
  `ALTER TABLE telemetry ADD COLUMN IF NOT EXISTS seq BIGINT`,
  // Latest value per series, kept up to date on every flush: "latest" is a key lookup instead
  // of a scan of the whole history.
  `CREATE TABLE IF NOT EXISTS telemetry_latest (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, key VARCHAR NOT NULL, ts BIGINT NOT NULL,
     num DOUBLE, str VARCHAR, bool BOOLEAN, PRIMARY KEY (tenant_id, device_id, key))`,
  `CREATE TABLE IF NOT EXISTS ingest_positions (consumer VARCHAR PRIMARY KEY, seq BIGINT NOT NULL)`,
  ...ROLLUP_SCHEMA,
];

const SIZE_UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** DuckDB's human-readable sizes ("8.9 KiB", "0 bytes") in bytes; 0 when unreadable. */
function sizeInBytes(value: unknown): number {
  const match = /^([\d.]+)\s*(\w+)$/.exec(String(value ?? '').trim());
  return match ? Math.round(Number(match[1]) * (SIZE_UNITS[match[2]!] ?? 0)) : 0;
}

const MERGE_LATEST_SQL = `INSERT INTO telemetry_latest SELECT * FROM telemetry_latest_staging
  ON CONFLICT (tenant_id, device_id, key) DO UPDATE
  SET ts = excluded.ts, num = excluded.num, str = excluded.str, bool = excluded.bool
  WHERE excluded.ts >= telemetry_latest.ts`;
const SAVE_POSITION_SQL = 'INSERT INTO ingest_positions VALUES ($1, $2) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq';

function valueOf(row: Row): TelemetryValue {
  if (row.num !== null && row.num !== undefined) return row.num as number;
  if (row.bool !== null && row.bool !== undefined) return row.bool as boolean;
  return (row.str ?? '') as string;
}

function keyFilter(keys: string[] | undefined, params: DuckDBValue[]): string {
  if (!keys || keys.length === 0) return '';
  const placeholders = keys.map((k) => {
    params.push(k);
    return `$${params.length}`;
  });
  return ` AND key IN (${placeholders.join(',')})`;
}

// Also the TelemetryLifecycle (rollups): queryAggregate reads the rollups' readiness and they share
// the roller connection, so one object serves both ports.
export class DuckDbTelemetryStore implements TelemetryStore, TelemetryLifecycle {
  private writer!: SerialConnection;
  private reader!: SerialConnection;
  private roller!: SerialConnection;
  /** False until the rollup is verified (or rebuilt) at start; aggregates read raw rows until then. */
  private rollupsReady = false;
  private rollupCheck: Promise<void> = Promise.resolve();
  private readonly prepared = new Map<string, DuckDBPreparedStatement>();

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.writer = await this.db.connect();
    this.reader = await this.db.connect();
    this.roller = await this.db.connect();
    for (const sql of SCHEMA) await this.writer.run(sql);
    // A rebuild after a bulk load can take seconds per hundred million rows: do not hold up start.
    this.rollupCheck = this.roller
      .exclusive((c) => verifyOrRebuild(c))
      .then(
        () => void (this.rollupsReady = true),
        () => undefined,
      );
  }

  /** Resolves once the rollups are usable (after the start-up check). */
  whenRollupsReady(): Promise<void> {
    return this.rollupCheck;
  }

  async rollUp(): Promise<void> {
    if (!this.rollupsReady) return;
    await this.roller.exclusive((c) => rollUp(c));
  }

  async lastAppliedSeq(consumer: string): Promise<number> {
    const rows = await this.reader.all('SELECT seq FROM ingest_positions WHERE consumer = $1', [consumer]);
    return rows.length ? toNumber(rows[0]!.seq) : 0;
  }

  async append(consumer: string, batches: SequencedBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const lastSeq = batches[batches.length - 1]!.seq;
    await this.writer.exclusive(async (conn) => {
      await conn.run('BEGIN TRANSACTION');
      try {
        const appender = await conn.createAppender('telemetry');
        const latest = await conn.createAppender('telemetry_latest_staging').catch(async () => {
          await conn.run(
            'CREATE TEMP TABLE telemetry_latest_staging AS SELECT * FROM telemetry_latest WITH NO DATA',
          );
          return conn.createAppender('telemetry_latest_staging');
        });
        // Whole columns per data chunk: three native calls per point (its strings) instead of
        // nine appender calls; numbers, nulls and timestamps are written into typed arrays.
        const rows = new TelemetryColumns();
        // Newest point per series, by tenant and device (one string per batch), then key.
        const newest = new Map<string, Map<string, { b: SequencedBatch; i: number }>>();
        for (const batch of batches) {
          const points = batch.points;
          const series = `${batch.tenantId}\u0000${batch.deviceId}`;
          let perKey = newest.get(series);
          if (!perKey) newest.set(series, (perKey = new Map()));
          for (let i = 0; i < points.length; i++) {
            const p = points[i]!;
            rows.add(batch.tenantId, batch.deviceId, p.key, p.ts, p.value, batch.seq);
            if (rows.full) rows.appendTo(appender);
            const seen = perKey.get(p.key);
            if (!seen || seen.b.points[seen.i]!.ts <= p.ts) perKey.set(p.key, { b: batch, i });
          }
        }
        rows.appendTo(appender);
        appender.closeSync();
        for (const perKey of newest.values()) {
          for (const { b, i } of perKey.values()) {
            const p = b.points[i]!;
            appendRow(latest, b.tenantId, b.deviceId, p.key, p.ts, p.value);
          }
        }
        latest.closeSync();
        await this.runPrepared(conn, MERGE_LATEST_SQL);
        await this.runPrepared(conn, 'DELETE FROM telemetry_latest_staging');
        await this.runPrepared(conn, SAVE_POSITION_SQL, [consumer, lastSeq]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** The writer's statements run on every append: parsed and planned once, not per transaction. */
  private async runPrepared(conn: DuckDBConnection, sql: string, params?: DuckDBValue[]): Promise<void> {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = await conn.prepare(sql);
      this.prepared.set(sql, statement);
    }
    if (params) statement.bind(params);
    await statement.run();
  }

  async queryRaw(q: RawQuery): Promise<StoredPoint[]> {
    const params: DuckDBValue[] = [q.tenantId, q.deviceId, BigInt(q.fromMs), BigInt(q.toMs)];
    const keys = keyFilter(q.keys, params);
    params.push(q.limit);
    const rows = await this.reader.all(
      `SELECT key, ts, num, str, bool FROM telemetry
       WHERE tenant_id = $1 AND device_id = $2 AND ts >= $3::BIGINT AND ts <= $4::BIGINT${keys}
       ORDER BY ts ${q.order === 'desc' ? 'DESC' : 'ASC'}, key LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({ key: r.key as string, ts: toNumber(r.ts), value: valueOf(r) }));
  }

  async queryAggregate(q: AggregateQuery): Promise<AggregateRow[]> {
    // Whole minutes come from the rollup; otherwise the same partials are computed from raw rows.
    const { sql, params } = (this.rollupsReady ? rollupAggregateSql(q) : null) ?? rawAggregateSql(q, DUCKDB_AGGREGATE_DIALECT);
    const rows = await this.reader.all(sql, params as DuckDBValue[]);
    return rows.map((r) => toAggregateRow(r, q.aggregates));
  }

  async latest(tenantId: string, deviceId: string, keys?: string[]): Promise<StoredPoint[]> {
    const params: DuckDBValue[] = [tenantId, deviceId];
    const filter = keyFilter(keys, params);
    const rows = await this.reader.all(
      `SELECT key, ts, num, str, bool FROM telemetry_latest WHERE tenant_id = $1 AND device_id = $2${filter} ORDER BY key`,
      params,
    );
    return rows.map((r) => ({ key: r.key as string, ts: toNumber(r.ts), value: valueOf(r) }));
  }

  async keys(tenantId: string, deviceId: string): Promise<string[]> {
    const rows = await this.reader.all(
      'SELECT key FROM telemetry_latest WHERE tenant_id = $1 AND device_id = $2 ORDER BY key',
      [tenantId, deviceId],
    );
    return rows.map((r) => r.key as string);
  }

  async seriesCounts(): Promise<{ tenantId: string; deviceId: string; series: number }[]> {
    const rows = await this.reader.all(
      'SELECT tenant_id, device_id, count(*) AS series FROM telemetry_latest GROUP BY tenant_id, device_id',
    );
    return rows.map((r) => ({ tenantId: r.tenant_id as string, deviceId: r.device_id as string, series: toNumber(r.series) }));
  }

  async storageUsage(): Promise<{ totalBytes: number; pointsByTenant: { tenantId: string; points: number }[] }> {
    const rows = await this.reader.all('SELECT tenant_id, count(*) AS points FROM telemetry GROUP BY tenant_id');
    // The database file holds metadata too, but telemetry is nearly all of it; points written
    // since the last checkpoint are still in the write-ahead log.
    const size = (await this.reader.all('PRAGMA database_size'))[0];
    const totalBytes = size ? toNumber(size.used_blocks) * toNumber(size.block_size) + sizeInBytes(size.wal_size) : 0;
    return { totalBytes, pointsByTenant: rows.map((r) => ({ tenantId: r.tenant_id as string, points: toNumber(r.points) })) };
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.writer.run('DELETE FROM telemetry WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    await this.writer.run('DELETE FROM telemetry_latest WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    await this.roller.run('DELETE FROM telemetry_rollup_1m WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  async ping(): Promise<void> {
    await this.reader.all('SELECT 1');
  }

  async close(): Promise<void> {
    await this.rollupCheck;
    await this.writer.exclusive(async (c) => {
      for (const statement of this.prepared.values()) statement.destroySync();
      this.prepared.clear();
      c.closeSync();
    });
    await this.reader.exclusive(async (c) => c.closeSync());
    await this.roller.exclusive(async (c) => c.closeSync());
  }
}

type Appender = Awaited<ReturnType<SerialConnection['raw']['createAppender']>>;

/** One telemetry row; seq is given for the telemetry table and omitted for the latest-values staging table. */
function appendRow(a: Appender, tenantId: string, deviceId: string, key: string, ts: number, value: TelemetryValue, seq?: number): void {
  a.appendVarchar(tenantId);
  a.appendVarchar(deviceId);
  a.appendVarchar(key);
  a.appendBigInt(BigInt(ts));
  if (typeof value === 'number') {
    a.appendDouble(value);
    a.appendNull();
    a.appendNull();
  } else if (typeof value === 'boolean') {
    a.appendNull();
    a.appendNull();
    a.appendBoolean(value);
  } else {
    a.appendNull();
    a.appendVarchar(value);
    a.appendNull();
  }
  if (seq !== undefined) a.appendBigInt(BigInt(seq));
  a.endRow();
}

/** The telemetry table's columns, in order (tenant_id, device_id, key, ts, num, str, bool, seq). */
const TELEMETRY_TYPES = [VARCHAR, VARCHAR, VARCHAR, BIGINT, DOUBLE, VARCHAR, BOOLEAN, BIGINT];
/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

/** Rows collected column by column, appended one DuckDB data chunk at a time. */
class TelemetryColumns {
  private n = 0;
  private readonly tenant: string[] = [];
  private readonly device: string[] = [];
  private readonly key: string[] = [];
  private readonly ts: bigint[] = [];
  private readonly num: (number | null)[] = [];
  private readonly str: (string | null)[] = [];
  private readonly bool: (boolean | null)[] = [];
  private readonly seq: bigint[] = [];

  get full(): boolean {
    return this.n === CHUNK_ROWS;
  }

  add(tenantId: string, deviceId: string, key: string, ts: number, value: TelemetryValue, seq: number): void {
    const i = this.n++;
    this.tenant[i] = tenantId;
    this.device[i] = deviceId;
    this.key[i] = key;
    this.ts[i] = BigInt(ts);
    this.num[i] = typeof value === 'number' ? value : null;
    this.str[i] = typeof value === 'string' ? value : null;
    this.bool[i] = typeof value === 'boolean' ? value : null;
    this.seq[i] = BigInt(seq);
  }

  appendTo(appender: Appender): void {
    const n = this.n;
    if (n === 0) return;
    const columns = [this.tenant, this.device, this.key, this.ts, this.num, this.str, this.bool, this.seq];
    for (const column of columns) column.length = n;
    const chunk = DuckDBDataChunk.create(TELEMETRY_TYPES, n);
    chunk.setColumns(columns);
    appender.appendDataChunk(chunk);
    this.n = 0;
  }
}
