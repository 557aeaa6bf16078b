// KeyUnitsStore in the embedded DuckDB file: one small table, upserted only when a unit changes.
import type { KeyUnitsStore } from '../../ports/key-units-store.js';
import type { DuckDbDatabase, SerialConnection } from './duckdb-database.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS telemetry_key_units (
  tenant_id VARCHAR NOT NULL,
  device_id VARCHAR NOT NULL,
  key VARCHAR NOT NULL,
  unit VARCHAR NOT NULL,
  PRIMARY KEY (tenant_id, device_id, key)
)`;

export class DuckDbKeyUnitsStore implements KeyUnitsStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    await this.conn.run(SCHEMA);
  }

  async setUnits(tenantId: string, deviceId: string, units: ReadonlyMap<string, string>): Promise<void> {
    if (units.size === 0) return;
    await this.conn.exclusive(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        for (const [key, unit] of units) {
          await c.run('INSERT OR REPLACE INTO telemetry_key_units VALUES ($1, $2, $3, $4)', [tenantId, deviceId, key, unit]);
        }
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    });
  }

  async units(tenantId: string, deviceId: string): Promise<Map<string, string>> {
    const rows = await this.conn.all('SELECT key, unit FROM telemetry_key_units WHERE tenant_id = $1 AND device_id = $2 ORDER BY key', [
      tenantId,
      deviceId,
    ]);
    return new Map(rows.map((r) => [r.key as string, r.unit as string]));
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.conn.run('DELETE FROM telemetry_key_units WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  async close(): Promise<void> {
    await this.conn?.exclusive(async (c) => c.closeSync());
  }
}
