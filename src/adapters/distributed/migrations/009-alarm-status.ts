// Alarms move to the active/cleared × unacknowledged/acknowledged status model (as the DuckDB
// store's alarm-status step): `dismissed` (a false alarm) becomes a flag on a CLEARED_ACK alarm,
// and when it was acknowledged and cleared is kept. An alarm cleared before counts as handled.
import type { Migration } from './index.js';

export const alarmStatusSchema: Migration = {
  version: 9,
  name: 'alarm-status',
  statements: [
    `ALTER TABLE alarms ADD COLUMN dismissed boolean NOT NULL DEFAULT false,
       ADD COLUMN acknowledged_at bigint, ADD COLUMN cleared_at bigint`,
    `UPDATE alarms SET dismissed = (status = 'dismissed'),
       acknowledged_at = CASE WHEN status IN ('acknowledged', 'dismissed', 'cleared') THEN updated_at END,
       cleared_at = CASE WHEN status IN ('dismissed', 'cleared') THEN updated_at END,
       status = CASE status WHEN 'open' THEN 'ACTIVE_UNACK' WHEN 'acknowledged' THEN 'ACTIVE_ACK' ELSE 'CLEARED_ACK' END
     WHERE status IN ('open', 'acknowledged', 'dismissed', 'cleared')`,
    `CREATE INDEX alarms_tenant_status ON alarms (tenant_id, status, created_at DESC)`,
  ],
};
