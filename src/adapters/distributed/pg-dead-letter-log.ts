// DeadLetterLog on PostgreSQL (table ingest_rejected, from the migrations), with the DuckDB
// log's semantics (duckdb-dead-letter-log.ts); the contract suite runs on both.
import type { Pool } from 'pg';
import type { DeadLetterLog, RejectedEntry } from '../../ports/dead-letter-log.js';

type Row = Record<string, unknown>;

export class PgDeadLetterLog implements DeadLetterLog {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async appendRejected(entries: RejectedEntry[], keep: number): Promise<void> {
    if (entries.length === 0) return;
    const column = <K extends keyof RejectedEntry>(k: K) => entries.map((e) => e[k]);
    await this.pool.query(
      `INSERT INTO ingest_rejected
       SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[])`,
      [column('id'), column('at'), column('tenantId'), column('deviceId'), column('transport'), column('reason'), column('message'), column('payloadHead'), column('payloadBytes')],
    );
    await this.pool.query('DELETE FROM ingest_rejected WHERE id <= (SELECT max(id) FROM ingest_rejected) - $1::bigint', [keep]);
  }

  async recentRejected(limit: number): Promise<RejectedEntry[]> {
    const rows = await this.all(`SELECT * FROM (SELECT * FROM ingest_rejected ORDER BY id DESC LIMIT ${Math.trunc(limit)}) r ORDER BY id`);
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.rejected_at),
      tenantId: (r.tenant_id as string | null) ?? null,
      deviceId: (r.device_id as string | null) ?? null,
      transport: r.transport as string,
      reason: r.reason as string,
      message: r.message as string,
      payloadHead: r.payload_head as string,
      payloadBytes: Number(r.payload_bytes),
    }));
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
