// AnalyticsStore on PostgreSQL: detector models, alarms, maintenance and detector policies, RUL
// models, with the DuckDB store's semantics (duckdb-analytics-store.ts). JSON state is jsonb.
import type { Pool } from 'pg';
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

type Row = Record<string, unknown>;

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));

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
    details: r.details,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    acknowledgedAt: nullableNumber(r.acknowledged_at),
    clearedAt: nullableNumber(r.cleared_at),
  };
}

/** jsonb parameters go as JSON text: node-postgres would send a JS array as a PostgreSQL array. */
const json = (v: unknown) => JSON.stringify(v ?? null);

export class PgAnalyticsStore implements AnalyticsStore {
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
    await this.pool.query(
      `WITH models AS (DELETE FROM analytics_models WHERE tenant_id = $1 AND device_id = $2)
       DELETE FROM alarms WHERE tenant_id = $1 AND device_id = $2`,
      [tenantId, deviceId],
    );
  }

  async createAlarm(a: Alarm): Promise<void> {
    await this.pool.query(
      `INSERT INTO alarms (id, tenant_id, device_id, type, key, severity, status, message, details, created_at, updated_at, dismissed, acknowledged_at, cleared_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
      [
      a.id,
      a.tenantId,
      a.deviceId,
      a.type,
      a.key,
      a.severity,
      a.status,
      a.message,
      json(a.details),
      a.createdAt,
      a.updatedAt,
      a.dismissed,
      a.acknowledgedAt,
      a.clearedAt,
    ]);
  }

  async getAlarm(tenantId: string, id: string): Promise<Alarm | null> {
    const rows = await this.all('SELECT * FROM alarms WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toAlarm(rows[0]) : null;
  }

  async listAlarms(tenantId: string, f: AlarmFilter): Promise<{ items: Alarm[]; total: number }> {
    const params: unknown[] = [tenantId];
    let where = 'tenant_id = $1';
    for (const [column, value] of [
      ['device_id', f.deviceId],
      ['type', f.type],
      ['severity', f.severity],
      ['dismissed', f.dismissed],
      ["details->>'ruleId'", f.ruleId],
      ["details->>'incidentId'", f.incidentId],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where += ` AND ${column} = $${params.length}`;
    }
    if (f.incidentLeaders) where += ` AND details->>'incidentId' = id`;
    if (f.statuses) {
      params.push(f.statuses);
      where += ` AND status = ANY($${params.length}::text[])`;
    }
    for (const [op, value] of [
      ['>=', f.fromMs],
      ['<', f.toMs],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where += ` AND created_at ${op} $${params.length}`;
    }
    const total = await this.all(`SELECT count(*) AS n FROM alarms WHERE ${where}`, params);
    const rows = await this.all(
      `SELECT * FROM alarms WHERE ${where} ORDER BY created_at DESC, id LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: rows.map(toAlarm), total: Number(total[0]!.n) };
  }

  async updateAlarm(tenantId: string, id: string, change: AlarmChange): Promise<Alarm | null> {
    const params: unknown[] = [tenantId, id, change.updatedAt];
    let set = 'updated_at = $3';
    for (const [column, value] of [
      ['status', change.status],
      ['dismissed', change.dismissed],
      ['severity', change.severity],
      ['acknowledged_at', change.acknowledgedAt],
      ['cleared_at', change.clearedAt],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      set += `, ${column} = $${params.length}`;
    }
    const rows = await this.all(`UPDATE alarms SET ${set} WHERE tenant_id = $1 AND id = $2 RETURNING *`, params);
    return rows[0] ? toAlarm(rows[0]) : null;
  }

  async alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]> {
    const rows = await this.all(
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
      acknowledged: Number(r.acknowledged),
      dismissed: Number(r.dismissed),
      open: Number(r.open),
      raised: Number(r.raised),
    }));
  }

  async putPolicy(p: MaintenancePolicy): Promise<void> {
    await this.pool.query(
      `INSERT INTO maintenance_policies VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET key = excluded.key, threshold = excluded.threshold,
       fail_when = excluded.fail_when, horizon_ms = excluded.horizon_ms, window_ms = excluded.window_ms,
       updated_at = excluded.updated_at`,
      [p.tenantId, p.deviceType, p.key, p.threshold, p.failWhen, p.horizonMs, p.windowMs, p.updatedAt],
    );
  }

  async listPolicies(tenantId?: string): Promise<MaintenancePolicy[]> {
    const rows = tenantId
      ? await this.all('SELECT * FROM maintenance_policies WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.all('SELECT * FROM maintenance_policies ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      key: r.key as string,
      threshold: r.threshold as number,
      failWhen: (r.fail_when as MaintenancePolicy['failWhen']) ?? null,
      horizonMs: Number(r.horizon_ms),
      windowMs: Number(r.window_ms),
      updatedAt: Number(r.updated_at),
    }));
  }

  async deletePolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('maintenance_policies', tenantId, deviceType);
  }

  async putDetectorPolicy(p: DetectorPolicy): Promise<void> {
    await this.pool.query(
      `INSERT INTO detector_policies VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (tenant_id, device_type) DO UPDATE SET keys = excluded.keys, fit_points = excluded.fit_points,
       updated_at = excluded.updated_at`,
      [p.tenantId, p.deviceType, json(p.keys), p.fitPoints, p.updatedAt],
    );
  }

  async listDetectorPolicies(tenantId?: string): Promise<DetectorPolicy[]> {
    const rows = tenantId
      ? await this.all('SELECT * FROM detector_policies WHERE tenant_id = $1 ORDER BY device_type', [tenantId])
      : await this.all('SELECT * FROM detector_policies ORDER BY tenant_id, device_type');
    return rows.map((r) => ({
      tenantId: r.tenant_id as string,
      deviceType: r.device_type as string,
      keys: r.keys as string[],
      fitPoints: Number(r.fit_points),
      updatedAt: Number(r.updated_at),
    }));
  }

  async deleteDetectorPolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.deleteForType('detector_policies', tenantId, deviceType);
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
