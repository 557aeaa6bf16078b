// Embedded AnalyticsStore on DuckDB: detector models, alarms, maintenance policies.
import type { DuckDBValue } from '@duckdb/node-api';
import type {
  Alarm,
  AlarmChange,
  AlarmFeedback,
  AlarmFilter,
  AlarmStatus,
  AlarmType,
  AnalyticsStore,
  DetectorPolicy,
  MaintenancePolicy,
  ModelKey,
  ModelRecord,
  RulModelRecord,
} from '../../ports/analytics-store.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS analytics_models (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, key VARCHAR NOT NULL, kind VARCHAR NOT NULL,
     version INTEGER NOT NULL, state VARCHAR NOT NULL, trained_from BIGINT, trained_to BIGINT,
     points BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, device_id, key))`,
  `CREATE TABLE IF NOT EXISTS alarms (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
     key VARCHAR, severity VARCHAR NOT NULL, status VARCHAR NOT NULL, message VARCHAR NOT NULL,
     details VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     dismissed BOOLEAN NOT NULL DEFAULT false, acknowledged_at BIGINT, cleared_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS maintenance_policies (
     tenant_id VARCHAR NOT NULL, device_type VARCHAR NOT NULL, key VARCHAR NOT NULL, threshold DOUBLE NOT NULL,
     fail_when VARCHAR, horizon_ms BIGINT NOT NULL, window_ms BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     PRIMARY KEY (tenant_id, device_type))`,
  `CREATE TABLE IF NOT EXISTS detector_policies (
     tenant_id VARCHAR NOT NULL, device_type VARCHAR NOT NULL, keys VARCHAR NOT NULL, fit_points INTEGER NOT NULL,
     updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, device_type))`,
  `CREATE TABLE IF NOT EXISTS rul_models (
     tenant_id VARCHAR NOT NULL, device_type VARCHAR NOT NULL, keys VARCHAR NOT NULL, step_ms BIGINT NOT NULL,
     version INTEGER NOT NULL, trained_at BIGINT NOT NULL, units INTEGER NOT NULL, rows BIGINT NOT NULL,
     state VARCHAR NOT NULL, PRIMARY KEY (tenant_id, device_type))`,
];

/** The columns of an alarm row, in the order INSERT names them. */
const ALARM_COLUMNS = 'id, tenant_id, device_id, type, key, severity, status, message, details, created_at, updated_at, dismissed, acknowledged_at, cleared_at';

/**
 * Alarms of the first model (status open / acknowledged / dismissed / cleared) move to the
 * active/cleared × unack/ack model. An alarm cleared before counted as handled: CLEARED_ACK.
 * DuckDB cannot alter a table and update it in one transaction, so each step checks whether it
 * is still to do: a crash between them resumes at the next start.
 */
const ALARM_COLUMNS_ADDED = [
  ['dismissed', 'BOOLEAN DEFAULT false'],
  ['acknowledged_at', 'BIGINT'],
  ['cleared_at', 'BIGINT'],
] as const;
const ALARM_STATUS_UPDATE = `UPDATE alarms SET dismissed = (status = 'dismissed'),
     acknowledged_at = CASE WHEN status IN ('acknowledged', 'dismissed', 'cleared') THEN updated_at END,
     cleared_at = CASE WHEN status IN ('dismissed', 'cleared') THEN updated_at END,
     status = CASE status WHEN 'open' THEN 'ACTIVE_UNACK' WHEN 'acknowledged' THEN 'ACTIVE_ACK' ELSE 'CLEARED_ACK' END
   WHERE status IN ('open', 'acknowledged', 'dismissed', 'cleared')`;

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

function toAlarm(r: Row): Alarm {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    type: r.type as AlarmType,
    key: (r.key as string | null) ?? null,
    severity: r.severity as Alarm['severity'],
    status: r.status as AlarmStatus,
    dismissed: Boolean(r.dismissed),
    message: r.message as string,
    details: JSON.parse(r.details as string),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
    acknowledgedAt: nullableNumber(r.acknowledged_at),
    clearedAt: nullableNumber(r.cleared_at),
  };
}

export class DuckDbAnalyticsStore implements AnalyticsStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
    await this.migrateAlarmStatus();
  }

  private async migrateAlarmStatus(): Promise<void> {
    const rows = await this.conn.all(`SELECT column_name FROM information_schema.columns WHERE table_name = 'alarms'`);
    const present = new Set(rows.map((r) => r.column_name as string));
    for (const [column, type] of ALARM_COLUMNS_ADDED) {
      if (!present.has(column)) await this.conn.run(`ALTER TABLE alarms ADD COLUMN ${column} ${type}`);
    }
    await this.conn.run(ALARM_STATUS_UPDATE);
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
    await this.conn.run('DELETE FROM alarms WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  async createAlarm(a: Alarm): Promise<void> {
    await this.conn.run(`INSERT INTO alarms (${ALARM_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`, [
      a.id,
      a.tenantId,
      a.deviceId,
      a.type,
      a.key,
      a.severity,
      a.status,
      a.message,
      JSON.stringify(a.details ?? null),
      BigInt(a.createdAt),
      BigInt(a.updatedAt),
      a.dismissed,
      a.acknowledgedAt === null ? null : BigInt(a.acknowledgedAt),
      a.clearedAt === null ? null : BigInt(a.clearedAt),
    ]);
  }

  async getAlarm(tenantId: string, id: string): Promise<Alarm | null> {
    const rows = await this.conn.all('SELECT * FROM alarms WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toAlarm(rows[0]) : null;
  }

  async listAlarms(tenantId: string, f: AlarmFilter): Promise<{ items: Alarm[]; total: number }> {
    const params: DuckDBValue[] = [tenantId];
    let where = 'tenant_id = $1';
    for (const [column, value] of [
      ['device_id', f.deviceId],
      ['type', f.type],
      ['severity', f.severity],
      ['dismissed', f.dismissed],
      ["json_extract_string(details, '$.ruleId')", f.ruleId],
      ["json_extract_string(details, '$.incidentId')", f.incidentId],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where += ` AND ${column} = $${params.length}`;
    }
    if (f.incidentLeaders) where += ` AND json_extract_string(details, '$.incidentId') = id`;
    if (f.statuses) {
      const placeholders = f.statuses.map((status) => {
        params.push(status);
        return `$${params.length}`;
      });
      where += placeholders.length ? ` AND status IN (${placeholders.join(', ')})` : ' AND false';
    }
    for (const [op, value] of [
      ['>=', f.fromMs],
      ['<', f.toMs],
    ] as const) {
      if (value === undefined) continue;
      params.push(BigInt(value));
      where += ` AND created_at ${op} $${params.length}`;
    }
    const total = await this.conn.all(`SELECT count(*) AS n FROM alarms WHERE ${where}`, params);
    const rows = await this.conn.all(
      `SELECT * FROM alarms WHERE ${where} ORDER BY created_at DESC, id LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: rows.map(toAlarm), total: toNumber(total[0]!.n) };
  }

  async updateAlarm(tenantId: string, id: string, change: AlarmChange): Promise<Alarm | null> {
    const params: DuckDBValue[] = [tenantId, id, BigInt(change.updatedAt)];
    let set = 'updated_at = $3';
    for (const [column, value] of [
      ['status', change.status],
      ['dismissed', change.dismissed],
      ['severity', change.severity],
      ['acknowledged_at', change.acknowledgedAt === undefined ? undefined : BigInt(change.acknowledgedAt)],
      ['cleared_at', change.clearedAt === undefined ? undefined : BigInt(change.clearedAt)],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      set += `, ${column} = $${params.length}`;
    }
    await this.conn.run(`UPDATE alarms SET ${set} WHERE tenant_id = $1 AND id = $2`, params);
    return this.getAlarm(tenantId, id);
  }

  async alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]> {
    const rows = await this.conn.all(
      `SELECT device_id, key,
         count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND NOT dismissed) AS acknowledged,
         count(*) FILTER (WHERE dismissed) AS dismissed,
         count(*) FILTER (WHERE status = 'ACTIVE_UNACK') AS open,
         count(*) AS raised
       FROM alarms WHERE tenant_id = $1 AND type = $2 GROUP BY device_id, key`,
      [tenantId, type],
    );
    return rows.map((r) => ({
      deviceId: r.device_id as string,
      key: (r.key as string | null) ?? null,
      acknowledged: toNumber(r.acknowledged),
      dismissed: toNumber(r.dismissed),
      open: toNumber(r.open),
      raised: toNumber(r.raised),
    }));
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
