// Embedded DeviceProfileStore on DuckDB (management.duckdb); the schema is kept as JSON text.
import type { DeviceProfile, DeviceProfileStore } from '../../ports/device-profile-store.js';
import { toDeviceProfile } from '../rows/device-profile-rows.js';
import type { DuckDbDatabase, SerialConnection } from './duckdb-database.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS device_profiles (
  id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, description VARCHAR NOT NULL,
  telemetry_schema VARCHAR, on_violation VARCHAR NOT NULL, inactivity_timeout_ms BIGINT,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, UNIQUE (tenant_id, name))`;

export class DuckDbDeviceProfileStore implements DeviceProfileStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    await this.conn.run(SCHEMA);
  }

  async putProfile(p: DeviceProfile): Promise<void> {
    await this.conn.exclusive(async (c) => {
      await c.run('BEGIN');
      try {
        await c.run('DELETE FROM device_profiles WHERE id = $1', [p.id]);
        await c.run('INSERT INTO device_profiles VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
          p.id,
          p.tenantId,
          p.name,
          p.description,
          p.telemetrySchema ? JSON.stringify(p.telemetrySchema) : null,
          p.onViolation,
          p.inactivityTimeoutMs === null ? null : BigInt(p.inactivityTimeoutMs),
          BigInt(p.createdAt),
          BigInt(p.updatedAt),
        ]);
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    });
  }

  async listAllProfiles(): Promise<DeviceProfile[]> {
    return (await this.conn.all('SELECT * FROM device_profiles ORDER BY tenant_id, name')).map(toDeviceProfile);
  }

  async deleteProfile(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.conn.all('DELETE FROM device_profiles WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
