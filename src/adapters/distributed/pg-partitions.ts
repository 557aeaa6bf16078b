// Daily range partitions of the telemetry table. Partitions for the next days are created ahead
// (at start and on every roll-up pass); a batch with points outside every known partition (a
// device replaying last month, a clock in the future) creates the missing ones before it is
// written. Creation runs in its own short transaction under an advisory lock, so two nodes
// creating the same partition at once do not collide: the second finds it there.
import type { Pool } from 'pg';

export const PARTITION_MS = 86_400_000;
/** Days created ahead of now, so the writers at midnight never wait on DDL. */
const DAYS_AHEAD = 2;

const LOCK_KEY = `hashtext(current_schema() || '.telemetry_partitions')`;

/** The partition holding ts: telemetry_p<yyyymmdd>, ranging over one UTC day. */
export function partitionStart(ts: number): number {
  return Math.floor(ts / PARTITION_MS) * PARTITION_MS;
}

/** Quoted: years past 9999 or before 1 print with a sign. */
function partitionName(start: number): string {
  const iso = new Date(start).toISOString();
  return `"telemetry_p${iso.slice(0, iso.indexOf('T')).replaceAll('-', '')}"`;
}

export class TelemetryPartitions {
  /** Start (epoch ms) of every partition known to exist. */
  private readonly known = new Set<number>();

  constructor(private readonly pool: Pool) {}

  /** Reads the existing partitions and creates the ones for today and the next days. */
  async init(nowMs = Date.now()): Promise<void> {
    await this.reload();
    await this.ensureAhead(nowMs);
  }

  async ensureAhead(nowMs = Date.now()): Promise<void> {
    const today = partitionStart(nowMs);
    const starts: number[] = [];
    for (let d = 0; d <= DAYS_AHEAD; d++) starts.push(today + d * PARTITION_MS);
    await this.ensure(starts);
  }

  /** Creates the partitions (by start) that are not known yet. */
  async ensure(starts: Iterable<number>): Promise<void> {
    const missing = [...new Set(starts)].filter((s) => !this.known.has(s)).sort((a, b) => a - b);
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
      for (const start of missing) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(start)} PARTITION OF telemetry FOR VALUES FROM (${start}) TO (${start + PARTITION_MS})`,
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    for (const s of missing) this.known.add(s);
  }

  /** The partitions needed by these timestamps. */
  ensureFor(timestamps: Iterable<number>): Promise<void> {
    const starts = new Set<number>();
    for (const ts of timestamps) starts.add(partitionStart(ts));
    return this.ensure(starts);
  }

  /** Forgets the cache and reads the partitions again (another node may have dropped one). */
  async reload(): Promise<void> {
    const rows = await this.pool.query<{ bound: string }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry'::regclass`,
    );
    this.known.clear();
    for (const r of rows.rows) {
      const from = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
      // Only whole-day partitions count as known; anything else is left to PostgreSQL to route.
      if (from && Number(from[2]) - Number(from[1]) === PARTITION_MS) this.known.add(Number(from[1]));
    }
  }
}
