// DeviceProfileStore on PostgreSQL (migration 010), shared by every node; the telemetry schema is
// JSON text, as in DuckDB, so it comes back exactly as written. (tenant_id, name) is unique in the
// table itself, so two nodes creating one name at once cannot both succeed.
import type { Pool } from 'pg';
import { Errors } from '../../errors.js';
import type { DeviceProfile, DeviceProfileStore } from '../../ports/device-profile-store.js';
import { toDeviceProfile } from '../rows/device-profile-rows.js';
import type { Row } from '../rows/row.js';

const UNIQUE_VIOLATION = '23505';

export class PgDeviceProfileStore implements DeviceProfileStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  async putProfile(p: DeviceProfile): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO device_profiles (id, tenant_id, name, description, telemetry_schema, on_violation, inactivity_timeout_ms, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, name = excluded.name, description = excluded.description,
           telemetry_schema = excluded.telemetry_schema, on_violation = excluded.on_violation,
           inactivity_timeout_ms = excluded.inactivity_timeout_ms, created_at = excluded.created_at, updated_at = excluded.updated_at`,
        [
          p.id,
          p.tenantId,
          p.name,
          p.description,
          p.telemetrySchema ? JSON.stringify(p.telemetrySchema) : null,
          p.onViolation,
          p.inactivityTimeoutMs,
          p.createdAt,
          p.updatedAt,
        ],
      );
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw Errors.conflict(`a profile named ${p.name} exists`);
      throw err;
    }
  }

  async listAllProfiles(): Promise<DeviceProfile[]> {
    const rows = (await this.pool.query('SELECT * FROM device_profiles ORDER BY tenant_id COLLATE "C", name COLLATE "C"')).rows as Row[];
    return rows.map(toDeviceProfile);
  }

  async deleteProfile(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM device_profiles WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return (rowCount ?? 0) > 0;
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
