// Embedded AuditLog on DuckDB: one append-only table; ids from a sequence so they never repeat.
import type { DuckDBValue } from '@duckdb/node-api';
import type { AuditEntry, AuditFilter, AuditLog } from '../../ports/audit-log.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE SEQUENCE IF NOT EXISTS audit_ids START 1`,
  `CREATE TABLE IF NOT EXISTS audit_log (
     id BIGINT NOT NULL DEFAULT nextval('audit_ids'), at_ms BIGINT NOT NULL, tenant_id VARCHAR, actor VARCHAR, actor_email VARCHAR,
     action VARCHAR NOT NULL, target VARCHAR, ip VARCHAR NOT NULL, outcome VARCHAR NOT NULL, status_code INTEGER NOT NULL)`,
];

function toEntry(r: Row): AuditEntry {
  return {
    id: toNumber(r.id),
    at: toNumber(r.at_ms),
    tenantId: (r.tenant_id as string | null) ?? null,
    actor: (r.actor as string | null) ?? null,
    actorEmail: (r.actor_email as string | null) ?? null,
    action: r.action as string,
    target: (r.target as string | null) ?? null,
    ip: r.ip as string,
    outcome: r.outcome as string,
    statusCode: toNumber(r.status_code),
  };
}

export class DuckDbAuditLog implements AuditLog {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async append(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.conn.run(
      `INSERT INTO audit_log (at_ms, tenant_id, actor, actor_email, action, target, ip, outcome, status_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [BigInt(e.at), e.tenantId, e.actor, e.actorEmail, e.action, e.target, e.ip, e.outcome, e.statusCode],
    );
  }

  async query(f: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    const params: DuckDBValue[] = [];
    const where: string[] = [];
    const add = (sql: string, value: DuckDBValue) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (f.tenantId !== null) add('tenant_id = ?', f.tenantId);
    if (f.actor) add('(actor = ? OR actor_email = lower(?))', f.actor);
    if (f.action) add('action LIKE ?', `%${f.action}%`);
    if (f.from !== undefined) add('at_ms >= ?', BigInt(f.from));
    if (f.to !== undefined) add('at_ms < ?', BigInt(f.to));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.conn.all(`SELECT count(*) AS n FROM audit_log ${clause}`, params);
    const rows = await this.conn.all(
      `SELECT * FROM audit_log ${clause} ORDER BY id DESC LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: rows.map(toEntry), total: toNumber(total[0]!.n) };
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
