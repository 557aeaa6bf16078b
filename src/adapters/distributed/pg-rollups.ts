// One-minute rollups in PostgreSQL, with the DuckDB store's layout and query (partial aggregates
// appended per pass, combined at query time; see telemetry-aggregate-sql.ts), but a different
// watermark. DuckDB folds rows by bus sequence, which is safe with one writer. With several
// nodes writing, a smaller sequence can commit after a larger one, so here each row carries
// the id of its inserting transaction (tx) and a pass folds the rows whose transaction id is
// below the oldest transaction still running (the snapshot's xmin): those transactions are
// all finished, so no row can appear below the watermark later. Rows at or above the
// watermark are read raw by queries until the next pass.
import type { Pool } from 'pg';
import { ROLLUP_MS, type AggregateSqlDialect } from '../telemetry-aggregate-sql.js';

/** Only one node folds at a time; the others skip the pass (the next one catches up). */
const LOCK_KEY = `hashtext(current_schema() || '.telemetry_rollup')`;

// One statement, one snapshot: the watermark, the folded rows and the new state agree.
const FOLD = `
  WITH w AS (
    SELECT s.rolled_tx AS from_tx,
           greatest(s.rolled_tx, pg_snapshot_xmin(pg_current_snapshot())::text::bigint) AS upto_tx
    FROM telemetry_rollup_state s WHERE s.id = 1 FOR UPDATE
  ), folded AS (
    INSERT INTO telemetry_rollup_1m (tenant_id, device_id, key, bucket, cnt, num_cnt, sum, min, max)
    SELECT t.tenant_id, t.device_id, t.key, (t.ts / ${ROLLUP_MS}) * ${ROLLUP_MS}, count(*), count(t.num), sum(t.num), min(t.num), max(t.num)
    FROM telemetry t, w WHERE t.tx >= w.from_tx AND t.tx < w.upto_tx
    GROUP BY 1, 2, 3, 4
    RETURNING cnt
  )
  UPDATE telemetry_rollup_state SET rolled_tx = (SELECT upto_tx FROM w)
  WHERE id = 1 RETURNING (SELECT coalesce(sum(cnt), 0) FROM folded) AS points`;

/** Folds the finished rows into the rollup; returns the points folded (0 when another node holds the pass). */
export async function rollUp(pool: Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const locked = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS ok`);
      let points = 0;
      if (locked.rows[0]?.ok) {
        // READ COMMITTED: this statement's snapshot is taken after the lock, so it sees the
        // previous pass's commit.
        const result = await client.query<{ points: string }>(FOLD);
        points = Number(result.rows[0]?.points ?? 0);
      }
      await client.query('COMMIT');
      return points;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

/** PostgreSQL's side of the shared aggregate SQL, for a query that read rolled_tx in its snapshot. */
export function pgAggregateDialect(rolledTx: number): AggregateSqlDialect {
  return {
    // ts is non-negative epoch ms: integer division truncates, which is floor here.
    intDiv: (a, b) => `(${a} / ${b})`,
    bigint: (value) => value,
    // A literal (an integer read from the database), so the planner can see how few rows match.
    notRolledUp: `tx >= ${Math.trunc(rolledTx)}`,
  };
}
