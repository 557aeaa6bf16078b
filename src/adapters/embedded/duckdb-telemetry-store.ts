// Embedded TelemetryStore on DuckDB. Points go in through the appender inside one transaction
// together with the consumer position, so a crash never stores a batch twice or half.
// ts is BIGINT epoch ms: windows are integer arithmetic (ts // interval * interval), SQL that
// PostgreSQL would also run.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';
import { encodeBatch } from '../../domains/telemetry/batch-codec.js';
import type {
  AggregateQuery,
  AggregateRow,
  RawQuery,
  StoredPoint,
  TelemetryStore,
} from '../../ports/telemetry-store.js';
import type { EncodedBatch, SequencedBatch, TelemetryValue } from '../../ports/telemetry.js';
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

/** The points of one append, before they go to telemetry and telemetry_latest. `i` = index in its batch. */
const STAGING_TABLE_SQL = `CREATE TEMP TABLE IF NOT EXISTS telemetry_staging (
  tenant_id VARCHAR, device_id VARCHAR, key VARCHAR, ts BIGINT, num DOUBLE, str VARCHAR, bool BOOLEAN, seq BIGINT, i BIGINT)`;

/**
 * Reads the staged lines {"q":seq,"w":<batch as on the bus>} into telemetry_staging: one row per
 * [key, ts, value] triple, the value in the column of its JSON type.
 */
function stageSql(file: string, maxLineBytes: number): string {
  return `INSERT INTO telemetry_staging
  SELECT w.t, w.d, x->>0, (x->1)::BIGINT,
    CASE WHEN json_type(x->2) IN ('DOUBLE', 'BIGINT', 'UBIGINT', 'HUGEINT') THEN (x->2)::DOUBLE END,
    CASE WHEN json_type(x->2) = 'VARCHAR' THEN x->>2 END,
    CASE WHEN json_type(x->2) = 'BOOLEAN' THEN (x->2)::BOOLEAN END,
    q, i
  FROM (SELECT q, w, unnest(w.p) AS x, unnest(range(len(w.p))) AS i
        FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', maximum_object_size = ${maxLineBytes},
                       columns = {q: 'BIGINT', w: 'STRUCT(t VARCHAR, d VARCHAR, p JSON[])'}))`;
}

/** The newest point per series of this append (ties: the later one) updates telemetry_latest. */
const MERGE_LATEST_SQL = `INSERT INTO telemetry_latest
  SELECT tenant_id, device_id, key, ts, num, str, bool FROM telemetry_staging
  QUALIFY row_number() OVER (PARTITION BY tenant_id, device_id, key ORDER BY ts DESC, seq DESC, i DESC) = 1
  ON CONFLICT (tenant_id, device_id, key) DO UPDATE
  SET ts = excluded.ts, num = excluded.num, str = excluded.str, bool = excluded.bool
  WHERE excluded.ts >= telemetry_latest.ts`;
const SAVE_POSITION_SQL = 'INSERT INTO ingest_positions VALUES ($1, $2) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq';

const LINE_END = Buffer.from('}\n');
/** The most a line's prefix {"q":<seq>,"w": takes (seq up to 2^53). */
const LINE_PREFIX_MAX = 30;

/** The staged file: one line {"q":seq,"w":<batch as on the bus>} per batch, in one buffer. */
function stageLines(batches: readonly EncodedBatch[]): Buffer {
  let bytes = 0;
  for (const b of batches) bytes += LINE_PREFIX_MAX + b.data.length + LINE_END.length;
  const staged = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const b of batches) {
    at += staged.write(`{"q":${b.seq},"w":`, at, 'latin1');
    staged.set(b.data, at);
    at += b.data.length;
    staged.set(LINE_END, at);
    at += LINE_END.length;
  }
  return staged.subarray(0, at);
}

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
  /** Where append() stages the batches it stores (one file, rewritten by each append). */
  private stagingFile = '';

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.writer = await this.db.connect();
    this.reader = await this.db.connect();
    this.roller = await this.db.connect();
    for (const sql of SCHEMA) await this.writer.run(sql);
    await this.writer.run(STAGING_TABLE_SQL);
    const stagingDir = `${this.db.path}.staging`;
    await mkdir(stagingDir, { recursive: true, mode: 0o700 });
    this.stagingFile = join(stagingDir, 'append.ndjson');
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
    await this.appendEncoded(consumer, batches.map((b) => ({ seq: b.seq, data: encodeBatch(b) })));
  }

  /**
   * Stores the batches and the consumer position in one transaction. The points are not handed
   * to DuckDB one value at a time from JavaScript: the batches' bus encoding (the JSON the ingest
   * path already wrote to the write-ahead log, passed along by the storage writer) is staged in a
   * file that DuckDB reads and unnests on its own threads, so the main thread only writes one
   * buffer and makes no object per point.
   */
  async appendEncoded(consumer: string, batches: readonly EncodedBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const lastSeq = batches[batches.length - 1]!.seq;
    const staged = stageLines(batches);
    let longest = 0;
    for (const batch of batches) if (batch.data.length > longest) longest = batch.data.length;
    // DuckDB sizes its read buffer from the largest line allowed: no larger than this append needs.
    const maxLineBytes = Math.max(1 << 20, 2 ** Math.ceil(Math.log2(longest + 64)));
    await this.writer.exclusive(async (conn) => {
      await writeFile(this.stagingFile, staged);
      await conn.run('BEGIN TRANSACTION');
      try {
        await conn.run(stageSql(this.stagingFile, maxLineBytes));
        await this.runPrepared(conn, 'INSERT INTO telemetry SELECT tenant_id, device_id, key, ts, num, str, bool, seq FROM telemetry_staging');
        await this.runPrepared(conn, MERGE_LATEST_SQL);
        await this.runPrepared(conn, 'DELETE FROM telemetry_staging');
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
    if (this.stagingFile) await rm(this.stagingFile, { force: true });
  }
}
