// Telemetry, series, consumer positions and the one-minute rollups (see pg-telemetry-store.ts).
import type { Migration } from './index.js';

export const telemetrySchema: Migration = {
  version: 3,
  name: 'telemetry',
  statements: [
    // Series columns compare bytewise (COLLATE "C"): cheaper on every index insert than a
    // locale collation, and the same key order as DuckDB.
    // Range-partitioned by ts (epoch ms); partitions are created ahead and on demand
    // (pg-partitions.ts). The primary key makes writes idempotent: a replayed point is skipped.
    // tx is the id of the inserting transaction: the rollup folds rows whose transaction is
    // finished, which stays exact with many nodes writing at once (pg-rollups.ts). The default
    // keeps rows loaded straight into the table (COPY by an operator) in the rollups too.
    `CREATE TABLE telemetry (
       tenant_id text COLLATE "C" NOT NULL, device_id text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, ts bigint NOT NULL,
       num double precision, str text, bool boolean,
       tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
       PRIMARY KEY (tenant_id, device_id, key, ts)
     ) PARTITION BY RANGE (ts)`,
    // Rows arrive roughly in time and transaction order, so block-range indexes stay tiny and
    // still skip almost every block: ts for time scans, tx for the roll-up pass.
    `CREATE INDEX telemetry_ts_brin ON telemetry USING brin (ts) WITH (autosummarize = on)`,
    `CREATE INDEX telemetry_tx_brin ON telemetry USING brin (tx) WITH (autosummarize = on)`,
    // The series of each device, insert-only: keys() reads it, and latest() looks up the newest
    // row of each series through the primary key (newest partition first). Keeping a latest-
    // values table instead meant rewriting one row per series on every batch, which cost as much
    // as storing the points (bench/pg-ingest.ts).
    `CREATE TABLE telemetry_series (
       tenant_id text COLLATE "C" NOT NULL, device_id text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL,
       PRIMARY KEY (tenant_id, device_id, key))`,
    `CREATE TABLE ingest_positions (consumer text PRIMARY KEY, seq bigint NOT NULL)`,
    // Partial aggregates per minute, appended by each roll-up pass and combined at query time.
    `CREATE TABLE telemetry_rollup_1m (
       tenant_id text COLLATE "C" NOT NULL, device_id text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, bucket bigint NOT NULL,
       cnt bigint NOT NULL, num_cnt bigint NOT NULL, sum double precision, min double precision, max double precision)`,
    `CREATE INDEX telemetry_rollup_1m_series ON telemetry_rollup_1m (tenant_id, device_id, key, bucket)`,
    // Rows with tx below rolled_tx are in the rollup; rows at or above it are not yet.
    `CREATE TABLE telemetry_rollup_state (id integer PRIMARY KEY, rolled_tx bigint NOT NULL)`,
    `INSERT INTO telemetry_rollup_state VALUES (1, 0)`,
  ],
};
