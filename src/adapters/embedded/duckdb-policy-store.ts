// Embedded PolicyStore on DuckDB: maintenance and detector policies per device type.
import type { DetectorPolicy, MaintenancePolicy, PolicyStore } from '../../ports/policy-store.js';
import { toNumber, type DuckDbDatabase, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS maintenance_policies (
     tenant_id VARCHAR NOT NULL, device_type VARCHAR NOT NULL, key VARCHAR NOT NULL, threshold DOUBLE NOT NULL,
     fail_when VARCHAR, horizon_ms BIGINT NOT NULL, window_ms BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     PRIMARY KEY (tenant_id, device_type))`,
  `CREATE TABLE IF NOT EXISTS detector_policies (
     tenant_id VARCHAR NOT NULL, device_type VARCHAR NOT NULL, keys VARCHAR NOT NULL, fit_points INTEGER NOT NULL,
     updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, device_type))`,
];

export class DuckDbPolicyStore implements PolicyStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async putPolicy(p: MaintenancePolicy): Promise<void> {
    await this.conn.run(
      // The threshold goes as text cast to DOUBLE: the driver binds an integral JS number as BIGINT, which fails beyond 2^63.
      `INSERT INTO maintenance_policies VALUES ($1,$2,$3,$4::DOUBLE,$5,$6,$7,$8)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET key = excluded.key, threshold = excluded.threshold,
       fail_when = excluded.fail_when, horizon_ms = excluded.horizon_ms, window_ms = excluded.window_ms,
       updated_at = excluded.updated_at`,
      [p.tenantId, p.deviceType, p.key, String(p.threshold), p.failWhen, BigInt(p.horizonMs), BigInt(p.windowMs), BigInt(p.updatedAt)],
    );
  }

  async listPolicies(tenantId?: string): Promise<MaintenancePolicy[]> {
    const rows = tenantId
      ? await this.conn.all('SELECT * FROM maintenance_policies WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.conn.all('SELECT * FROM maintenance_policies ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      key: r.key as string,
      threshold: r.threshold as number,
      failWhen: (r.fail_when as MaintenancePolicy['failWhen']) ?? null,
      horizonMs: toNumber(r.horizon_ms),
      windowMs: toNumber(r.window_ms),
      updatedAt: toNumber(r.updated_at),
    }));
  }

  async deletePolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('maintenance_policies', tenantId, deviceType);
  }

  async putDetectorPolicy(p: DetectorPolicy): Promise<void> {
    await this.conn.run(
      `INSERT INTO detector_policies VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET keys = excluded.keys, fit_points = excluded.fit_points,
       updated_at = excluded.updated_at`,
      [p.tenantId, p.deviceType, JSON.stringify(p.keys), p.fitPoints, BigInt(p.updatedAt)],
    );
  }

  async listDetectorPolicies(tenantId?: string): Promise<DetectorPolicy[]> {
    const rows = tenantId
      ? await this.conn.all('SELECT * FROM detector_policies WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.conn.all('SELECT * FROM detector_policies ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      keys: JSON.parse(r.keys as string) as string[],
      fitPoints: Number(r.fit_points),
      updatedAt: toNumber(r.updated_at),
    }));
  }

  async deleteDetectorPolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('detector_policies', tenantId, deviceType);
  }

  /** Deletes a tenant's row for a device type; true when there was one. */
  private async deleteForType(table: string, tenantId: string, deviceType: string): Promise<boolean> {
    const deleted = await this.conn.all(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_type = $2 RETURNING 1`, [tenantId, deviceType]);
    return deleted.length > 0;
  }
}
