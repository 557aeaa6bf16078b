// The windowed-aggregate SQL shared by the DuckDB and PostgreSQL telemetry stores. Both keep
// ts as BIGINT epoch ms, the same one-minute partial rollup table and the same column names;
// the dialect carries the few differences (integer division, how a BIGINT is bound, and which
// rows are not folded into the rollup yet).
import type { Aggregate, AggregateRow } from '../ports/telemetry-store.js';

export const ROLLUP_MS = 60_000;

export interface AggregateSqlDialect {
  /** SQL for floor(a / b) on non-negative BIGINTs. */
  intDiv(a: string, b: string): string;
  /** How an epoch-ms (or interval) number is bound as a BIGINT parameter. */
  bigint(value: number): unknown;
  /** Predicate on telemetry rows that are stored but not folded into the rollup yet. */
  notRolledUp: string;
}

export interface AggregateSqlInput {
  tenantId: string;
  deviceId: string;
  keys?: string[];
  fromMs: number;
  toMs: number;
  intervalMs: number;
}

/** Result columns of both queries below: key, bucket, cnt, num_cnt, sum, min, max. */
export interface AggregateSql {
  sql: string;
  params: unknown[];
}

function keyFilter(keys: string[] | undefined, params: unknown[]): string {
  if (!keys || keys.length === 0) return '';
  return ` AND key IN (${keys.map((k) => (params.push(k), `$${params.length}`)).join(',')})`;
}

/** The partial aggregates of every window, computed from raw rows. */
export function rawAggregateSql(q: AggregateSqlInput, d: AggregateSqlDialect): AggregateSql {
  const params: unknown[] = [q.tenantId, q.deviceId, d.bigint(q.fromMs), d.bigint(q.toMs), d.bigint(q.intervalMs)];
  const keys = keyFilter(q.keys, params);
  const sql = `SELECT key, ${d.intDiv('ts', '$5::BIGINT')} * $5::BIGINT AS bucket, count(*) AS cnt, count(num) AS num_cnt,
      sum(num) AS sum, min(num) AS min, max(num) AS max FROM telemetry
    WHERE tenant_id = $1 AND device_id = $2 AND ts >= $3::BIGINT AND ts <= $4::BIGINT${keys}
    GROUP BY key, bucket ORDER BY key, bucket`;
  return { sql, params };
}

/**
 * A windowed aggregate that reads the rollup for whole minutes, or null when the window is not
 * a whole number of minutes or the range holds no whole minute. It combines rollup rows for the
 * whole minutes of the range, raw rows of the partial minutes at both ends, and raw rows inside
 * the whole minutes that are not rolled up yet.
 */
export function rollupAggregateSql(q: AggregateSqlInput, d: AggregateSqlDialect): AggregateSql | null {
  if (q.intervalMs % ROLLUP_MS !== 0) return null;
  const fullFrom = Math.ceil(q.fromMs / ROLLUP_MS) * ROLLUP_MS;
  const fullTo = Math.floor((q.toMs + 1) / ROLLUP_MS) * ROLLUP_MS; // exclusive; toMs is inclusive
  if (fullFrom >= fullTo) return null;
  const params: unknown[] = [q.tenantId, q.deviceId, d.bigint(q.fromMs), d.bigint(q.toMs), d.bigint(fullFrom), d.bigint(fullTo), d.bigint(q.intervalMs)];
  const scope = `tenant_id = $1 AND device_id = $2${keyFilter(q.keys, params)}`;
  const raw = `SELECT key, ts AS t, 1 AS cnt, CASE WHEN num IS NULL THEN 0 ELSE 1 END AS num_cnt, num AS sum, num AS min, num AS max FROM telemetry`;
  const sql = `
    WITH parts AS (
      SELECT key, bucket AS t, cnt, num_cnt, sum, min, max FROM telemetry_rollup_1m
        WHERE ${scope} AND bucket >= $5::BIGINT AND bucket < $6::BIGINT
      UNION ALL ${raw} WHERE ${scope} AND ts >= $3::BIGINT AND ts < $5::BIGINT
      UNION ALL ${raw} WHERE ${scope} AND ts >= $6::BIGINT AND ts <= $4::BIGINT
      UNION ALL ${raw} WHERE ${scope} AND ts >= $5::BIGINT AND ts < $6::BIGINT AND ${d.notRolledUp}
    )
    SELECT key, ${d.intDiv('t', '$7::BIGINT')} * $7::BIGINT AS bucket, sum(cnt) AS cnt, sum(num_cnt) AS num_cnt,
           sum(sum) AS sum, min(min) AS min, max(max) AS max
    FROM parts GROUP BY key, bucket ORDER BY key, bucket`;
  return { sql, params };
}

/** One result row of either query as the port's AggregateRow, with only the asked aggregates. */
export function toAggregateRow(r: Record<string, unknown>, aggregates: Aggregate[]): AggregateRow {
  const numCount = Number(r.num_cnt);
  const sum = nullableNumber(r.sum);
  const values: Record<Aggregate, number | null> = {
    avg: numCount > 0 && sum !== null ? sum / numCount : null,
    min: nullableNumber(r.min),
    max: nullableNumber(r.max),
    sum,
    count: Number(r.cnt),
  };
  const row: AggregateRow = { key: r.key as string, ts: Number(r.bucket) };
  for (const a of aggregates) row[a] = values[a];
  return row;
}

/** Numbers may come back as bigint (DuckDB) or decimal strings (PostgreSQL numeric/int8). */
function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
