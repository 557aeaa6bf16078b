// PolicyStore on PostgreSQL: maintenance and detector policies, with the DuckDB store's
// semantics (duckdb-policy-store.ts).
import type { Pool } from 'pg';
import type { DetectorPolicy, MaintenancePolicy, PolicyStore } from '../../ports/policy-store.js';

type Row = Record<string, unknown>;

/** jsonb parameters go as JSON text: node-postgres would send a JS array as a PostgreSQL array. */
const json = (v: unknown) => JSON.stringify(v ?? null);
export class PgPolicyStore implements PolicyStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async putPolicy(p: MaintenancePolicy): Promise<void> {
    await this.pool.query(
      `INSERT INTO maintenance_policies VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET key = excluded.key, threshold = excluded.threshold,
       fail_when = excluded.fail_when, horizon_ms = excluded.horizon_ms, window_ms = excluded.window_ms,
       updated_at = excluded.updated_at`,
      [p.tenantId, p.deviceType, p.key, p.threshold, p.failWhen, p.horizonMs, p.windowMs, p.updatedAt],
    );
  }

  async listPolicies(tenantId?: string): Promise<MaintenancePolicy[]> {
    const rows = tenantId
      ? await this.all('SELECT * FROM maintenance_policies WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.all('SELECT * FROM maintenance_policies ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      key: r.key as string,
      threshold: r.threshold as number,
      failWhen: (r.fail_when as MaintenancePolicy['failWhen']) ?? null,
      horizonMs: Number(r.horizon_ms),
      windowMs: Number(r.window_ms),
      updatedAt: Number(r.updated_at),
    }));
  }

  async deletePolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('maintenance_policies', tenantId, deviceType);
  }

  async putDetectorPolicy(p: DetectorPolicy): Promise<void> {
    await this.pool.query(
      `INSERT INTO detector_policies VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET keys = excluded.keys, fit_points = excluded.fit_points,
       updated_at = excluded.updated_at`,
      [p.tenantId, p.deviceType, json(p.keys), p.fitPoints, p.updatedAt],
    );
  }

  async listDetectorPolicies(tenantId?: string): Promise<DetectorPolicy[]> {
    const rows = tenantId
      ? await this.all('SELECT * FROM detector_policies WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.all('SELECT * FROM detector_policies ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      keys: r.keys as string[],
      fitPoints: Number(r.fit_points),
      updatedAt: Number(r.updated_at),
    }));
  }

  async deleteDetectorPolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('detector_policies', tenantId, deviceType);
  }

  /** Deletes a tenant's row for a device type; true when there was one. */
  private async deleteForType(table: string, tenantId: string, deviceType: string): Promise<boolean> {
    const deleted = await this.pool.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_type = $2`, [tenantId, deviceType]);
    return (deleted.rowCount ?? 0) > 0;
  }
}
