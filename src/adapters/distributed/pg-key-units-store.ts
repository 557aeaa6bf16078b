// KeyUnitsStore on PostgreSQL: one small table (migration 004), upserted only when a unit changes.
import type { Pool } from 'pg';
import type { KeyUnitsStore } from '../../ports/key-units-store.js';

export class PgKeyUnitsStore implements KeyUnitsStore {
  constructor(private readonly pool: Pool) {}

  async init(): Promise<void> {}

  async setUnits(tenantId: string, deviceId: string, units: ReadonlyMap<string, string>): Promise<void> {
    if (units.size === 0) return;
    await this.pool.query(
      `INSERT INTO telemetry_key_units (tenant_id, device_id, key, unit)
       SELECT $1, $2, k, u FROM unnest($3::text[], $4::text[]) AS x(k, u)
       ON CONFLICT (tenant_id, device_id, key) DO UPDATE SET unit = EXCLUDED.unit`,
      [tenantId, deviceId, [...units.keys()], [...units.values()]],
    );
  }

  async units(tenantId: string, deviceId: string): Promise<Map<string, string>> {
    const { rows } = await this.pool.query<{ key: string; unit: string }>(
      'SELECT key, unit FROM telemetry_key_units WHERE tenant_id = $1 AND device_id = $2 ORDER BY key',
      [tenantId, deviceId],
    );
    return new Map(rows.map((r) => [r.key, r.unit]));
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.pool.query('DELETE FROM telemetry_key_units WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  /** The pool belongs to the caller (openPostgresStores). */
  async close(): Promise<void> {}
}
