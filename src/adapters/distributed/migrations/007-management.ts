// Device management, rules, notifications and the alarm journal (pg-device-state-store.ts,
// pg-provisioning-store.ts, pg-ota-package-store.ts, pg-rule-store.ts, pg-notification-store.ts,
// pg-alarm-journal.ts): what embedded mode keeps in management.duckdb. JSON values are text, as
// in DuckDB, so a value comes back exactly as it was written (key order, number spelling) and
// both stores share one row mapping (src/adapters/rows/).
import type { Migration } from './index.js';

export const managementSchema: Migration = {
  version: 7,
  name: 'management',
  statements: [
    // ---- device state ----
    `CREATE TABLE device_attributes (
       tenant_id text NOT NULL, device_id text NOT NULL, scope text NOT NULL, key text NOT NULL,
       value text NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (device_id, scope, key))`,
    // The identity column is shared by every node, so "newest first" holds across nodes.
    `CREATE TABLE device_attribute_history (
       seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL, device_id text NOT NULL,
       scope text NOT NULL, key text NOT NULL, value text, deleted boolean NOT NULL, changed_at bigint NOT NULL,
       source text NOT NULL)`,
    `CREATE INDEX device_attribute_history_device ON device_attribute_history (device_id, seq DESC)`,
    `CREATE TABLE device_rpc (
       id text PRIMARY KEY, tenant_id text NOT NULL, device_id text NOT NULL, request_id bigint NOT NULL,
       method text NOT NULL, params text NOT NULL, oneway boolean NOT NULL, persistent boolean NOT NULL,
       status text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL, expires_at bigint NOT NULL,
       response text, error text)`,
    // A device's request ids must not repeat: the device answers by request id alone. Two nodes
    // numbering calls to one device at once collide here instead of both being stored.
    `CREATE UNIQUE INDEX device_rpc_request ON device_rpc (device_id, request_id)`,
    `CREATE INDEX device_rpc_open ON device_rpc (device_id, created_at) WHERE status IN ('queued', 'sent', 'delivered')`,
    `CREATE TABLE gateway_children (
       tenant_id text NOT NULL, gateway_id text NOT NULL, child_id text NOT NULL, child_name text NOT NULL,
       PRIMARY KEY (gateway_id, child_name))`,
    `CREATE INDEX gateway_children_child ON gateway_children (child_id)`,
    // ---- provisioning ----
    `CREATE TABLE provision_profiles (
       id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, device_type text NOT NULL,
       strategy text NOT NULL, provision_key text NOT NULL UNIQUE, secret_hash text NOT NULL, created_at bigint NOT NULL)`,
    `CREATE INDEX provision_profiles_tenant ON provision_profiles (tenant_id, created_at)`,
    `CREATE TABLE device_claims (
       device_id text PRIMARY KEY, tenant_id text NOT NULL, secret_hash text NOT NULL, expires_at bigint NOT NULL)`,
    // ---- OTA ----
    `CREATE TABLE ota_packages (
       id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, title text NOT NULL, version text NOT NULL,
       device_type text, checksum_algorithm text NOT NULL, checksum text NOT NULL, size_bytes bigint NOT NULL,
       chunk_bytes integer NOT NULL, created_at bigint NOT NULL, UNIQUE (tenant_id, kind, title, version))`,
    // The bytes in fixed-size pieces: a device's chunk request reads the one or two pieces it
    // covers, never the whole image (a bytea column would be read and detoasted whole).
    `CREATE TABLE ota_package_chunks (
       package_id text NOT NULL REFERENCES ota_packages (id) ON DELETE CASCADE, n integer NOT NULL,
       data bytea NOT NULL, PRIMARY KEY (package_id, n))`,
    // Images are compressed already; uncompressed out-of-line storage lets substring() read only
    // the slices of a piece a chunk request covers.
    `ALTER TABLE ota_package_chunks ALTER COLUMN data SET STORAGE EXTERNAL`,
    `CREATE TABLE ota_campaigns (
       id text PRIMARY KEY, tenant_id text NOT NULL, status text NOT NULL, created_at bigint NOT NULL, body text NOT NULL)`,
    `CREATE INDEX ota_campaigns_tenant ON ota_campaigns (tenant_id, created_at)`,
    `CREATE INDEX ota_campaigns_status ON ota_campaigns (status, created_at)`,
    // ---- rules ----
    `CREATE TABLE rule_versions (
       tenant_id text NOT NULL, id text NOT NULL, version integer NOT NULL, created_at bigint NOT NULL,
       rule text NOT NULL, PRIMARY KEY (tenant_id, id, version))`,
    `CREATE TABLE rule_states (
       rule_id text NOT NULL, instance text NOT NULL, state text NOT NULL, updated_at bigint NOT NULL,
       PRIMARY KEY (rule_id, instance))`,
    `CREATE TABLE rule_engine_position (id integer PRIMARY KEY, seq bigint NOT NULL)`,
    // ---- notifications ----
    `CREATE TABLE notification_items (
       kind text NOT NULL, tenant_id text NOT NULL, id text NOT NULL, created_at bigint NOT NULL,
       doc text NOT NULL, PRIMARY KEY (kind, id))`,
    `CREATE INDEX notification_items_tenant ON notification_items (tenant_id, kind, created_at)`,
    // owner_node: the node that is sending the delivery (pg-notification-store.ts); a node resumes
    // at start only deliveries whose owner is no longer connected.
    `CREATE TABLE notification_deliveries (
       id text PRIMARY KEY, tenant_id text NOT NULL, alarm_id text NOT NULL, channel_id text,
       channel_type text NOT NULL, event text NOT NULL, status text NOT NULL, attempts integer NOT NULL,
       last_error text, response_status integer, payload text NOT NULL, created_at bigint NOT NULL,
       updated_at bigint NOT NULL, owner_node text)`,
    `CREATE INDEX notification_deliveries_tenant ON notification_deliveries (tenant_id, created_at DESC)`,
    `CREATE INDEX notification_deliveries_unfinished ON notification_deliveries (created_at) WHERE status IN ('pending', 'retrying')`,
    // ---- alarm journal ----
    `CREATE TABLE alarm_journal (
       seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL, alarm_id text NOT NULL,
       at_ms bigint NOT NULL, kind text NOT NULL, by_whom text NOT NULL, text text)`,
    `CREATE INDEX alarm_journal_alarm ON alarm_journal (tenant_id, alarm_id, at_ms, seq)`,
  ],
};
