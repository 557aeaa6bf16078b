// Tenants, users, devices, device activity and the dead-letter log (see pg-metadata-store.ts).
import type { Migration } from './index.js';

export const metadataSchema: Migration = {
  version: 1,
  name: 'metadata',
  statements: [
    `CREATE TABLE tenants (id text PRIMARY KEY, name text NOT NULL, created_at bigint NOT NULL)`,
    `CREATE TABLE users (
       id text PRIMARY KEY, tenant_id text NOT NULL, email text NOT NULL UNIQUE,
       password_hash text NOT NULL, role text NOT NULL, created_at bigint NOT NULL)`,
    `CREATE TABLE devices (
       id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, type text NOT NULL,
       labels jsonb NOT NULL, token_hash text NOT NULL UNIQUE, created_at bigint NOT NULL, updated_at bigint NOT NULL)`,
    `CREATE INDEX devices_tenant ON devices (tenant_id, created_at, id)`,
    // Its own table, as in DuckDB: the periodic last-seen flush never locks the device row an
    // API edit is changing.
    `CREATE TABLE device_activity (device_id text PRIMARY KEY, last_seen bigint NOT NULL)`,
    // Ids come from the nodes that rejected the payloads; they are not unique across nodes.
    `CREATE TABLE ingest_rejected (
       id bigint NOT NULL, rejected_at bigint NOT NULL, tenant_id text, device_id text, transport text NOT NULL,
       reason text NOT NULL, message text NOT NULL, payload_head text NOT NULL, payload_bytes bigint NOT NULL)`,
    `CREATE INDEX ingest_rejected_id ON ingest_rejected (id)`,
  ],
};
