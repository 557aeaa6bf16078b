// AuditLog on PostgreSQL: one append-only table whose ids come from an identity column shared by
// every node, so they never repeat and "newest first" is id order (migration 006).
import type { Pool } from 'pg';
import type { AuditEntry, AuditFilter, AuditLog } from '../../ports/audit-log.js';

type Row = Record<string, unknown>;

function toEntry(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: Number(r.at_ms),
    tenantId: (r.tenant_id as string | null) ?? null,
    actor: (r.actor as string | null) ?? null,
    actorEmail: (r.actor_email as string | null) ?? null,
    action: r.action as string,
    target: (r.target as string | null) ?? null,
    ip: r.ip as string,
    outcome: r.outcome as string,
    statusCode: Number(r.status_code),
  };
}

export class PgAuditLog implements AuditLog {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  async append(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO audit_log (at_ms, tenant_id, actor, actor_email, action, target, ip, outcome, status_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [e.at, e.tenantId, e.actor, e.actorEmail, e.action, e.target, e.ip, e.outcome, e.statusCode],
    );
  }

  async query(f: AuditFilter): Promise<{ items: AuditEntry[]; total: number }> {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (f.tenantId !== null) add('tenant_id = ?', f.tenantId);
    if (f.actor) add('(actor = ? OR actor_email = lower(?))', f.actor);
    // The action filter is a substring; LIKE's own wildcards in it match literally.
    if (f.action) add(`action LIKE ? ESCAPE '\\'`, `%${f.action.replace(/[\\%_]/g, '\\$&')}%`);
    if (f.from !== undefined) add('at_ms >= ?', f.from);
    if (f.to !== undefined) add('at_ms < ?', f.to);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await this.pool.query(`SELECT count(*) AS n FROM audit_log ${clause}`, params);
    const rows = await this.pool.query(
      `SELECT * FROM audit_log ${clause} ORDER BY id DESC LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: (rows.rows as Row[]).map(toEntry), total: Number((total.rows[0] as Row).n) };
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
