// Embedded DeviceStateStore on DuckDB: attributes (current value per scope and key, plus an
// append-only history) and RPC calls. Values are stored as JSON text.
import type { DuckDBValue } from '@duckdb/node-api';
import type {
  Attribute,
  AttributeChange,
  AttributeScope,
  AttributeValue,
  DeviceStateStore,
  RpcCall,
  RpcStatus,
  RpcUpdate,
  GatewayChild,
} from '../../ports/device-state-store.js';
import { OPEN_RPC_STATUSES, RPC_FORWARD_FROM, toAttributeChange, toGatewayChild, toRpc } from '../rows/device-state-rows.js';
import { toJson as json } from '../rows/row.js';
import { toNumber, type DuckDbDatabase, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS device_attributes (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, scope VARCHAR NOT NULL, key VARCHAR NOT NULL,
     value VARCHAR NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (device_id, scope, key))`,
  `CREATE TABLE IF NOT EXISTS device_attribute_history (
     tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, scope VARCHAR NOT NULL, key VARCHAR NOT NULL,
     value VARCHAR, deleted BOOLEAN NOT NULL, changed_at BIGINT NOT NULL, source VARCHAR NOT NULL, seq BIGINT NOT NULL)`,
  `CREATE SEQUENCE IF NOT EXISTS device_attribute_history_seq`,
  `CREATE TABLE IF NOT EXISTS device_rpc (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, request_id BIGINT NOT NULL,
     method VARCHAR NOT NULL, params VARCHAR NOT NULL, oneway BOOLEAN NOT NULL, persistent BOOLEAN NOT NULL,
     status VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
     response VARCHAR, error VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS gateway_children (
     tenant_id VARCHAR NOT NULL, gateway_id VARCHAR NOT NULL, child_id VARCHAR NOT NULL, child_name VARCHAR NOT NULL,
     PRIMARY KEY (gateway_id, child_name))`,
];

const OPEN_STATUSES = `(${OPEN_RPC_STATUSES.map((st) => `'${st}'`).join(',')})`;

export class DuckDbDeviceStateStore implements DeviceStateStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async setAttributes(tenantId: string, deviceId: string, scope: AttributeScope, values: Map<string, AttributeValue>, at: number, source: string): Promise<void> {
    if (values.size === 0) return;
    await this.conn.exclusive(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        for (const [key, value] of values) {
          const text = json(value);
          await c.run('INSERT OR REPLACE INTO device_attributes VALUES ($1, $2, $3, $4, $5, $6)', [tenantId, deviceId, scope, key, text, BigInt(at)]);
          await c.run(`INSERT INTO device_attribute_history VALUES ($1, $2, $3, $4, $5, false, $6, $7, nextval('device_attribute_history_seq'))`, [
            tenantId,
            deviceId,
            scope,
            key,
            text,
            BigInt(at),
            source,
          ]);
        }
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    });
  }

  async deleteAttributes(tenantId: string, deviceId: string, scope: AttributeScope, keys: string[], at: number, source: string): Promise<string[]> {
    const existing = (await this.getAttributes(tenantId, deviceId, scope, keys)).map((a) => a.key);
    for (const key of existing) {
      await this.conn.run('DELETE FROM device_attributes WHERE device_id = $1 AND scope = $2 AND key = $3', [deviceId, scope, key]);
      await this.conn.run(`INSERT INTO device_attribute_history VALUES ($1, $2, $3, $4, NULL, true, $5, $6, nextval('device_attribute_history_seq'))`, [
        tenantId,
        deviceId,
        scope,
        key,
        BigInt(at),
        source,
      ]);
    }
    return existing;
  }

  async getAttributes(tenantId: string, deviceId: string, scope: AttributeScope, keys?: string[]): Promise<Attribute[]> {
    const params: DuckDBValue[] = [tenantId, deviceId, scope];
    let sql = 'SELECT key, value, updated_at FROM device_attributes WHERE tenant_id = $1 AND device_id = $2 AND scope = $3';
    if (keys) {
      if (keys.length === 0) return [];
      sql += ` AND key IN (${keys.map((_, i) => `$${i + 4}`).join(', ')})`;
      params.push(...keys);
    }
    const rows = await this.conn.all(`${sql} ORDER BY key`, params);
    return rows.map((r) => ({ scope, key: r.key as string, value: JSON.parse(r.value as string), updatedAt: toNumber(r.updated_at) }));
  }

  async attributeHistory(tenantId: string, deviceId: string, filter: { scope?: AttributeScope; key?: string; limit: number }): Promise<AttributeChange[]> {
    const params: DuckDBValue[] = [tenantId, deviceId];
    let sql = 'SELECT * FROM device_attribute_history WHERE tenant_id = $1 AND device_id = $2';
    if (filter.scope) sql += ` AND scope = $${params.push(filter.scope)}`;
    if (filter.key) sql += ` AND key = $${params.push(filter.key)}`;
    sql += ` ORDER BY seq DESC LIMIT $${params.push(filter.limit)}`;
    const rows = await this.conn.all(sql, params);
    return rows.map(toAttributeChange);
  }

  async createRpc(call: RpcCall): Promise<void> {
    await this.conn.run('INSERT INTO device_rpc VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)', [
      call.id,
      call.tenantId,
      call.deviceId,
      BigInt(call.requestId),
      call.method,
      json(call.params),
      call.oneway,
      call.persistent,
      call.status,
      BigInt(call.createdAt),
      BigInt(call.updatedAt),
      BigInt(call.expiresAt),
      call.response === null || call.response === undefined ? null : json(call.response),
      call.error,
    ]);
  }

  async updateRpc(tenantId: string, id: string, update: RpcUpdate): Promise<RpcCall | null> {
    const sets = ['status = $3', 'updated_at = $4'];
    const params: DuckDBValue[] = [tenantId, id, update.status, BigInt(update.updatedAt)];
    if (update.response !== undefined) sets.push(`response = $${params.push(json(update.response))}`);
    if (update.error !== undefined) sets.push(`error = $${params.push(update.error)}`);
    const from = RPC_FORWARD_FROM[update.status].map((s) => `'${s}'`).join(',');
    await this.conn.run(`UPDATE device_rpc SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 AND status IN (${from})`, params);
    return this.getRpc(tenantId, id);
  }

  async getRpc(tenantId: string, id: string): Promise<RpcCall | null> {
    const rows = await this.conn.all('SELECT * FROM device_rpc WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toRpc(rows[0]) : null;
  }

  async findRpcByRequestId(deviceId: string, requestId: number): Promise<RpcCall | null> {
    const rows = await this.conn.all('SELECT * FROM device_rpc WHERE device_id = $1 AND request_id = $2 ORDER BY created_at DESC LIMIT 1', [
      deviceId,
      BigInt(requestId),
    ]);
    return rows[0] ? toRpc(rows[0]) : null;
  }

  async listRpc(tenantId: string, deviceId: string, filter: { status?: RpcStatus; offset: number; limit: number }): Promise<RpcCall[]> {
    const params: DuckDBValue[] = [tenantId, deviceId];
    let sql = 'SELECT * FROM device_rpc WHERE tenant_id = $1 AND device_id = $2';
    if (filter.status) sql += ` AND status = $${params.push(filter.status)}`;
    sql += ` ORDER BY created_at DESC, request_id DESC LIMIT $${params.push(filter.limit)} OFFSET $${params.push(filter.offset)}`;
    return (await this.conn.all(sql, params)).map(toRpc);
  }

  async openRpc(deviceId?: string): Promise<RpcCall[]> {
    const where = deviceId ? 'AND device_id = $1' : '';
    const rows = await this.conn.all(`SELECT * FROM device_rpc WHERE status IN ${OPEN_STATUSES} ${where} ORDER BY created_at, request_id`, deviceId ? [deviceId] : []);
    return rows.map(toRpc);
  }

  async lastRpcRequestId(deviceId: string): Promise<number> {
    const rows = await this.conn.all('SELECT max(request_id) AS m FROM device_rpc WHERE device_id = $1', [deviceId]);
    return rows[0]?.m === null || rows[0]?.m === undefined ? 0 : toNumber(rows[0].m);
  }

  async linkChild(link: GatewayChild): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO gateway_children VALUES ($1, $2, $3, $4)', [link.tenantId, link.gatewayId, link.childId, link.childName]);
  }

  async listChildLinks(): Promise<GatewayChild[]> {
    const rows = await this.conn.all('SELECT * FROM gateway_children ORDER BY gateway_id, child_name');
    return rows.map(toGatewayChild);
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.conn.run('DELETE FROM gateway_children WHERE tenant_id = $1 AND (gateway_id = $2 OR child_id = $2)', [tenantId, deviceId]);
    for (const table of ['device_attributes', 'device_attribute_history', 'device_rpc']) {
      await this.conn.run(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_id = $2`, [tenantId, deviceId]);
    }
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
