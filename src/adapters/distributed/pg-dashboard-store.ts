// DashboardStore on PostgreSQL: one row per dashboard, widgets as jsonb (migration 005).
import type { Pool } from 'pg';
import type { Dashboard, DashboardStore } from '../../ports/dashboard-store.js';

type Row = Record<string, unknown>;

function toDashboard(r: Row): Dashboard {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    widgets: r.widgets as Dashboard['widgets'],
    rangeMs: Number(r.range_ms),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export class PgDashboardStore implements DashboardStore {
  constructor(private readonly pool: Pool) {}

  async init(): Promise<void> {}

  async list(tenantId: string): Promise<Dashboard[]> {
    const { rows } = await this.pool.query('SELECT * FROM dashboards WHERE tenant_id = $1 ORDER BY lower(name), id', [tenantId]);
    return rows.map(toDashboard);
  }

  async get(tenantId: string, id: string): Promise<Dashboard | null> {
    const { rows } = await this.pool.query('SELECT * FROM dashboards WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toDashboard(rows[0]) : null;
  }

  async create(d: Dashboard): Promise<void> {
    await this.pool.query('INSERT INTO dashboards VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      d.id,
      d.tenantId,
      d.name,
      JSON.stringify(d.widgets),
      d.rangeMs,
      d.createdAt,
      d.updatedAt,
    ]);
  }

  async replace(tenantId: string, id: string, d: Pick<Dashboard, 'name' | 'widgets' | 'rangeMs' | 'updatedAt'>): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE dashboards SET name = $3, widgets = $4, range_ms = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2',
      [tenantId, id, d.name, JSON.stringify(d.widgets), d.rangeMs, d.updatedAt],
    );
    return (rowCount ?? 0) > 0;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM dashboards WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return (rowCount ?? 0) > 0;
  }
}
