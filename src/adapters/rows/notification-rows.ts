// Row mapping of the NotificationStore tables, shared by the DuckDB and PostgreSQL stores.
import type { Delivery, DeliveryFilter } from '../../domains/notifications/notification.js';
import { num, textOrNull, type Row } from './row.js';

export function toDelivery(r: Row): Delivery {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    alarmId: r.alarm_id as string,
    channelId: textOrNull(r.channel_id),
    channelType: r.channel_type as Delivery['channelType'],
    event: r.event as string,
    status: r.status as Delivery['status'],
    attempts: num(r.attempts),
    lastError: textOrNull(r.last_error),
    responseStatus: r.response_status === null || r.response_status === undefined ? null : num(r.response_status),
    payload: JSON.parse(r.payload as string),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** A delivery's columns in table order (created_at, updated_at as plain numbers). */
export function deliveryValues(d: Delivery): [string, string, string, string | null, string, string, string, number, string | null, number | null, string, number, number] {
  return [d.id, d.tenantId, d.alarmId, d.channelId, d.channelType, d.event, d.status, d.attempts, d.lastError, d.responseStatus, JSON.stringify(d.payload), d.createdAt, d.updatedAt];
}

/** The WHERE clause and parameters of a delivery listing ($1 is the tenant). */
export function deliveryWhere(tenantId: string, f: DeliveryFilter): { where: string; params: string[] } {
  const params = [tenantId];
  let where = 'tenant_id = $1';
  for (const [column, value] of [
    ['alarm_id', f.alarmId],
    ['channel_id', f.channelId],
    ['status', f.status],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where += ` AND ${column} = $${params.length}`;
  }
  return { where, params };
}
