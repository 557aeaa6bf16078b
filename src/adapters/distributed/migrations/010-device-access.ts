// Device access (pg-device-access-store.ts) and device profiles (pg-device-profile-store.ts): what
// embedded mode keeps in management.duckdb beside the other management tables. Secrets arrive
// hashed (basic passwords) or sealed (a Vigil CA's key) and are stored as given.
import type { Migration } from './index.js';

export const deviceAccessSchema: Migration = {
  version: 10,
  name: 'device-access',
  statements: [
    // One client id / username pair names one device on every node: two nodes registering the same
    // pair at once cannot both succeed (NULLS NOT DISTINCT: a missing part counts as a value).
    `CREATE TABLE device_mqtt_basic (
       device_id text PRIMARY KEY, tenant_id text NOT NULL, client_id text, username text,
       password_hash text, updated_at bigint NOT NULL,
       CONSTRAINT device_mqtt_basic_pair UNIQUE NULLS NOT DISTINCT (client_id, username))`,
    `CREATE TABLE device_certificates (
       fingerprint text PRIMARY KEY, tenant_id text NOT NULL, device_id text NOT NULL, serial_number text NOT NULL,
       subject text NOT NULL, not_before bigint NOT NULL, not_after bigint NOT NULL, source text NOT NULL,
       created_at bigint NOT NULL, revoked_at bigint)`,
    `CREATE INDEX device_certificates_device ON device_certificates (tenant_id, device_id, created_at DESC)`,
    `CREATE TABLE certificate_authorities (
       id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, name text NOT NULL,
       certificate_pem text NOT NULL, private_key text, subject text NOT NULL, fingerprint text NOT NULL,
       create_devices boolean NOT NULL, device_type text NOT NULL, created_at bigint NOT NULL)`,
    `CREATE INDEX certificate_authorities_tenant ON certificate_authorities (tenant_id, created_at)`,
    // A tenant has one CA of its own: two nodes making it on first use at once cannot both keep theirs.
    `CREATE UNIQUE INDEX certificate_authorities_own ON certificate_authorities (tenant_id) WHERE kind = 'vigil'`,
    `CREATE INDEX certificate_authorities_uploaded ON certificate_authorities (subject) WHERE kind = 'uploaded'`,
    `CREATE TABLE disabled_devices (device_id text PRIMARY KEY, tenant_id text NOT NULL, since bigint NOT NULL)`,
    // ---- device profiles ----
    `CREATE TABLE device_profiles (
       id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL,
       telemetry_schema text, on_violation text NOT NULL, inactivity_timeout_ms bigint,
       created_at bigint NOT NULL, updated_at bigint NOT NULL, UNIQUE (tenant_id, name))`,
  ],
};
