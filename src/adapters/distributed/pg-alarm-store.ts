// AlarmStore on PostgreSQL, with the DuckDB store's semantics (duckdb-alarm-store.ts).
import type { Pool } from 'pg';
import type { Alarm, AlarmChange, AlarmFeedback, AlarmFilter, AlarmStore, AlarmType } from '../../ports/alarm-store.js';
import { ALARM_FEEDBACK_SQL, toAlarm, toAlarmFeedback } from '../rows/alarm-rows.js';

type Row = Record<string, unknown>;

/** jsonb parameters go as JSON text: node-postgres would send a JS array as a PostgreSQL array. */
const json = (v: unknown) => JSON.stringify(v ?? null);
export class PgAlarmStore implements AlarmStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
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
    return rows[0] ? toAlarm(rows[0], false) : null;
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
    return { items: rows.map((r) => toAlarm(r, false)), total: Number(total[0]!.n) };
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
    return rows[0] ? toAlarm(rows[0], false) : null;
  }

  async alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]> {
    const rows = await this.all(ALARM_FEEDBACK_SQL, [tenantId, type]);
    return rows.map(toAlarmFeedback);
  }

  async deleteDeviceAlarms(tenantId: string, deviceId: string): Promise<void> {
    await this.pool.query('DELETE FROM alarms WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }
}
