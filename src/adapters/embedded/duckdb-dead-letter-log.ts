// Embedded DeadLetterLog on DuckDB: the newest refused payloads, in the ingest_rejected table
// (shares vigil.duckdb with the other stores, on a connection of its own).
import type { DeadLetterLog, RejectedEntry } from '../../ports/dead-letter-log.js';
import { toNumber, type DuckDbDatabase, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ingest_rejected (
     id BIGINT NOT NULL, rejected_at BIGINT NOT NULL, tenant_id VARCHAR, device_id VARCHAR, transport VARCHAR NOT NULL,
     reason VARCHAR NOT NULL, message VARCHAR NOT NULL, payload_head VARCHAR NOT NULL, payload_bytes BIGINT NOT NULL)`,
];

export class DuckDbDeadLetterLog implements DeadLetterLog {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async appendRejected(entries: RejectedEntry[], keep: number): Promise<void> {
    if (entries.length === 0) return;
    await this.conn.exclusive(async (c) => {
      const appender = await c.createAppender('ingest_rejected');
      for (const e of entries) {
        appender.appendBigInt(BigInt(e.id));
        appender.appendBigInt(BigInt(e.at));
        if (e.tenantId === null) appender.appendNull();
        else appender.appendVarchar(e.tenantId);
        if (e.deviceId === null) appender.appendNull();
        else appender.appendVarchar(e.deviceId);
        appender.appendVarchar(e.transport);
        appender.appendVarchar(e.reason);
        appender.appendVarchar(e.message);
        appender.appendVarchar(e.payloadHead);
        appender.appendBigInt(BigInt(e.payloadBytes));
        appender.endRow();
      }
      appender.closeSync();
      await c.run('DELETE FROM ingest_rejected WHERE id <= (SELECT max(id) FROM ingest_rejected) - $1::BIGINT', [BigInt(keep)]);
    });
  }

  async recentRejected(limit: number): Promise<RejectedEntry[]> {
    const rows = await this.conn.all(`SELECT * FROM (SELECT * FROM ingest_rejected ORDER BY id DESC LIMIT ${Math.trunc(limit)}) ORDER BY id`);
    return rows.map((r) => ({
      id: toNumber(r.id),
      at: toNumber(r.rejected_at),
      tenantId: (r.tenant_id as string | null) ?? null,
      deviceId: (r.device_id as string | null) ?? null,
      transport: r.transport as string,
      reason: r.reason as string,
      message: r.message as string,
      payloadHead: r.payload_head as string,
      payloadBytes: toNumber(r.payload_bytes),
    }));
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
