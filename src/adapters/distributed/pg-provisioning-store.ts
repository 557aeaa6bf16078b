// ProvisioningStore on PostgreSQL (migration 007). The provision key is unique across tenants in
// the table itself, so two nodes creating profiles with one key cannot both succeed. Secrets
// arrive hashed, as they do for the DuckDB store.
import type { Pool } from 'pg';
import type { PendingClaim, ProvisionProfile, ProvisioningStore } from '../../ports/provisioning-store.js';
import { toClaim, toProfile } from '../rows/provisioning-rows.js';
import type { Row } from '../rows/row.js';

export class PgProvisioningStore implements ProvisioningStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async createProfile(p: ProvisionProfile): Promise<void> {
    await this.pool.query(
      `INSERT INTO provision_profiles (id, tenant_id, name, device_type, strategy, provision_key, secret_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [p.id, p.tenantId, p.name, p.deviceType, p.strategy, p.provisionKey, p.secretHash, p.createdAt],
    );
  }

  async findProfileByKey(provisionKey: string): Promise<ProvisionProfile | null> {
    const rows = await this.all('SELECT * FROM provision_profiles WHERE provision_key = $1', [provisionKey]);
    return rows[0] ? toProfile(rows[0]) : null;
  }

  async listProfiles(tenantId: string): Promise<ProvisionProfile[]> {
    return (await this.all('SELECT * FROM provision_profiles WHERE tenant_id = $1 ORDER BY created_at, id COLLATE "C"', [tenantId])).map(toProfile);
  }

  async deleteProfile(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM provision_profiles WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return (rowCount ?? 0) > 0;
  }

  async putClaim(c: PendingClaim): Promise<void> {
    await this.pool.query(
      `INSERT INTO device_claims (device_id, tenant_id, secret_hash, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (device_id) DO UPDATE SET tenant_id = excluded.tenant_id, secret_hash = excluded.secret_hash, expires_at = excluded.expires_at`,
      [c.deviceId, c.tenantId, c.secretHash, c.expiresAt],
    );
  }

  async getClaim(tenantId: string, deviceId: string): Promise<PendingClaim | null> {
    const rows = await this.all('SELECT * FROM device_claims WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    return rows[0] ? toClaim(rows[0]) : null;
  }

  async deleteClaim(tenantId: string, deviceId: string): Promise<void> {
    await this.pool.query('DELETE FROM device_claims WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
