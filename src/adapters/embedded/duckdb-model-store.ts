// Embedded ModelStore on DuckDB: detector models per series and RUL models per device type.
import type { DuckDBValue } from '@duckdb/node-api';
import type { ModelKey, ModelRecord, ModelStore, RulModelRecord } from '../../ports/model-store.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS analytics_models (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, key VARCHAR NOT NULL, kind VARCHAR NOT NULL,
     version INTEGER NOT NULL, state VARCHAR NOT NULL, trained_from BIGINT, trained_to BIGINT,
     points BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, device_id, key))`,
  `CREATE TABLE IF NOT EXISTS rul_models (
     tenant_id VARCHAR NOT NULL, device_type VARCHAR NOT NULL, keys VARCHAR NOT NULL, step_ms BIGINT NOT NULL,
     version INTEGER NOT NULL, trained_at BIGINT NOT NULL, units INTEGER NOT NULL, rows BIGINT NOT NULL,
     state VARCHAR NOT NULL, PRIMARY KEY (tenant_id, device_type))`,
];

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : toNumber(v));

function toModel(r: Row, withState: boolean): ModelRecord {
  return {
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    key: r.key as string,
    kind: r.kind as string,
    version: Number(r.version),
    state: withState ? JSON.parse(r.state as string) : null,
    trainedFrom: nullableNumber(r.trained_from),
    trainedTo: nullableNumber(r.trained_to),
    points: toNumber(r.points),
    updatedAt: toNumber(r.updated_at),
  };
}
export class DuckDbModelStore implements ModelStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async saveModels(records: ModelRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One transaction: the rows go through the appender into a staging table (no statement
    // parsing or parameter binding per model), then one upsert moves them into place. About 4x
    // faster than multi-row INSERT statements, which is what bounds the final save at shutdown.
    await this.conn.exclusive(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const appender = await c.createAppender('analytics_models_staging').catch(async () => {
          await c.run('CREATE TEMP TABLE analytics_models_staging AS SELECT * FROM analytics_models WITH NO DATA');
          return c.createAppender('analytics_models_staging');
        });
        for (const m of records) {
          appender.appendVarchar(m.tenantId);
          appender.appendVarchar(m.deviceId);
          appender.appendVarchar(m.key);
          appender.appendVarchar(m.kind);
          appender.appendInteger(m.version);
          appender.appendVarchar(JSON.stringify(m.state));
          if (m.trainedFrom === null) appender.appendNull();
          else appender.appendBigInt(BigInt(m.trainedFrom));
          if (m.trainedTo === null) appender.appendNull();
          else appender.appendBigInt(BigInt(m.trainedTo));
          appender.appendBigInt(BigInt(m.points));
          appender.appendBigInt(BigInt(m.updatedAt));
          appender.endRow();
        }
        appender.closeSync();
        // A batch may name a series twice (a model saved, reloaded and spilled again): the last wins.
        await c.run(
          `INSERT INTO analytics_models
           SELECT * FROM analytics_models_staging QUALIFY row_number() OVER (PARTITION BY tenant_id, device_id, key ORDER BY rowid DESC) = 1
           ON CONFLICT (tenant_id, device_id, key) DO UPDATE SET kind = excluded.kind, version = excluded.version,
           state = excluded.state, trained_from = excluded.trained_from, trained_to = excluded.trained_to,
           points = excluded.points, updated_at = excluded.updated_at`,
        );
        await c.run('DELETE FROM analytics_models_staging');
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async loadModels(): Promise<ModelRecord[]> {
    return (await this.conn.all('SELECT * FROM analytics_models')).map((r) => toModel(r, true));
  }

  async listModelSummaries(): Promise<ModelRecord[]> {
    const rows = await this.conn.all(
      'SELECT tenant_id, device_id, key, kind, version, trained_from, trained_to, points, updated_at FROM analytics_models',
    );
    return rows.map((r) => toModel(r, false));
  }

  async loadModelStates(keys: readonly ModelKey[]): Promise<ModelRecord[]> {
    const out: ModelRecord[] = [];
    // One query per 300 series: a join against a VALUES list of the wanted keys.
    for (let i = 0; i < keys.length; i += 300) {
      const params: DuckDBValue[] = [];
      const tuples = keys.slice(i, i + 300).map((k) => {
        params.push(k.tenantId, k.deviceId, k.key);
        return `($${params.length - 2}, $${params.length - 1}, $${params.length})`;
      });
      const rows = await this.conn.all(
        `SELECT m.* FROM analytics_models m JOIN (VALUES ${tuples.join(',')}) AS w(tenant_id, device_id, key)
         ON m.tenant_id = w.tenant_id AND m.device_id = w.device_id AND m.key = w.key`,
        params,
      );
      for (const r of rows) out.push(toModel(r, true));
    }
    return out;
  }

  async deleteDeviceAnalytics(tenantId: string, deviceId: string): Promise<void> {
    await this.conn.run('DELETE FROM analytics_models WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  async putRulModel(m: RulModelRecord): Promise<void> {
    await this.conn.run(
      `INSERT INTO rul_models VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET keys = excluded.keys, step_ms = excluded.step_ms,
       version = excluded.version, trained_at = excluded.trained_at, units = excluded.units, rows = excluded.rows,
       state = excluded.state`,
      [
        m.tenantId,
        m.deviceType,
        JSON.stringify(m.keys),
        BigInt(m.stepMs),
        m.version,
        BigInt(m.trainedAt),
        m.units,
        BigInt(m.rows),
        JSON.stringify(m.state),
      ],
    );
  }

  async listRulModels(tenantId?: string): Promise<RulModelRecord[]> {
    const rows = tenantId
      ? await this.conn.all('SELECT * FROM rul_models WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.conn.all('SELECT * FROM rul_models ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      keys: JSON.parse(r.keys as string) as string[],
      stepMs: toNumber(r.step_ms),
      version: Number(r.version),
      trainedAt: toNumber(r.trained_at),
      units: Number(r.units),
      rows: toNumber(r.rows),
      state: JSON.parse(r.state as string),
    }));
  }

  async deleteRulModel(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('rul_models', tenantId, deviceType);
  }

  /** Deletes a tenant's row for a device type; true when there was one. */
  private async deleteForType(table: string, tenantId: string, deviceType: string): Promise<boolean> {
    const deleted = await this.conn.all(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_type = $2 RETURNING 1`, [tenantId, deviceType]);
    return deleted.length > 0;
  }
}
