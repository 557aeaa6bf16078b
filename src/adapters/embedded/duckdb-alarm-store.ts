// Embedded AlarmStore on DuckDB: the current state of each alarm.
import type { DuckDBValue } from '@duckdb/node-api';
import type { Alarm, AlarmFeedback, AlarmFilter, AlarmStatus, AlarmStore, AlarmType } from '../../ports/alarm-store.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS alarms (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
     key VARCHAR, severity VARCHAR NOT NULL, status VARCHAR NOT NULL, message VARCHAR NOT NULL,
     details VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
];

function toAlarm(r: Row): Alarm {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    type: r.type as AlarmType,
    key: (r.key as string | null) ?? null,
    severity: r.severity as Alarm['severity'],
    status: r.status as AlarmStatus,
    message: r.message as string,
    details: JSON.parse(r.details as string),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}
export class DuckDbAlarmStore implements AlarmStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async createAlarm(a: Alarm): Promise<void> {
    await this.conn.run('INSERT INTO alarms VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)', [
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
      ['status', f.status],
      ['type', f.type],
      ['severity', f.severity],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where += ` AND ${column} = $${params.length}`;
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

  async setAlarmStatus(tenantId: string, id: string, status: AlarmStatus, at: number): Promise<Alarm | null> {
    await this.conn.run('UPDATE alarms SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2', [
      tenantId,
      id,
      status,
      BigInt(at),
    ]);
    return this.getAlarm(tenantId, id);
  }

  async alarmFeedback(tenantId: string, type: AlarmType): Promise<AlarmFeedback[]> {
    const rows = await this.conn.all(
      `SELECT device_id, key,
         count(*) FILTER (WHERE status = 'acknowledged') AS acknowledged,
         count(*) FILTER (WHERE status = 'dismissed') AS dismissed,
         count(*) FILTER (WHERE status = 'open') AS open,
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

  async deleteDeviceAlarms(tenantId: string, deviceId: string): Promise<void> {
    await this.conn.run('DELETE FROM alarms WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }
}
