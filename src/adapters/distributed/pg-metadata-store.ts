// MetadataStore on PostgreSQL: tenants, users, devices and device activity,
// with the DuckDB store's semantics (duckdb-metadata-store.ts); the contract suite runs on both.
import type { Pool } from 'pg';
import type { Device, DeviceFilter, DeviceSortField, DeviceWithCredential, MetadataStore, Tenant, User } from '../../ports/metadata-store.js';

type Row = Record<string, unknown>;

const DEVICE_COLUMNS = `d.id, d.tenant_id, d.name, d.type, d.labels, d.created_at, d.updated_at, a.last_seen`;
const DEVICE_FROM = `devices d LEFT JOIN device_activity a ON a.device_id = d.id`;
// Column per sort field: a fixed table, never text from the request, goes into ORDER BY.
const SORT_COLUMNS: Record<DeviceSortField, string> = {
  name: 'lower(d.name)',
  type: 'd.type',
  createdAt: 'd.created_at',
  lastSeenAt: 'a.last_seen',
};

function toDevice(r: Row): Device {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    type: r.type as string,
    labels: r.labels as Record<string, string>,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastSeenAt: r.last_seen === null || r.last_seen === undefined ? null : Number(r.last_seen),
  };
}

function toUser(r: Row): User {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    email: r.email as string,
    passwordHash: r.password_hash as string,
    role: r.role as User['role'],
    createdAt: Number(r.created_at),
  };
}

export class PgMetadataStore implements MetadataStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async createTenant(t: Tenant): Promise<void> {
    await this.pool.query('INSERT INTO tenants VALUES ($1, $2, $3)', [t.id, t.name, t.createdAt]);
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.all('SELECT * FROM tenants ORDER BY created_at');
    return rows.map((r) => ({ id: r.id as string, name: r.name as string, createdAt: Number(r.created_at) }));
  }

  async createUser(u: User): Promise<void> {
    await this.pool.query('INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6)', [
      u.id,
      u.tenantId,
      u.email.toLowerCase(),
      u.passwordHash,
      u.role,
      u.createdAt,
    ]);
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const rows = await this.all('SELECT * FROM users WHERE email = $1', [email.toLowerCase()]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findUserById(id: string): Promise<User | null> {
    const rows = await this.all('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async createDevice(d: DeviceWithCredential): Promise<void> {
    await this.pool.query('INSERT INTO devices VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      d.id,
      d.tenantId,
      d.name,
      d.type,
      JSON.stringify(d.labels),
      d.tokenHash,
      d.createdAt,
      d.updatedAt,
    ]);
  }

  async getDevice(tenantId: string, id: string): Promise<Device | null> {
    const rows = await this.all(`SELECT ${DEVICE_COLUMNS} FROM ${DEVICE_FROM} WHERE d.tenant_id = $1 AND d.id = $2`, [tenantId, id]);
    return rows[0] ? toDevice(rows[0]) : null;
  }

  async findDeviceByTokenHash(tokenHash: string): Promise<Device | null> {
    const rows = await this.all(`SELECT ${DEVICE_COLUMNS} FROM ${DEVICE_FROM} WHERE d.token_hash = $1`, [tokenHash]);
    return rows[0] ? toDevice(rows[0]) : null;
  }

  async listDevices(tenantId: string, f: DeviceFilter): Promise<{ items: Device[]; total: number }> {
    const params: unknown[] = [tenantId];
    let where = 'd.tenant_id = $1';
    if (f.name) {
      params.push(`%${f.name.toLowerCase()}%`);
      where += ` AND lower(d.name) LIKE $${params.length}`;
    }
    if (f.type) {
      params.push(f.type);
      where += ` AND d.type = $${params.length}`;
    }
    for (const [key, value] of Object.entries(f.labels ?? {})) {
      params.push(key, value);
      where += ` AND (d.labels ->> $${params.length - 1}) = $${params.length}`;
    }
    if (f.ids) {
      if (f.ids.length === 0) return { items: [], total: 0 };
      params.push(f.ids);
      where += ` AND d.id = ANY($${params.length}::text[])`;
    }
    const total = await this.all(`SELECT count(*) AS n FROM devices d WHERE ${where}`, params);
    const orderBy = f.sort ? `${SORT_COLUMNS[f.sort]} ${f.order === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, d.id` : 'd.created_at, d.id';
    const rows = await this.all(
      `SELECT ${DEVICE_COLUMNS} FROM ${DEVICE_FROM} WHERE ${where} ORDER BY ${orderBy} LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: rows.map(toDevice), total: Number(total[0]!.n) };
  }

  async updateDevice(tenantId: string, id: string, patch: Partial<Pick<Device, 'name' | 'type' | 'labels'>>): Promise<Device | null> {
    const sets: string[] = [];
    const params: unknown[] = [tenantId, id, Date.now()];
    if (patch.name !== undefined) {
      params.push(patch.name);
      sets.push(`name = $${params.length}`);
    }
    if (patch.type !== undefined) {
      params.push(patch.type);
      sets.push(`type = $${params.length}`);
    }
    if (patch.labels !== undefined) {
      params.push(JSON.stringify(patch.labels));
      sets.push(`labels = $${params.length}`);
    }
    await this.pool.query(`UPDATE devices SET updated_at = $3${sets.map((s) => `, ${s}`).join('')} WHERE tenant_id = $1 AND id = $2`, params);
    return this.getDevice(tenantId, id);
  }

  async setDeviceTokenHash(tenantId: string, id: string, tokenHash: string): Promise<boolean> {
    const updated = await this.pool.query('UPDATE devices SET token_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2', [
      tenantId,
      id,
      tokenHash,
      Date.now(),
    ]);
    return (updated.rowCount ?? 0) > 0;
  }

  async deleteDevice(tenantId: string, id: string): Promise<boolean> {
    const deleted = await this.all(
      `WITH gone AS (DELETE FROM devices WHERE tenant_id = $1 AND id = $2 RETURNING id),
       activity AS (DELETE FROM device_activity WHERE device_id IN (SELECT id FROM gone))
       SELECT count(*) AS n FROM gone`,
      [tenantId, id],
    );
    return Number(deleted[0]!.n) > 0;
  }

  async touchDevices(lastSeen: Map<string, number>): Promise<void> {
    if (lastSeen.size === 0) return;
    // Sorted ids: two nodes flushing overlapping sets lock rows in the same order.
    const entries = [...lastSeen].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    await this.pool.query(
      `INSERT INTO device_activity SELECT * FROM unnest($1::text[], $2::int8[])
       ON CONFLICT (device_id) DO UPDATE SET last_seen = greatest(device_activity.last_seen, excluded.last_seen)`,
      [entries.map((e) => e[0]), entries.map((e) => e[1])],
    );
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
