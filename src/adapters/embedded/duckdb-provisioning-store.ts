// Embedded ProvisioningStore on DuckDB.
import type { PendingClaim, ProvisionProfile, ProvisioningStore } from '../../ports/provisioning-store.js';
import { toClaim, toProfile } from '../rows/provisioning-rows.js';
import type { DuckDbDatabase, SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS provision_profiles (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, device_type VARCHAR NOT NULL,
     strategy VARCHAR NOT NULL, provision_key VARCHAR NOT NULL UNIQUE, secret_hash VARCHAR NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS device_claims (
     device_id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, secret_hash VARCHAR NOT NULL, expires_at BIGINT NOT NULL)`,
];

export class DuckDbProvisioningStore implements ProvisioningStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async createProfile(p: ProvisionProfile): Promise<void> {
    await this.conn.run('INSERT INTO provision_profiles VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      p.id,
      p.tenantId,
      p.name,
      p.deviceType,
      p.strategy,
      p.provisionKey,
      p.secretHash,
      BigInt(p.createdAt),
    ]);
  }

  async findProfileByKey(provisionKey: string): Promise<ProvisionProfile | null> {
    const rows = await this.conn.all('SELECT * FROM provision_profiles WHERE provision_key = $1', [provisionKey]);
    return rows[0] ? toProfile(rows[0]) : null;
  }

  async listProfiles(tenantId: string): Promise<ProvisionProfile[]> {
    return (await this.conn.all('SELECT * FROM provision_profiles WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId])).map(toProfile);
  }

  async deleteProfile(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.conn.all('DELETE FROM provision_profiles WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }

  async putClaim(c: PendingClaim): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO device_claims VALUES ($1, $2, $3, $4)', [c.deviceId, c.tenantId, c.secretHash, BigInt(c.expiresAt)]);
  }

  async getClaim(tenantId: string, deviceId: string): Promise<PendingClaim | null> {
    const rows = await this.conn.all('SELECT * FROM device_claims WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    return rows[0] ? toClaim(rows[0]) : null;
  }

  async deleteClaim(tenantId: string, deviceId: string): Promise<void> {
    await this.conn.run('DELETE FROM device_claims WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
