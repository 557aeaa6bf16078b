// One-minute rollups of the telemetry table, so windowed aggregates over long ranges read
// thousands of pre-aggregated rows instead of every point.
//
// Each telemetry row carries the bus sequence number of its batch (`seq`). A roll-up pass appends
// the per-minute partial aggregates of the rows with rolled < seq <= applied and records
// `applied` as rolled, in one transaction; late points (an old ts arriving now) are folded in by
// arrival, not by time. Partials are never merged in place: a minute touched by two passes has
// two rows, and queries combine them like any other partials (sum of sums, min of mins...).
// That keeps the rollup index-free (no key lookups, no index memory) and a pass a plain
// aggregate-and-append; passes run about once a minute, so a minute rarely has more than two.
// A query combines: rollup rows for the whole minutes of its range, raw rows of the partial
// minutes at both ends, and raw rows not rolled up yet (seq > rolled, found through the seq
// zone maps). At start the rollup is checked against the table (point counts) and rebuilt if
// they differ, e.g. after a bulk load straight into the table.
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { toNumber } from './duckdb-database.js';
import {
  ROLLUP_MS,
  rollupAggregateSql as sharedRollupAggregateSql,
  type AggregateSqlDialect,
  type AggregateSqlInput,
} from '../telemetry-aggregate-sql.js';

export { ROLLUP_MS };

export const ROLLUP_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS telemetry_rollup_1m (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, key VARCHAR NOT NULL, bucket BIGINT NOT NULL,
     cnt BIGINT NOT NULL, num_cnt BIGINT NOT NULL, sum DOUBLE, min DOUBLE, max DOUBLE)`,
  `CREATE TABLE IF NOT EXISTS telemetry_rollup_state (id INTEGER PRIMARY KEY, rolled_seq BIGINT NOT NULL)`,
];

const FOLD = `
  INSERT INTO telemetry_rollup_1m
  SELECT tenant_id, device_id, key, (ts // ${ROLLUP_MS}) * ${ROLLUP_MS} AS bucket,
         count(*), count(num), sum(num), min(num), max(num)
  FROM telemetry WHERE %WHERE% GROUP BY ALL`;

async function scalar(conn: DuckDBConnection, sql: string, params?: DuckDBValue[]): Promise<number> {
  const rows = (await conn.runAndReadAll(sql, params)).getRowObjectsJS();
  const v = rows[0] ? Object.values(rows[0])[0] : 0;
  return v === null || v === undefined ? 0 : toNumber(v);
}

async function appliedSeq(conn: DuckDBConnection): Promise<number> {
  return scalar(conn, `SELECT coalesce(max(seq), 0) FROM ingest_positions`);
}

export async function rolledSeq(conn: DuckDBConnection): Promise<number> {
  return scalar(conn, 'SELECT coalesce(max(rolled_seq), -1) FROM telemetry_rollup_state');
}

async function setRolled(conn: DuckDBConnection, seq: number): Promise<void> {
  await conn.run(
    'INSERT INTO telemetry_rollup_state VALUES (1, $1::BIGINT) ON CONFLICT (id) DO UPDATE SET rolled_seq = excluded.rolled_seq',
    [BigInt(seq)],
  );
}

async function inTransaction(conn: DuckDBConnection, fn: () => Promise<void>): Promise<void> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await fn();
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Checks the rollup against the table; rebuilds it when they disagree. Returns true if rebuilt. */
export async function verifyOrRebuild(conn: DuckDBConnection): Promise<boolean> {
  let rebuilt = false;
  await inTransaction(conn, async () => {
    const rolled = await rolledSeq(conn);
    const rolledRows = await scalar(
      conn,
      `SELECT count(*) FROM telemetry WHERE seq IS NULL OR seq <= $1::BIGINT`,
      [BigInt(rolled)],
    );
    const inRollup = await scalar(conn, 'SELECT coalesce(sum(cnt), 0) FROM telemetry_rollup_1m');
    if (rolled >= 0 && rolledRows === inRollup) return;
    const applied = await appliedSeq(conn);
    await conn.run('DELETE FROM telemetry_rollup_1m');
    await conn.run(FOLD.replace('%WHERE%', 'seq IS NULL OR seq <= $1::BIGINT'), [BigInt(applied)]);
    await setRolled(conn, applied);
    rebuilt = true;
  });
  return rebuilt;
}

/** Folds the rows stored since the last pass into the rollup. */
export async function rollUp(conn: DuckDBConnection): Promise<void> {
  await inTransaction(conn, async () => {
    const rolled = await rolledSeq(conn);
    const applied = await appliedSeq(conn);
    if (applied <= rolled) return;
    await conn.run(FOLD.replace('%WHERE%', 'seq > $1::BIGINT AND seq <= $2::BIGINT'), [BigInt(rolled), BigInt(applied)]);
    await setRolled(conn, applied);
  });
}

/** DuckDB's side of the windowed-aggregate SQL shared with the PostgreSQL store. */
export const DUCKDB_AGGREGATE_DIALECT: AggregateSqlDialect = {
  intDiv: (a, b) => `(${a} // ${b})`,
  // BIGINT casts matter: a JavaScript bigint binds as HUGEINT, and 128-bit division per row
  // made the raw aggregate 7x slower.
  bigint: (value) => BigInt(value),
  notRolledUp: 'seq > (SELECT coalesce(max(rolled_seq), -1) FROM telemetry_rollup_state)',
};

/** The rollup-reading aggregate (see telemetry-aggregate-sql.ts), or null when it does not apply. */
export function rollupAggregateSql(q: AggregateSqlInput): { sql: string; params: DuckDBValue[] } | null {
  return sharedRollupAggregateSql(q, DUCKDB_AGGREGATE_DIALECT) as { sql: string; params: DuckDBValue[] } | null;
}
