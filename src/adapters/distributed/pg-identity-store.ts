// IdentityStore on PostgreSQL, with the DuckDB store's semantics (duckdb-identity-store.ts); the
// contract suite runs on both. Several nodes share these rows, so every change that depends on
// the current state (session rotation, revocation) is one conditional statement, never a read
// followed by a write. Schema: migrations 006 and 007.
import type { Pool, PoolClient } from 'pg';
import type { ApiKey, CustomRole, IdentityStore, LoginFailures, Session, TenantSettings, UserAccount } from '../../ports/identity-store.js';
import { limitsFrom, limitsJson } from '../tenant-limits-json.js';
import type { Role } from '../../ports/metadata-store.js';

type Row = Record<string, unknown>;

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toAccount(r: Row): UserAccount {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    email: r.email as string,
    passwordHash: r.password_hash as string,
    role: r.role as Role,
    createdAt: Number(r.created_at),
    disabled: r.disabled === true,
  };
}

function toSession(r: Row): Session {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    tenantId: r.tenant_id as string,
    currentTokenId: r.current_token_id as string,
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
    expiresAt: Number(r.expires_at),
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
    scopes: r.scopes as string[],
    createdBy: r.created_by as string,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
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
    permissions: r.permissions as string[],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const USER_COLUMNS = 'id, tenant_id, email, password_hash, role, created_at, disabled';

export class PgIdentityStore implements IdentityStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  /** Runs `work` in one transaction on one pooled connection. */
  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async listUsers(tenantId: string): Promise<UserAccount[]> {
    return (await this.all(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY created_at, email`, [tenantId])).map(toAccount);
  }

  async getUser(id: string): Promise<UserAccount | null> {
    const rows = await this.all(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async getUserByEmail(email: string): Promise<UserAccount | null> {
    const rows = await this.all(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [email.toLowerCase()]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async updateUser(id: string, patch: { role?: Role; disabled?: boolean; passwordHash?: string }): Promise<boolean> {
    // One statement: fields left out of the patch keep their value (coalesce with a null parameter).
    const updated = await this.all(
      `UPDATE users SET role = coalesce($2, role), disabled = coalesce($3, disabled), password_hash = coalesce($4, password_hash)
       WHERE id = $1 RETURNING id`,
      [id, patch.role ?? null, patch.disabled ?? null, patch.passwordHash ?? null],
    );
    return updated.length > 0;
  }

  async deleteUser(id: string): Promise<boolean> {
    const rows = await this.all(
      `WITH gone AS (DELETE FROM users WHERE id = $1 RETURNING id),
       sessions_gone AS (DELETE FROM sessions WHERE user_id = $1),
       role_gone AS (DELETE FROM user_custom_roles WHERE user_id = $1)
       SELECT count(*) AS n FROM gone`,
      [id],
    );
    return Number(rows[0]!.n) > 0;
  }

  async createSession(s: Session): Promise<void> {
    await this.pool.query('INSERT INTO sessions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      s.id,
      s.userId,
      s.tenantId,
      s.currentTokenId,
      s.createdAt,
      s.lastUsedAt,
      s.expiresAt,
      s.revokedAt,
      s.revokedReason,
      s.ip,
      s.userAgent,
    ]);
  }

  async getSession(id: string): Promise<Session | null> {
    const rows = await this.all('SELECT * FROM sessions WHERE id = $1', [id]);
    return rows[0] ? toSession(rows[0]) : null;
  }

  async rotateSession(id: string, expectedTokenId: string, nextTokenId: string, at: number, expiresAt: number): Promise<boolean> {
    // The compare-and-set: two nodes presenting the same refresh token at once both run this;
    // the row lock makes the second re-check the WHERE against the first's new token, so it
    // matches nothing and that caller sees a reused token.
    const updated = await this.all(
      `UPDATE sessions SET current_token_id = $3, last_used_at = $4, expires_at = $5
       WHERE id = $1 AND current_token_id = $2 AND revoked_at IS NULL RETURNING id`,
      [id, expectedTokenId, nextTokenId, at, expiresAt],
    );
    return updated.length > 0;
  }

  async revokeSession(id: string, reason: string, at: number): Promise<boolean> {
    const updated = await this.all(
      'UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id',
      [id, at, reason],
    );
    return updated.length > 0;
  }

  async revokeUserSessions(userId: string, reason: string, at: number): Promise<string[]> {
    const rows = await this.all(
      'UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
      [userId, at, reason],
    );
    return rows.map((r) => r.id as string);
  }

  async listSessions(userId: string, now: number): Promise<Session[]> {
    const rows = await this.all(
      'SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC',
      [userId, now],
    );
    return rows.map(toSession);
  }

  async getLoginFailures(account: string): Promise<LoginFailures | null> {
    const rows = await this.all('SELECT * FROM login_failures WHERE account = $1', [account.toLowerCase()]);
    const r = rows[0];
    if (!r) return null;
    return {
      account: r.account as string,
      failures: Number(r.failures),
      lastFailureAt: Number(r.last_failure_at),
      lockedUntil: nullableNumber(r.locked_until),
    };
  }

  async putLoginFailures(s: LoginFailures): Promise<void> {
    await this.pool.query(
      `INSERT INTO login_failures VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET
         failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
      [s.account.toLowerCase(), s.failures, s.lastFailureAt, s.lockedUntil],
    );
  }

  async clearLoginFailures(account: string): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE account = $1', [account.toLowerCase()]);
  }

  async getTenantSettings(tenantId: string): Promise<TenantSettings> {
    const rows = await this.all('SELECT * FROM tenant_settings WHERE tenant_id = $1', [tenantId]);
    const r = rows[0];
    return {
      tenantId,
      suspended: r?.suspended === true,
      maxDevices: r ? nullableNumber(r.max_devices) : null,
      maxPointsPerSec: r ? nullableNumber(r.max_points_per_sec) : null,
      ...limitsFrom(r?.limits as Record<string, unknown> | undefined),
    };
  }

  async putTenantSettings(s: TenantSettings): Promise<void> {
    await this.pool.query(
      `INSERT INTO tenant_settings (tenant_id, suspended, max_devices, max_points_per_sec, limits) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id) DO UPDATE SET suspended = excluded.suspended, max_devices = excluded.max_devices,
         max_points_per_sec = excluded.max_points_per_sec, limits = excluded.limits`,
      [s.tenantId, s.suspended, s.maxDevices, s.maxPointsPerSec, limitsJson(s)],
    );
  }

  async deleteTenant(tenantId: string): Promise<void> {
    // One transaction: another node never sees the tenant gone but its users or keys still valid.
    await this.transaction(async (c) => {
      for (const table of ['sessions', 'users', 'api_keys', 'tenant_settings', 'custom_roles']) {
        await c.query(`DELETE FROM ${table} WHERE tenant_id = $1`, [tenantId]);
      }
      await c.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
    });
  }

  async listCustomRoles(tenantId: string): Promise<CustomRole[]> {
    return (await this.all('SELECT * FROM custom_roles WHERE tenant_id = $1 ORDER BY name', [tenantId])).map(toCustomRole);
  }

  async getCustomRole(id: string): Promise<CustomRole | null> {
    const rows = await this.all('SELECT * FROM custom_roles WHERE id = $1', [id]);
    return rows[0] ? toCustomRole(rows[0]) : null;
  }

  async putCustomRole(r: CustomRole): Promise<void> {
    await this.pool.query(
      `INSERT INTO custom_roles VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET
         name = excluded.name, description = excluded.description, permissions = excluded.permissions, updated_at = excluded.updated_at
       WHERE custom_roles.tenant_id = excluded.tenant_id`,
      [r.id, r.tenantId, r.name, r.description, JSON.stringify(r.permissions), r.createdAt, r.updatedAt],
    );
  }

  async deleteCustomRole(id: string): Promise<boolean> {
    // Assignments go with it (ON DELETE CASCADE).
    return (await this.all('DELETE FROM custom_roles WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async getUserCustomRole(userId: string): Promise<string | null> {
    const rows = await this.all('SELECT role_id FROM user_custom_roles WHERE user_id = $1', [userId]);
    return (rows[0]?.role_id as string | undefined) ?? null;
  }

  async setUserCustomRole(userId: string, roleId: string | null): Promise<void> {
    if (roleId === null) await this.pool.query('DELETE FROM user_custom_roles WHERE user_id = $1', [userId]);
    else {
      await this.pool.query('INSERT INTO user_custom_roles VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET role_id = excluded.role_id', [userId, roleId]);
    }
  }

  async usersWithCustomRole(roleId: string): Promise<string[]> {
    return (await this.all('SELECT user_id FROM user_custom_roles WHERE role_id = $1 ORDER BY user_id', [roleId])).map((r) => r.user_id as string);
  }

  async createApiKey(k: ApiKey): Promise<void> {
    await this.pool.query('INSERT INTO api_keys VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      k.id,
      k.tenantId,
      k.name,
      k.keyHash,
      k.role,
      JSON.stringify(k.scopes),
      k.createdBy,
      k.createdAt,
      k.expiresAt,
      k.revokedAt,
      k.lastUsedAt,
    ]);
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
    const rows = await this.all('SELECT * FROM api_keys WHERE key_hash = $1', [keyHash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return (await this.all('SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId])).map(toApiKey);
  }

  async revokeApiKey(tenantId: string, id: string, at: number): Promise<boolean> {
    const rows = await this.all(
      'UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id',
      [tenantId, id, at],
    );
    return rows.length > 0;
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    // greatest(): two nodes touching the same key never move last use back in time.
    await this.pool.query('UPDATE api_keys SET last_used_at = greatest(last_used_at, $2::bigint) WHERE id = $1', [id, at]);
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
