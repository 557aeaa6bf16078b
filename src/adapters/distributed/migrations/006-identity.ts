// Identity beyond the basic user row (pg-identity-store.ts) and the audit log (pg-audit-log.ts).
// Unlike DuckDB, PostgreSQL can add a column to users, so `disabled` lives there rather than in a
// side table; sessions, login failures, tenant settings and API keys are tables of their own.
import type { Migration } from './index.js';

export const identitySchema: Migration = {
  version: 6,
  name: 'identity',
  statements: [
    `ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false`,
    `CREATE INDEX users_tenant ON users (tenant_id, created_at, email)`,
    `CREATE TABLE sessions (
       id text PRIMARY KEY, user_id text NOT NULL, tenant_id text NOT NULL, current_token_id text NOT NULL,
       created_at bigint NOT NULL, last_used_at bigint NOT NULL, expires_at bigint NOT NULL,
       revoked_at bigint, revoked_reason text, ip text NOT NULL, user_agent text NOT NULL)`,
    `CREATE INDEX sessions_user ON sessions (user_id)`,
    `CREATE INDEX sessions_tenant ON sessions (tenant_id)`,
    `CREATE TABLE login_failures (
       account text PRIMARY KEY, failures integer NOT NULL, last_failure_at bigint NOT NULL, locked_until bigint)`,
    `CREATE TABLE tenant_settings (
       tenant_id text PRIMARY KEY, suspended boolean NOT NULL, max_devices bigint, max_points_per_sec bigint)`,
    // The hash is of a random secret: unique, and the lookup of every API-key request.
    `CREATE TABLE api_keys (
       id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, key_hash text NOT NULL UNIQUE,
       role text NOT NULL, scopes jsonb NOT NULL, created_by text NOT NULL, created_at bigint NOT NULL,
       expires_at bigint NOT NULL, revoked_at bigint, last_used_at bigint)`,
    `CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at)`,
    // One identity sequence shared by every node: ids never repeat and order the entries.
    `CREATE TABLE audit_log (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at_ms bigint NOT NULL, tenant_id text, actor text,
       actor_email text, action text NOT NULL, target text, ip text NOT NULL, outcome text NOT NULL, status_code integer NOT NULL)`,
    `CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id)`,
    `CREATE INDEX audit_log_at ON audit_log (at_ms)`,
    // Roles v2 (as the DuckDB store's roles-v2 step): an operator could edit devices and models,
    // which is an engineer now; the first admin of the first tenant was the platform's only
    // administrator, so it becomes the superadmin (unless there already is one).
    `UPDATE users SET role = 'engineer' WHERE role = 'operator'`,
    `UPDATE users SET role = 'superadmin' WHERE id = (
       SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.role = 'admin'
       ORDER BY t.created_at, u.created_at LIMIT 1)
     AND NOT EXISTS (SELECT 1 FROM users WHERE role = 'superadmin')`,
  ],
};
