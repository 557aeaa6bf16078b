// Row mapping of the alarms table and its feedback query, shared by the DuckDB and PostgreSQL
// alarm stores. `details` is JSON text in DuckDB and jsonb (already parsed) in PostgreSQL.
import type { Alarm, AlarmFeedback, AlarmStatus, AlarmType } from '../../ports/alarm-store.js';
import { num, type Row } from './row.js';

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

/** `detailsAsText`: the details column is JSON text (DuckDB), not parsed jsonb (PostgreSQL). */
export function toAlarm(r: Row, detailsAsText: boolean): Alarm {
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
    details: detailsAsText ? JSON.parse(r.details as string) : r.details,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    acknowledgedAt: numOrNull(r.acknowledged_at),
    clearedAt: numOrNull(r.cleared_at),
  };
}

/** How users judged a tenant's alarms of one type, per series ($1 tenant, $2 type). */
export const ALARM_FEEDBACK_SQL = `SELECT device_id, key,
     count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND NOT dismissed) AS acknowledged,
     count(*) FILTER (WHERE dismissed) AS dismissed,
     count(*) FILTER (WHERE status = 'ACTIVE_UNACK') AS open,
     count(*) AS raised
   FROM alarms WHERE tenant_id = $1 AND type = $2 GROUP BY device_id, key`;

export function toAlarmFeedback(r: Row): AlarmFeedback {
  return {
    deviceId: r.device_id as string,
    key: (r.key as string | null) ?? null,
    acknowledged: num(r.acknowledged),
    dismissed: num(r.dismissed),
    open: num(r.open),
    raised: num(r.raised),
  };
}
