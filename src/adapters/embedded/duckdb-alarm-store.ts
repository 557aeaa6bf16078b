// Embedded AlarmStore on DuckDB: the current state of each alarm.
import type { DuckDBValue } from '@duckdb/node-api';
import type { Alarm, AlarmChange, AlarmFeedback, AlarmFilter, AlarmStore, AlarmType } from '../../ports/alarm-store.js';
import { ALARM_FEEDBACK_SQL, toAlarm, toAlarmFeedback } from '../rows/alarm-rows.js';
import { toNumber, type DuckDbDatabase, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS alarms (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
     key VARCHAR, severity VARCHAR NOT NULL, status VARCHAR NOT NULL, message VARCHAR NOT NULL,
     details VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     dismissed BOOLEAN NOT NULL DEFAULT false, acknowledged_at BIGINT, cleared_at BIGINT)`,
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




export class DuckDbAlarmStore implements AlarmStore {
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
    return rows[0] ? toAlarm(rows[0], true) : null;
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
    return { items: rows.map((r) => toAlarm(r, true)), total: toNumber(total[0]!.n) };
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
    const rows = await this.conn.all(ALARM_FEEDBACK_SQL, [tenantId, type]);
    return rows.map(toAlarmFeedback);
  }

  async deleteDeviceAlarms(tenantId: string, deviceId: string): Promise<void> {
    await this.conn.run('DELETE FROM alarms WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }
}
