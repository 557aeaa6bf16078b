// ModelStore on PostgreSQL: detector models and RUL models, with the DuckDB store's semantics
// (duckdb-model-store.ts). JSON state is jsonb.
import type { Pool } from 'pg';
import type { ModelKey, ModelRecord, ModelStore, RulModelRecord } from '../../ports/model-store.js';

type Row = Record<string, unknown>;

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** jsonb parameters go as JSON text: node-postgres would send a JS array as a PostgreSQL array. */
const json = (v: unknown) => JSON.stringify(v ?? null);
export class PgModelStore implements ModelStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async saveModels(records: ModelRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One statement over unnest(): atomic, and sorted so concurrent saves lock rows in one order.
    // The last record of a series wins: ON CONFLICT cannot touch one row twice in a statement.
    const latest = new Map<string, ModelRecord>();
    for (const m of records) latest.set(`${m.tenantId}\u0000${m.deviceId}\u0000${m.key}`, m);
    const sorted = [...latest.values()].sort((a, b) => {
      const ka = `${a.tenantId}\u0000${a.deviceId}\u0000${a.key}`;
      const kb = `${b.tenantId}\u0000${b.deviceId}\u0000${b.key}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    const column = <T>(f: (m: ModelRecord) => T) => sorted.map(f);
    await this.pool.query(
      `INSERT INTO analytics_models
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::jsonb[], $7::int8[], $8::int8[], $9::int8[], $10::int8[])
       ON CONFLICT (tenant_id, device_id, key) DO UPDATE SET kind = excluded.kind, version = excluded.version,
       state = excluded.state, trained_from = excluded.trained_from, trained_to = excluded.trained_to,
       points = excluded.points, updated_at = excluded.updated_at`,
      [
        column((m) => m.tenantId),
        column((m) => m.deviceId),
        column((m) => m.key),
        column((m) => m.kind),
        column((m) => m.version),
        column((m) => json(m.state)),
        column((m) => m.trainedFrom),
        column((m) => m.trainedTo),
        column((m) => m.points),
        column((m) => m.updatedAt),
      ],
    );
  }

  async loadModels(): Promise<ModelRecord[]> {
    const rows = await this.all('SELECT * FROM analytics_models');
    return rows.map((r) => toModelRecord(r, true));
  }

  async listModelSummaries(): Promise<ModelRecord[]> {
    const rows = await this.all(
      'SELECT tenant_id, device_id, key, kind, version, trained_from, trained_to, points, updated_at FROM analytics_models',
    );
    return rows.map((r) => toModelRecord(r, false));
  }

  async loadModelStates(keys: readonly ModelKey[]): Promise<ModelRecord[]> {
    if (keys.length === 0) return [];
    const rows = await this.all(
      `SELECT m.* FROM analytics_models m
       JOIN unnest($1::text[], $2::text[], $3::text[]) AS w(tenant_id, device_id, key)
       ON m.tenant_id = w.tenant_id AND m.device_id = w.device_id AND m.key = w.key`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.deviceId), keys.map((k) => k.key)],
    );
    return rows.map((r) => toModelRecord(r, true));
  }

  async deleteDeviceAnalytics(tenantId: string, deviceId: string): Promise<void> {
    await this.pool.query('DELETE FROM analytics_models WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  async putRulModel(m: RulModelRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO rul_models VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET keys = excluded.keys, step_ms = excluded.step_ms,
       version = excluded.version, trained_at = excluded.trained_at, units = excluded.units, rows = excluded.rows,
       state = excluded.state`,
      [m.tenantId, m.deviceType, json(m.keys), m.stepMs, m.version, m.trainedAt, m.units, m.rows, json(m.state)],
    );
  }

  async listRulModels(tenantId?: string): Promise<RulModelRecord[]> {
    const rows = tenantId
      ? await this.all('SELECT * FROM rul_models WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.all('SELECT * FROM rul_models ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      keys: r.keys as string[],
      stepMs: Number(r.step_ms),
      version: Number(r.version),
      trainedAt: Number(r.trained_at),
      units: Number(r.units),
      rows: Number(r.rows),
      state: r.state,
    }));
  }

  async deleteRulModel(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('rul_models', tenantId, deviceType);
  }

  /** Deletes a tenant's row for a device type; true when there was one. */
  private async deleteForType(table: string, tenantId: string, deviceType: string): Promise<boolean> {
    const deleted = await this.pool.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_type = $2`, [tenantId, deviceType]);
    return (deleted.rowCount ?? 0) > 0;
  }
}

function toModelRecord(r: Row, withState: boolean): ModelRecord {
  return {
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    key: r.key as string,
    kind: r.kind as string,
    version: Number(r.version),
    state: withState ? r.state : null,
    trainedFrom: nullableNumber(r.trained_from),
    trainedTo: nullableNumber(r.trained_to),
    points: Number(r.points),
    updatedAt: Number(r.updated_at),
  };
}
