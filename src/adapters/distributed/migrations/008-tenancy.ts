// Tenant limits beyond devices and points (series, storage, API request rates) as one JSON column
// (new limits need no migration), and custom roles: a tenant's own permission sets, assignable to
// its users in place of a built-in role.
import type { Migration } from './index.js';

export const tenancySchema: Migration = {
  version: 8,
  name: 'tenancy',
  statements: [
    `ALTER TABLE tenant_settings ADD COLUMN limits jsonb NOT NULL DEFAULT '{}'::jsonb`,
    `CREATE TABLE custom_roles (
       id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL,
       permissions jsonb NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, UNIQUE (tenant_id, name))`,
    `CREATE TABLE user_custom_roles (user_id text PRIMARY KEY, role_id text NOT NULL REFERENCES custom_roles (id) ON DELETE CASCADE)`,
    `CREATE INDEX user_custom_roles_role ON user_custom_roles (role_id)`,
  ],
};
