// Embedded IdentityStore on DuckDB. Account state lives in side tables keyed by user/tenant id
// rather than new columns on users/tenants: DuckDB cannot add columns to a table with a UNIQUE
// index, and the side tables leave MetadataStore's schema as it is.
import type { DuckDBValue } from '@duckdb/node-api';
import type { ApiKey, CustomRole, IdentityStore, LoginFailures, Session, TenantSettings, UserAccount } from '../../ports/identity-store.js';
import type { Role } from '../../ports/metadata-store.js';
import { limitsFrom, limitsJson } from '../tenant-limits-json.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS user_state (user_id VARCHAR PRIMARY KEY, disabled BOOLEAN NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sessions (
     id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, tenant_id VARCHAR NOT NULL, current_token_id VARCHAR NOT NULL,
     created_at BIGINT NOT NULL, last_used_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
     revoked_at BIGINT, revoked_reason VARCHAR, ip VARCHAR NOT NULL, user_agent VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS login_failures (
     account VARCHAR PRIMARY KEY, failures INTEGER NOT NULL, last_failure_at BIGINT NOT NULL, locked_until BIGINT)`,
  `CREATE TABLE IF NOT EXISTS tenant_settings (tenant_id VARCHAR PRIMARY KEY, suspended BOOLEAN NOT NULL, max_devices BIGINT, max_points_per_sec BIGINT)`,
  `CREATE TABLE IF NOT EXISTS api_keys (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
     role VARCHAR NOT NULL, scopes VARCHAR NOT NULL, created_by VARCHAR NOT NULL, created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL, revoked_at BIGINT, last_used_at BIGINT)`,
  // Limits added after tenant_settings shipped: a JSON side table (DuckDB adds no columns to a keyed table).
  `CREATE TABLE IF NOT EXISTS tenant_limits (tenant_id VARCHAR PRIMARY KEY, limits VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS custom_roles (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, name VARCHAR NOT NULL, description VARCHAR NOT NULL,
     permissions VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, UNIQUE (tenant_id, name))`,
  `CREATE TABLE IF NOT EXISTS user_custom_roles (user_id VARCHAR PRIMARY KEY, role_id VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS identity_migrations (name VARCHAR PRIMARY KEY, applied_at BIGINT NOT NULL)`,
];

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));
const nullableBig = (v: number | null): DuckDBValue => (v === null ? null : BigInt(v));

function toAccount(r: Row): UserAccount {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    email: r.email as string,
    passwordHash: r.password_hash as string,
    role: r.role as Role,
    createdAt: toNumber(r.created_at),
    disabled: r.disabled === true,
  };
}

function toSession(r: Row): Session {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    tenantId: r.tenant_id as string,
    currentTokenId: r.current_token_id as string,
    createdAt: toNumber(r.created_at),
    lastUsedAt: toNumber(r.last_used_at),
    expiresAt: toNumber(r.expires_at),
    revokedAt: nullableNumber(r.revoked_at),
    revokedReason: (r.revoked_reason as string | null) ?? null,
    ip: r.ip as string,
    userAgent: r.user_agent as string,
  };
}

function toApiKey(r: Row): ApiKey {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    keyHash: r.key_hash as string,
    role: r.role as Role,
    scopes: JSON.parse(r.scopes as string) as string[],
    createdBy: r.created_by as string,
    createdAt: toNumber(r.created_at),
    expiresAt: toNumber(r.expires_at),
    revokedAt: nullableNumber(r.revoked_at),
    lastUsedAt: nullableNumber(r.last_used_at),
  };
}

function toCustomRole(r: Row): CustomRole {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    description: r.description as string,
    permissions: JSON.parse(r.permissions as string) as string[],
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}

const USER_SELECT = `SELECT u.*, coalesce(s.disabled, false) AS disabled FROM users u LEFT JOIN user_state s ON s.user_id = u.id`;

export class DuckDbIdentityStore implements IdentityStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  /** Needs the users and tenants tables (DuckDbMetadataStore.init runs first). */
  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
    await this.migrate('roles-v2', async () => {
      // Before roles-v2 an operator could edit devices and models: that is an engineer now.
      await this.conn.run(`UPDATE users SET role = 'engineer' WHERE role = 'operator'`);
      // The first admin of the first tenant was the platform's only administrator.
      await this.conn.run(
        `UPDATE users SET role = 'superadmin' WHERE id = (
           SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.role = 'admin'
           ORDER BY t.created_at, u.created_at LIMIT 1)`,
      );
    });
  }

  private async migrate(name: string, apply: () => Promise<void>): Promise<void> {
    const done = await this.conn.all('SELECT 1 FROM identity_migrations WHERE name = $1', [name]);
    if (done.length > 0) return;
    await apply();
    await this.conn.run('INSERT INTO identity_migrations VALUES ($1, $2)', [name, BigInt(Date.now())]);
  }

  async listUsers(tenantId: string): Promise<UserAccount[]> {
    return (await this.conn.all(`${USER_SELECT} WHERE u.tenant_id = $1 ORDER BY u.created_at, u.email`, [tenantId])).map(toAccount);
  }

  async getUser(id: string): Promise<UserAccount | null> {
    const rows = await this.conn.all(`${USER_SELECT} WHERE u.id = $1`, [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async getUserByEmail(email: string): Promise<UserAccount | null> {
    const rows = await this.conn.all(`${USER_SELECT} WHERE u.email = $1`, [email.toLowerCase()]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async updateUser(id: string, patch: { role?: Role; disabled?: boolean; passwordHash?: string }): Promise<boolean> {
    if (!(await this.getUser(id))) return false;
    if (patch.role !== undefined) await this.conn.run('UPDATE users SET role = $2 WHERE id = $1', [id, patch.role]);
    if (patch.passwordHash !== undefined) await this.conn.run('UPDATE users SET password_hash = $2 WHERE id = $1', [id, patch.passwordHash]);
    if (patch.disabled !== undefined) {
      await this.conn.run(
        'INSERT INTO user_state VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET disabled = excluded.disabled',
        [id, patch.disabled],
      );
    }
    return true;
  }

  async deleteUser(id: string): Promise<boolean> {
    const deleted = await this.conn.all('DELETE FROM users WHERE id = $1 RETURNING id', [id]);
    await this.conn.run('DELETE FROM user_state WHERE user_id = $1', [id]);
    await this.conn.run('DELETE FROM sessions WHERE user_id = $1', [id]);
    await this.conn.run('DELETE FROM user_custom_roles WHERE user_id = $1', [id]);
    return deleted.length > 0;
  }

  async createSession(s: Session): Promise<void> {
    await this.conn.run('INSERT INTO sessions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      s.id,
      s.userId,
      s.tenantId,
      s.currentTokenId,
      BigInt(s.createdAt),
      BigInt(s.lastUsedAt),
      BigInt(s.expiresAt),
      nullableBig(s.revokedAt),
      s.revokedReason,
      s.ip,
      s.userAgent,
    ]);
  }

  async getSession(id: string): Promise<Session | null> {
    const rows = await this.conn.all('SELECT * FROM sessions WHERE id = $1', [id]);
    return rows[0] ? toSession(rows[0]) : null;
  }

  async rotateSession(id: string, expectedTokenId: string, nextTokenId: string, at: number, expiresAt: number): Promise<boolean> {
    const updated = await this.conn.all(
      `UPDATE sessions SET current_token_id = $3, last_used_at = $4, expires_at = $5
       WHERE id = $1 AND current_token_id = $2 AND revoked_at IS NULL RETURNING id`,
      [id, expectedTokenId, nextTokenId, BigInt(at), BigInt(expiresAt)],
    );
    return updated.length > 0;
  }

  async revokeSession(id: string, reason: string, at: number): Promise<boolean> {
    const updated = await this.conn.all(
      'UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id',
      [id, BigInt(at), reason],
    );
    return updated.length > 0;
  }

  async revokeUserSessions(userId: string, reason: string, at: number): Promise<string[]> {
    const rows = await this.conn.all(
      'UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
      [userId, BigInt(at), reason],
    );
    return rows.map((r) => r.id as string);
  }

  async listSessions(userId: string, now: number): Promise<Session[]> {
    const rows = await this.conn.all(
      'SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC',
      [userId, BigInt(now)],
    );
    return rows.map(toSession);
  }

  async getLoginFailures(account: string): Promise<LoginFailures | null> {
    const rows = await this.conn.all('SELECT * FROM login_failures WHERE account = $1', [account.toLowerCase()]);
    const r = rows[0];
    if (!r) return null;
    return {
      account: r.account as string,
      failures: toNumber(r.failures),
      lastFailureAt: toNumber(r.last_failure_at),
      lockedUntil: nullableNumber(r.locked_until),
    };
  }

  async putLoginFailures(s: LoginFailures): Promise<void> {
    await this.conn.run(
      `INSERT INTO login_failures VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET
         failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
      [s.account.toLowerCase(), s.failures, BigInt(s.lastFailureAt), nullableBig(s.lockedUntil)],
    );
  }

  async clearLoginFailures(account: string): Promise<void> {
    await this.conn.run('DELETE FROM login_failures WHERE account = $1', [account.toLowerCase()]);
  }

  async getTenantSettings(tenantId: string): Promise<TenantSettings> {
    const rows = await this.conn.all('SELECT * FROM tenant_settings WHERE tenant_id = $1', [tenantId]);
    const r = rows[0];
    const limits = await this.conn.all('SELECT limits FROM tenant_limits WHERE tenant_id = $1', [tenantId]);
    return {
      tenantId,
      suspended: r?.suspended === true,
      maxDevices: r ? nullableNumber(r.max_devices) : null,
      maxPointsPerSec: r ? nullableNumber(r.max_points_per_sec) : null,
      ...limitsFrom(limits[0]?.limits as string | undefined),
    };
  }

  async putTenantSettings(s: TenantSettings): Promise<void> {
    await this.conn.run(
      `INSERT INTO tenant_settings VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET
         suspended = excluded.suspended, max_devices = excluded.max_devices, max_points_per_sec = excluded.max_points_per_sec`,
      [s.tenantId, s.suspended, nullableBig(s.maxDevices), nullableBig(s.maxPointsPerSec)],
    );
    await this.conn.run(`INSERT INTO tenant_limits VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE SET limits = excluded.limits`, [
      s.tenantId,
      limitsJson(s),
    ]);
  }

  async deleteTenant(tenantId: string): Promise<void> {
    await this.conn.run('DELETE FROM user_state WHERE user_id IN (SELECT id FROM users WHERE tenant_id = $1)', [tenantId]);
    await this.conn.run('DELETE FROM sessions WHERE tenant_id = $1', [tenantId]);
    await this.conn.run('DELETE FROM users WHERE tenant_id = $1', [tenantId]);
    await this.conn.run('DELETE FROM api_keys WHERE tenant_id = $1', [tenantId]);
    await this.conn.run('DELETE FROM tenant_settings WHERE tenant_id = $1', [tenantId]);
    await this.conn.run('DELETE FROM tenant_limits WHERE tenant_id = $1', [tenantId]);
    await this.conn.run('DELETE FROM user_custom_roles WHERE role_id IN (SELECT id FROM custom_roles WHERE tenant_id = $1)', [tenantId]);
    await this.conn.run('DELETE FROM custom_roles WHERE tenant_id = $1', [tenantId]);
    await this.conn.run('DELETE FROM tenants WHERE id = $1', [tenantId]);
  }

  async listCustomRoles(tenantId: string): Promise<CustomRole[]> {
    return (await this.conn.all('SELECT * FROM custom_roles WHERE tenant_id = $1 ORDER BY name', [tenantId])).map(toCustomRole);
  }

  async getCustomRole(id: string): Promise<CustomRole | null> {
    const rows = await this.conn.all('SELECT * FROM custom_roles WHERE id = $1', [id]);
    return rows[0] ? toCustomRole(rows[0]) : null;
  }

  async putCustomRole(r: CustomRole): Promise<void> {
    // Delete + insert rather than an upsert: DuckDB's ON CONFLICT updates only against one unique constraint.
    const params = [r.id, r.tenantId, r.name, r.description, JSON.stringify(r.permissions), BigInt(r.createdAt), BigInt(r.updatedAt)];
    const existing = await this.conn.all('SELECT 1 FROM custom_roles WHERE id = $1', [r.id]);
    if (existing.length) {
      await this.conn.run('UPDATE custom_roles SET name = $3, description = $4, permissions = $5, updated_at = $7 WHERE id = $1 AND tenant_id = $2 AND created_at = $6', params);
    } else {
      await this.conn.run('INSERT INTO custom_roles VALUES ($1, $2, $3, $4, $5, $6, $7)', params);
    }
  }

  async deleteCustomRole(id: string): Promise<boolean> {
    await this.conn.run('DELETE FROM user_custom_roles WHERE role_id = $1', [id]);
    return (await this.conn.all('DELETE FROM custom_roles WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async getUserCustomRole(userId: string): Promise<string | null> {
    const rows = await this.conn.all('SELECT role_id FROM user_custom_roles WHERE user_id = $1', [userId]);
    return (rows[0]?.role_id as string | undefined) ?? null;
  }

  async setUserCustomRole(userId: string, roleId: string | null): Promise<void> {
    await this.conn.run('DELETE FROM user_custom_roles WHERE user_id = $1', [userId]);
    if (roleId !== null) await this.conn.run('INSERT INTO user_custom_roles VALUES ($1, $2)', [userId, roleId]);
  }

  async usersWithCustomRole(roleId: string): Promise<string[]> {
    return (await this.conn.all('SELECT user_id FROM user_custom_roles WHERE role_id = $1 ORDER BY user_id', [roleId])).map((r) => r.user_id as string);
  }

  async createApiKey(k: ApiKey): Promise<void> {
    await this.conn.run('INSERT INTO api_keys VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      k.id,
      k.tenantId,
      k.name,
      k.keyHash,
      k.role,
      JSON.stringify(k.scopes),
      k.createdBy,
      BigInt(k.createdAt),
      BigInt(k.expiresAt),
      nullableBig(k.revokedAt),
      nullableBig(k.lastUsedAt),
    ]);
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
    const rows = await this.conn.all('SELECT * FROM api_keys WHERE key_hash = $1', [keyHash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return (await this.conn.all('SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at', [tenantId])).map(toApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, at: number): Promise<boolean> {
    const rows = await this.conn.all(
      'UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id',
      [tenantId, id, BigInt(at)],
    );
    return rows.length > 0;
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await this.conn.run('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, BigInt(at)]);
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
