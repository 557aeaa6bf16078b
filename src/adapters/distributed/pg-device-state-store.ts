// DeviceStateStore on PostgreSQL (migration 007): attributes with their history and RPC calls,
// shared by every node. Writes that two nodes may make at once are single statements or one
// transaction: an attribute change and its history row land together, an RPC status moves
// forward in one conditional UPDATE, and a device's request ids are unique (device_rpc_request).
import type { Pool } from 'pg';
import type {
  Attribute,
  AttributeChange,
  AttributeScope,
  AttributeValue,
  DeviceStateStore,
  GatewayChild,
  RpcCall,
  RpcStatus,
  RpcUpdate,
} from '../../ports/device-state-store.js';
import { OPEN_RPC_STATUSES, RPC_FORWARD_FROM, toAttributeChange, toGatewayChild, toRpc } from '../rows/device-state-rows.js';
import { num, toJson, type Row } from '../rows/row.js';
import { inTransaction } from './pg-transaction.js';

export class PgDeviceStateStore implements DeviceStateStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async setAttributes(tenantId: string, deviceId: string, scope: AttributeScope, values: Map<string, AttributeValue>, at: number, source: string): Promise<void> {
    if (values.size === 0) return;
    const keys = [...values.keys()];
    const texts = [...values.values()].map(toJson);
    // Keys in one order, so two nodes writing overlapping keys of one device cannot deadlock.
    const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    const sortedKeys = order.map((i) => keys[i]!);
    const sortedTexts = order.map((i) => texts[i]!);
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO device_attributes (tenant_id, device_id, scope, key, value, updated_at)
         SELECT $1, $2, $3, k, v, $6 FROM unnest($4::text[], $5::text[]) AS u(k, v)
         ON CONFLICT (device_id, scope, key) DO UPDATE SET tenant_id = excluded.tenant_id, value = excluded.value, updated_at = excluded.updated_at`,
        [tenantId, deviceId, scope, sortedKeys, sortedTexts, at],
      );
      // History in the caller's order (ascending identity), like the DuckDB store.
      await c.query(
        `INSERT INTO device_attribute_history (tenant_id, device_id, scope, key, value, deleted, changed_at, source)
         SELECT $1, $2, $3, k, v, false, $6, $7 FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS u(k, v, i) ORDER BY i`,
        [tenantId, deviceId, scope, keys, texts, at, source],
      );
    });
  }

  async deleteAttributes(tenantId: string, deviceId: string, scope: AttributeScope, keys: string[], at: number, source: string): Promise<string[]> {
    if (keys.length === 0) return [];
    return inTransaction(this.pool, async (c) => {
      // Only the node whose DELETE removed a key records the deletion.
      const { rows } = await c.query<{ key: string }>(
        'DELETE FROM device_attributes WHERE tenant_id = $1 AND device_id = $2 AND scope = $3 AND key = ANY($4::text[]) RETURNING key',
        [tenantId, deviceId, scope, keys],
      );
      // Key order, as getAttributes lists them (and the DuckDB store records them).
      const unique = [...new Set(rows.map((r) => r.key))].sort();
      if (unique.length > 0) {
        await c.query(
          `INSERT INTO device_attribute_history (tenant_id, device_id, scope, key, value, deleted, changed_at, source)
           SELECT $1, $2, $3, k, NULL, true, $5, $6 FROM unnest($4::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i`,
          [tenantId, deviceId, scope, unique, at, source],
        );
      }
      return unique;
    });
  }

  async getAttributes(tenantId: string, deviceId: string, scope: AttributeScope, keys?: string[]): Promise<Attribute[]> {
    if (keys && keys.length === 0) return [];
    const rows = keys
      ? await this.all(
          'SELECT key, value, updated_at FROM device_attributes WHERE tenant_id = $1 AND device_id = $2 AND scope = $3 AND key = ANY($4::text[]) ORDER BY key COLLATE "C"',
          [tenantId, deviceId, scope, keys],
        )
      : await this.all('SELECT key, value, updated_at FROM device_attributes WHERE tenant_id = $1 AND device_id = $2 AND scope = $3 ORDER BY key COLLATE "C"', [
          tenantId,
          deviceId,
          scope,
        ]);
    return rows.map((r) => ({ scope, key: r.key as string, value: JSON.parse(r.value as string), updatedAt: num(r.updated_at) }));
  }

  async attributeHistory(tenantId: string, deviceId: string, filter: { scope?: AttributeScope; key?: string; limit: number }): Promise<AttributeChange[]> {
    const params: unknown[] = [tenantId, deviceId];
    let sql = 'SELECT * FROM device_attribute_history WHERE tenant_id = $1 AND device_id = $2';
    if (filter.scope) sql += ` AND scope = $${params.push(filter.scope)}`;
    if (filter.key) sql += ` AND key = $${params.push(filter.key)}`;
    sql += ` ORDER BY seq DESC LIMIT $${params.push(filter.limit)}`;
    return (await this.all(sql, params)).map(toAttributeChange);
  }

  async createRpc(call: RpcCall): Promise<void> {
    await this.pool.query(
      `INSERT INTO device_rpc (id, tenant_id, device_id, request_id, method, params, oneway, persistent, status, created_at, updated_at, expires_at, response, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        call.id,
        call.tenantId,
        call.deviceId,
        call.requestId,
        call.method,
        toJson(call.params),
        call.oneway,
        call.persistent,
        call.status,
        call.createdAt,
        call.updatedAt,
        call.expiresAt,
        call.response === null || call.response === undefined ? null : toJson(call.response),
        call.error,
      ],
    );
  }

  async updateRpc(tenantId: string, id: string, update: RpcUpdate): Promise<RpcCall | null> {
    const sets = ['status = $3', 'updated_at = $4'];
    const params: unknown[] = [tenantId, id, update.status, update.updatedAt, RPC_FORWARD_FROM[update.status]];
    if (update.response !== undefined) sets.push(`response = $${params.push(toJson(update.response))}`);
    if (update.error !== undefined) sets.push(`error = $${params.push(update.error)}`);
    // One conditional statement: of two nodes moving a call at once, the row lock orders them and
    // the second re-checks the status, so a final status is never overwritten.
    const { rows } = await this.pool.query(
      `UPDATE device_rpc SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 AND status = ANY($5::text[]) RETURNING *`,
      params,
    );
    return rows[0] ? toRpc(rows[0] as Row) : this.getRpc(tenantId, id);
  }

  async getRpc(tenantId: string, id: string): Promise<RpcCall | null> {
    const rows = await this.all('SELECT * FROM device_rpc WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toRpc(rows[0]) : null;
  }

  async findRpcByRequestId(deviceId: string, requestId: number): Promise<RpcCall | null> {
    const rows = await this.all('SELECT * FROM device_rpc WHERE device_id = $1 AND request_id = $2 ORDER BY created_at DESC LIMIT 1', [deviceId, requestId]);
    return rows[0] ? toRpc(rows[0]) : null;
  }

  async listRpc(tenantId: string, deviceId: string, filter: { status?: RpcStatus; offset: number; limit: number }): Promise<RpcCall[]> {
    const params: unknown[] = [tenantId, deviceId];
    let sql = 'SELECT * FROM device_rpc WHERE tenant_id = $1 AND device_id = $2';
    if (filter.status) sql += ` AND status = $${params.push(filter.status)}`;
    sql += ` ORDER BY created_at DESC, request_id DESC LIMIT $${params.push(filter.limit)} OFFSET $${params.push(filter.offset)}`;
    return (await this.all(sql, params)).map(toRpc);
  }

  async openRpc(deviceId?: string): Promise<RpcCall[]> {
    const rows = deviceId
      ? await this.all('SELECT * FROM device_rpc WHERE status = ANY($1::text[]) AND device_id = $2 ORDER BY created_at, request_id', [OPEN_RPC_STATUSES, deviceId])
      : await this.all('SELECT * FROM device_rpc WHERE status = ANY($1::text[]) ORDER BY created_at, request_id', [OPEN_RPC_STATUSES]);
    return rows.map(toRpc);
  }

  async lastRpcRequestId(deviceId: string): Promise<number> {
    const rows = await this.all('SELECT max(request_id) AS m FROM device_rpc WHERE device_id = $1', [deviceId]);
    return rows[0]?.m === null || rows[0]?.m === undefined ? 0 : num(rows[0].m);
  }

  async linkChild(link: GatewayChild): Promise<void> {
    await this.pool.query(
      `INSERT INTO gateway_children (tenant_id, gateway_id, child_id, child_name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (gateway_id, child_name) DO UPDATE SET tenant_id = excluded.tenant_id, child_id = excluded.child_id`,
      [link.tenantId, link.gatewayId, link.childId, link.childName],
    );
  }

  async listChildLinks(): Promise<GatewayChild[]> {
    return (await this.all('SELECT * FROM gateway_children ORDER BY gateway_id COLLATE "C", child_name COLLATE "C"')).map(toGatewayChild);
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM gateway_children WHERE tenant_id = $1 AND (gateway_id = $2 OR child_id = $2)', [tenantId, deviceId]);
      for (const table of ['device_attributes', 'device_attribute_history', 'device_rpc']) {
        await c.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_id = $2`, [tenantId, deviceId]);
      }
    });
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
