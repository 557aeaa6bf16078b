// NotificationStore on PostgreSQL (migration 007): channels, policies and silences as JSON
// documents (channel secrets arrive sealed and are stored as they are), deliveries as rows.
//
// Deliveries are work that must be sent once. Every node resumes unfinished deliveries at start,
// so each delivery row names the node sending it (owner_node) and each store holds a session
// advisory lock on its own node id for as long as it is open. A starting node takes over only
// the unfinished deliveries of nodes whose lock is free, i.e. whose connection is gone: those of
// a live node stay with it, and of two nodes starting at once each takes a disjoint part.
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Channel, Delivery, DeliveryFilter, NotificationPolicy, Silence } from '../../domains/notifications/notification.js';
import type { NotificationKind, NotificationStore } from '../../ports/notification-store.js';
import { deliveryValues, deliveryWhere, toDelivery } from '../rows/notification-rows.js';
import { num, type Row } from '../rows/row.js';
import { inTransaction } from './pg-transaction.js';

/** First key of the two-key advisory locks that mark a node alive (its own key space). */
const NODE_LOCK_CLASS = 0x76_67_6e; // "vgn"
const UNFINISHED = `('pending', 'retrying')`;

export class PgNotificationStore implements NotificationStore {
  /** This node's id in owner_node; a new one per start, so a restarted node resumes its own past work. */
  readonly nodeId = randomUUID();
  private lockClient: PoolClient | null = null;
  private locking: Promise<void> | null = null;
  /** Writes of one delivery in call order (the delivery queue does not wait for the first). */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(private readonly pool: Pool) {}

  async init(): Promise<void> {
    await this.holdNodeLock();
  }

  /** Takes (or takes again, after a lost connection) the lock that says this node is alive. */
  private holdNodeLock(): Promise<void> {
    if (this.lockClient) return Promise.resolve();
    this.locking ??= (async () => {
      const client = await this.pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [NODE_LOCK_CLASS, this.nodeId]);
      } catch (err) {
        client.release(true);
        throw err;
      }
      client.on('error', () => {
        // The server dropped the connection and with it the lock: take it again on the next write.
        if (this.lockClient === client) this.lockClient = null;
        client.release(true);
      });
      this.lockClient = client;
    })().finally(() => (this.locking = null));
    return this.locking;
  }

  private async put(kind: NotificationKind, item: { id: string; tenantId: string; createdAt: number }): Promise<void> {
    await this.pool.query(
      `INSERT INTO notification_items (kind, tenant_id, id, created_at, doc) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc`,
      [kind, item.tenantId, item.id, item.createdAt, JSON.stringify(item)],
    );
  }

  private async list<T>(kind: NotificationKind, tenantId: string): Promise<T[]> {
    const { rows } = await this.pool.query('SELECT doc FROM notification_items WHERE kind = $1 AND tenant_id = $2 ORDER BY created_at, id COLLATE "C"', [
      kind,
      tenantId,
    ]);
    return (rows as Row[]).map((r) => JSON.parse(r.doc as string) as T);
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
    const { rowCount } = await this.pool.query('DELETE FROM notification_items WHERE kind = $1 AND tenant_id = $2 AND id = $3', [kind, tenantId, id]);
    return (rowCount ?? 0) > 0;
  }

  putDelivery(d: Delivery): Promise<void> {
    // Pool connections run concurrently; chaining per id keeps an attempt's outcome from being
    // overtaken by the record written just before it.
    const previous = this.writes.get(d.id) ?? Promise.resolve();
    const write = previous.catch(() => undefined).then(() => this.writeDelivery(d));
    this.writes.set(d.id, write);
    void write.catch(() => undefined).finally(() => this.writes.get(d.id) === write && this.writes.delete(d.id));
    return write;
  }

  private async writeDelivery(d: Delivery): Promise<void> {
    await this.holdNodeLock();
    await this.pool.query(
      `INSERT INTO notification_deliveries
         (id, tenant_id, alarm_id, channel_id, channel_type, event, status, attempts, last_error, response_status, payload, created_at, updated_at, owner_node)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, last_error = excluded.last_error,
         response_status = excluded.response_status, updated_at = excluded.updated_at, owner_node = excluded.owner_node`,
      [...deliveryValues(d), this.nodeId],
    );
  }

  async listDeliveries(tenantId: string, f: DeliveryFilter): Promise<{ items: Delivery[]; total: number }> {
    const { where, params } = deliveryWhere(tenantId, f);
    const total = await this.pool.query(`SELECT count(*) AS n FROM notification_deliveries WHERE ${where}`, params);
    const { rows } = await this.pool.query(
      `SELECT * FROM notification_deliveries WHERE ${where} ORDER BY created_at DESC, id COLLATE "C" LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: (rows as Row[]).map(toDelivery), total: num((total.rows[0] as Row).n) };
  }

  /**
   * Unfinished deliveries this node may send: its own and those of nodes that are gone (or of no
   * node), which it takes over. A node's liveness is its advisory lock: trying it inside this
   * transaction succeeds only for a node that no longer holds it, and keeps a second claimer out
   * until this one commits; rows another claimer has locked are skipped.
   */
  async unfinishedDeliveries(): Promise<Delivery[]> {
    await this.holdNodeLock();
    const rows = await inTransaction(this.pool, async (c) => {
      const owners = await c.query<{ owner: string }>(
        `SELECT DISTINCT owner_node AS owner FROM notification_deliveries
         WHERE status IN ${UNFINISHED} AND owner_node IS NOT NULL AND owner_node <> $1`,
        [this.nodeId],
      );
      const gone: string[] = [];
      for (const { owner } of owners.rows) {
        const free = await c.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS free', [NODE_LOCK_CLASS, owner]);
        if (free.rows[0]?.free) gone.push(owner);
      }
      const claimed = await c.query(
        `UPDATE notification_deliveries SET owner_node = $1
         WHERE id IN (
           SELECT id FROM notification_deliveries
           WHERE status IN ${UNFINISHED} AND (owner_node IS NULL OR owner_node = $1 OR owner_node = ANY($2::text[]))
           FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [this.nodeId, gone],
      );
      return claimed.rows as Row[];
    });
    return rows.map(toDelivery).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Waits for pending writes, then lets the node lock go (other nodes may take over what is left). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
    await this.locking?.catch(() => undefined);
    const client = this.lockClient;
    this.lockClient = null;
    if (!client) return;
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [NODE_LOCK_CLASS, this.nodeId]).catch(() => undefined);
    client.release();
  }
}
