// Embedded NotificationStore on DuckDB: channels, policies and silences as JSON documents in one
// table (each small, read whole per tenant), deliveries as rows the API filters and pages.
import type { DuckDBValue } from '@duckdb/node-api';
import type { Channel, Delivery, DeliveryFilter, NotificationPolicy, Silence } from '../../domains/notifications/notification.js';
import type { NotificationKind, NotificationStore } from '../../ports/notification-store.js';
import { deliveryValues, deliveryWhere, toDelivery } from '../rows/notification-rows.js';
import { toNumber, type DuckDbDatabase, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS notification_items (
     kind VARCHAR NOT NULL, tenant_id VARCHAR NOT NULL, id VARCHAR NOT NULL, created_at BIGINT NOT NULL,
     doc VARCHAR NOT NULL, PRIMARY KEY (kind, id))`,
  `CREATE TABLE IF NOT EXISTS notification_deliveries (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, alarm_id VARCHAR NOT NULL, channel_id VARCHAR,
     channel_type VARCHAR NOT NULL, event VARCHAR NOT NULL, status VARCHAR NOT NULL, attempts INTEGER NOT NULL,
     last_error VARCHAR, response_status INTEGER, payload VARCHAR NOT NULL, created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL)`,
];

export class DuckDbNotificationStore implements NotificationStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  private async put(kind: NotificationKind, item: { id: string; tenantId: string; createdAt: number }): Promise<void> {
    await this.conn.run(
      `INSERT INTO notification_items VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc`,
      [kind, item.tenantId, item.id, BigInt(item.createdAt), JSON.stringify(item)],
    );
  }

  private async list<T>(kind: NotificationKind, tenantId: string): Promise<T[]> {
    const rows = await this.conn.all('SELECT doc FROM notification_items WHERE kind = $1 AND tenant_id = $2 ORDER BY created_at, id', [kind, tenantId]);
    return rows.map((r) => JSON.parse(r.doc as string) as T);
  }

  putChannel(channel: Channel): Promise<void> {
    return this.put('channel', channel);
  }

  putPolicy(policy: NotificationPolicy): Promise<void> {
    return this.put('policy', policy);
  }

  putSilence(silence: Silence): Promise<void> {
    return this.put('silence', silence);
  }

  listChannels(tenantId: string): Promise<Channel[]> {
    return this.list('channel', tenantId);
  }

  listPolicies(tenantId: string): Promise<NotificationPolicy[]> {
    return this.list('policy', tenantId);
  }

  listSilences(tenantId: string): Promise<Silence[]> {
    return this.list('silence', tenantId);
  }

  async deleteItem(kind: NotificationKind, tenantId: string, id: string): Promise<boolean> {
    const rows = await this.conn.all('DELETE FROM notification_items WHERE kind = $1 AND tenant_id = $2 AND id = $3 RETURNING id', [kind, tenantId, id]);
    return rows.length > 0;
  }

  async putDelivery(d: Delivery): Promise<void> {
    await this.conn.run(
      `INSERT INTO notification_deliveries VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error,
       response_status = excluded.response_status, updated_at = excluded.updated_at`,
      deliveryValues(d).map((v, i) => (i >= 11 ? BigInt(v as number) : v)) as DuckDBValue[],
    );
  }

  async listDeliveries(tenantId: string, f: DeliveryFilter): Promise<{ items: Delivery[]; total: number }> {
    const { where, params } = deliveryWhere(tenantId, f);
    const total = await this.conn.all(`SELECT count(*) AS n FROM notification_deliveries WHERE ${where}`, params);
    const rows = await this.conn.all(
      `SELECT * FROM notification_deliveries WHERE ${where} ORDER BY created_at DESC, id LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: rows.map(toDelivery), total: toNumber(total[0]!.n) };
  }

  async unfinishedDeliveries(): Promise<Delivery[]> {
    const rows = await this.conn.all(`SELECT * FROM notification_deliveries WHERE status IN ('pending', 'retrying') ORDER BY created_at`);
    return rows.map(toDelivery);
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
