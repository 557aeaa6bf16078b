// Row mapping of the DeviceStateStore tables, shared by the DuckDB and PostgreSQL stores.
import type { AttributeChange, AttributeScope, GatewayChild, RpcCall, RpcStatus } from '../../ports/device-state-store.js';
import { jsonOrNull, num, textOrNull, type Row } from './row.js';

export const OPEN_RPC_STATUSES: readonly RpcStatus[] = ['queued', 'sent', 'delivered'];

/** The statuses a call may be in to move to each status: forward only. */
export const RPC_FORWARD_FROM: Record<RpcStatus, RpcStatus[]> = {
  queued: [],
  sent: ['queued'],
  delivered: ['queued', 'sent'],
  succeeded: ['queued', 'sent', 'delivered'],
  failed: ['queued', 'sent', 'delivered'],
  expired: ['queued', 'sent', 'delivered'],
};

export function toRpc(r: Row): RpcCall {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    requestId: num(r.request_id),
    method: r.method as string,
    params: JSON.parse(r.params as string),
    oneway: r.oneway as boolean,
    persistent: r.persistent as boolean,
    status: r.status as RpcStatus,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    expiresAt: num(r.expires_at),
    response: jsonOrNull(r.response),
    error: textOrNull(r.error),
  };
}

export function toAttributeChange(r: Row): AttributeChange {
  return {
    scope: r.scope as AttributeScope,
    key: r.key as string,
    value: jsonOrNull(r.value),
    deleted: r.deleted as boolean,
    changedAt: num(r.changed_at),
    source: r.source as string,
  };
}

export function toGatewayChild(r: Row): GatewayChild {
  return { tenantId: r.tenant_id as string, gatewayId: r.gateway_id as string, childId: r.child_id as string, childName: r.child_name as string };
}
