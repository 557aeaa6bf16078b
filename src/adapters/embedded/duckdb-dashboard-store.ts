// Embedded DashboardStore on DuckDB: one row per dashboard, widgets as JSON text.
import type { Dashboard, DashboardStore } from '../../ports/dashboard-store.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS dashboards (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, widgets VARCHAR NOT NULL,
  range_ms BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`;

function toDashboard(r: Row): Dashboard {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    widgets: JSON.parse(r.widgets as string),
    rangeMs: toNumber(r.range_ms),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}

export class DuckDbDashboardStore implements DashboardStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    await this.conn.run(SCHEMA);
  }

  async list(tenantId: string): Promise<Dashboard[]> {
    const rows = await this.conn.all('SELECT * FROM dashboards WHERE tenant_id = $1 ORDER BY lower(name), id', [tenantId]);
    return rows.map(toDashboard);
  }

  async get(tenantId: string, id: string): Promise<Dashboard | null> {
    const rows = await this.conn.all('SELECT * FROM dashboards WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toDashboard(rows[0]) : null;
  }

  async create(d: Dashboard): Promise<void> {
    await this.conn.run('INSERT INTO dashboards VALUES ($1, $2, $3, $4, $5, $6, $7)', [
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
    const rows = await this.conn.all(
      'UPDATE dashboards SET name = $3, widgets = $4, range_ms = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2 RETURNING id',
      [tenantId, id, d.name, JSON.stringify(d.widgets), d.rangeMs, d.updatedAt],
    );
    return rows.length > 0;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.conn.all('DELETE FROM dashboards WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }
}
