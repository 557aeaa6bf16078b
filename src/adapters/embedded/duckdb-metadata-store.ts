// Embedded MetadataStore on DuckDB: tenants, users, devices and device activity.
// last_seen lives in its own table so the periodic activity flush never conflicts with an
// API edit of the same device row (DuckDB's optimistic concurrency would reject one of them).
import type { DuckDBValue } from '@duckdb/node-api';
import type {
  Device,
  DeviceSortField,
  DeviceFilter,
  DeviceWithCredential,
  MetadataStore,
  Tenant,
  User,
} from '../../ports/metadata-store.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tenants (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS users (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, email VARCHAR NOT NULL UNIQUE,
     password_hash VARCHAR NOT NULL, role VARCHAR NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS devices (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, type VARCHAR NOT NULL,
     labels VARCHAR NOT NULL, token_hash VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS devices_token ON devices (token_hash)`,
  `CREATE TABLE IF NOT EXISTS device_activity (device_id VARCHAR PRIMARY KEY, last_seen BIGINT NOT NULL)`,
];

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
    labels: JSON.parse(r.labels as string) as Record<string, string>,
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
    lastSeenAt: r.last_seen === null || r.last_seen === undefined ? null : toNumber(r.last_seen),
  };
}

function toUser(r: Row): User {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    email: r.email as string,
    passwordHash: r.password_hash as string,
    role: r.role as User['role'],
    createdAt: toNumber(r.created_at),
  };
}

export class DuckDbMetadataStore implements MetadataStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async createTenant(t: Tenant): Promise<void> {
    await this.conn.run('INSERT INTO tenants VALUES ($1, $2, $3)', [t.id, t.name, BigInt(t.createdAt)]);
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.conn.all('SELECT * FROM tenants ORDER BY created_at');
    return rows.map((r) => ({ id: r.id as string, name: r.name as string, createdAt: toNumber(r.created_at) }));
  }

  async createUser(u: User): Promise<void> {
    await this.conn.run('INSERT INTO users VALUES ($1, $2, $3, $4, $5, $6)', [
      u.id,
      u.tenantId,
      u.email.toLowerCase(),
      u.passwordHash,
      u.role,
      BigInt(u.createdAt),
    ]);
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const rows = await this.conn.all('SELECT * FROM users WHERE email = $1', [email.toLowerCase()]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findUserById(id: string): Promise<User | null> {
    const rows = await this.conn.all('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async createDevice(d: DeviceWithCredential): Promise<void> {
    await this.conn.run('INSERT INTO devices VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      d.id,
      d.tenantId,
      d.name,
      d.type,
      JSON.stringify(d.labels),
      d.tokenHash,
      BigInt(d.createdAt),
      BigInt(d.updatedAt),
    ]);
  }

  async getDevice(tenantId: string, id: string): Promise<Device | null> {
    const rows = await this.conn.all(`SELECT ${DEVICE_COLUMNS} FROM ${DEVICE_FROM} WHERE d.tenant_id = $1 AND d.id = $2`, [
      tenantId,
      id,
    ]);
    return rows[0] ? toDevice(rows[0]) : null;
  }

  async findDeviceByTokenHash(tokenHash: string): Promise<Device | null> {
    const rows = await this.conn.all(`SELECT ${DEVICE_COLUMNS} FROM ${DEVICE_FROM} WHERE d.token_hash = $1`, [tokenHash]);
    return rows[0] ? toDevice(rows[0]) : null;
  }

  async listDevices(tenantId: string, f: DeviceFilter): Promise<{ items: Device[]; total: number }> {
    const params: DuckDBValue[] = [tenantId];
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
      // A quoted JSON path: a bare key starting with "$" would be read as a path itself.
      params.push(`$."${key.replaceAll('"', '\\"')}"`, value);
      where += ` AND (d.labels::JSON ->> $${params.length - 1}) = $${params.length}`;
    }
    if (f.ids) {
      if (f.ids.length === 0) return { items: [], total: 0 };
      const marks = f.ids.map((id) => {
        params.push(id);
        return `$${params.length}`;
      });
      where += ` AND d.id IN (${marks.join(',')})`;
    }
    const total = await this.conn.all(`SELECT count(*) AS n FROM devices d WHERE ${where}`, params);
    const orderBy = f.sort ? `${SORT_COLUMNS[f.sort]} ${f.order === 'desc' ? 'DESC' : 'ASC'} NULLS LAST, d.id` : 'd.created_at, d.id';
    const rows = await this.conn.all(
      `SELECT ${DEVICE_COLUMNS} FROM ${DEVICE_FROM} WHERE ${where} ORDER BY ${orderBy} LIMIT ${Math.trunc(f.limit)} OFFSET ${Math.trunc(f.offset)}`,
      params,
    );
    return { items: rows.map(toDevice), total: toNumber(total[0]!.n) };
  }

  async updateDevice(
    tenantId: string,
    id: string,
    patch: Partial<Pick<Device, 'name' | 'type' | 'labels'>>,
  ): Promise<Device | null> {
    const sets: string[] = [];
    const params: DuckDBValue[] = [tenantId, id, BigInt(Date.now())];
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
    await this.conn.run(
      `UPDATE devices SET updated_at = $3${sets.map((s) => `, ${s}`).join('')} WHERE tenant_id = $1 AND id = $2`,
      params,
    );
    return this.getDevice(tenantId, id);
  }

  async setDeviceTokenHash(tenantId: string, id: string, tokenHash: string): Promise<boolean> {
    const updated = await this.conn.all(
      'UPDATE devices SET token_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 RETURNING id',
      [tenantId, id, tokenHash, BigInt(Date.now())],
    );
    return updated.length > 0;
  }

  async deleteDevice(tenantId: string, id: string): Promise<boolean> {
    const deleted = await this.conn.all('DELETE FROM devices WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    if (deleted.length === 0) return false;
    await this.conn.run('DELETE FROM device_activity WHERE device_id = $1', [id]);
    return true;
  }

  async touchDevices(lastSeen: Map<string, number>): Promise<void> {
    if (lastSeen.size === 0) return;
    const params: DuckDBValue[] = [];
    const rows: string[] = [];
    for (const [id, ts] of lastSeen) {
      params.push(id, BigInt(ts));
      rows.push(`($${params.length - 1}, $${params.length})`);
    }
    await this.conn.run(
      `INSERT INTO device_activity VALUES ${rows.join(',')}
       ON CONFLICT (device_id) DO UPDATE SET last_seen = greatest(device_activity.last_seen, excluded.last_seen)`,
      params,
    );
  }

  async ping(): Promise<void> {
    await this.conn.all('SELECT 1');
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
