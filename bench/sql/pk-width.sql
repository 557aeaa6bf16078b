-- What the telemetry primary key costs, and what a narrower one would cost instead.
-- `psql -h 127.0.0.1 -U postgres test -f bench/sql/pk-width.sql` (creates and drops schema
-- vigil_bench_pk_width). The same 200,000 points (1,000 devices × 5 keys × 40 timestamps, in time
-- order, as a storage batch stream brings them) are inserted after a CHECKPOINT into:
--   plain   the store's columns, no index (the floor)
--   pk      the store's primary key (tenant_id, device_id, key, ts), text COLLATE "C" (today)
--   pkbrin  the same plus the two BRIN indexes (today's full shape, one partition)
--   sid     a series id instead of the three text columns: PRIMARY KEY (series int, ts),
--           the idempotency key unchanged since a series id names one (tenant, device, key)
-- Each table is loaded twice (the second time after TRUNCATE + CHECKPOINT); read the second set.
\timing on
DROP SCHEMA IF EXISTS vigil_bench_pk_width CASCADE;
CREATE SCHEMA vigil_bench_pk_width;
SET search_path = vigil_bench_pk_width;
CREATE TABLE src AS
  SELECT '2f1c6a8e-6b0f-4a57-9c61-4f2f3d1b9a10'::text AS tenant_id, md5(d::text)::uuid::text AS device_id, 'k' || k AS key,
         (extract(epoch FROM now()) * 1000)::bigint - 100000 + s AS ts, random() * 100 AS num, NULL::text AS str, NULL::boolean AS bool
  FROM generate_series(1, 40) s, generate_series(1, 1000) d, generate_series(0, 4) k ORDER BY s, d, k;
CREATE TABLE plain (tenant_id text COLLATE "C", device_id text COLLATE "C", key text COLLATE "C", ts bigint, num float8, str text, bool boolean,
  tx bigint DEFAULT (pg_current_xact_id()::text::bigint));
CREATE TABLE pk (LIKE plain INCLUDING DEFAULTS, PRIMARY KEY (tenant_id, device_id, key, ts));
CREATE TABLE pkbrin (LIKE plain INCLUDING DEFAULTS, PRIMARY KEY (tenant_id, device_id, key, ts));
CREATE INDEX ON pkbrin USING brin (ts) WITH (autosummarize = on);
CREATE INDEX ON pkbrin USING brin (tx) WITH (autosummarize = on);
CREATE TABLE sid (series int, ts bigint, num float8, str text, bool boolean, tx bigint DEFAULT (pg_current_xact_id()::text::bigint), PRIMARY KEY (series, ts));
CREATE TABLE series AS SELECT tenant_id, device_id, key, (row_number() OVER ())::int AS id FROM (SELECT DISTINCT tenant_id, device_id, key FROM src) x;
CREATE TABLE src_sid AS SELECT series.id AS series, ts, num, str, bool FROM src JOIN series USING (tenant_id, device_id, key) ORDER BY ts, series;
CHECKPOINT;
INSERT INTO plain (tenant_id, device_id, key, ts, num, str, bool) SELECT * FROM src;
INSERT INTO pk (tenant_id, device_id, key, ts, num, str, bool) SELECT * FROM src;
INSERT INTO pkbrin (tenant_id, device_id, key, ts, num, str, bool) SELECT * FROM src;
INSERT INTO sid (series, ts, num, str, bool) SELECT * FROM src_sid;
TRUNCATE plain, pk, pkbrin, sid;
CHECKPOINT;
\echo second set: plain, pk, pkbrin, sid
INSERT INTO plain (tenant_id, device_id, key, ts, num, str, bool) SELECT * FROM src;
INSERT INTO pk (tenant_id, device_id, key, ts, num, str, bool) SELECT * FROM src;
INSERT INTO pkbrin (tenant_id, device_id, key, ts, num, str, bool) SELECT * FROM src;
INSERT INTO sid (series, ts, num, str, bool) SELECT * FROM src_sid;
SELECT 'pk' AS idx, pg_size_pretty(pg_relation_size('pk_pkey')) UNION ALL SELECT 'sid', pg_size_pretty(pg_relation_size('sid_pkey'));
DROP SCHEMA vigil_bench_pk_width CASCADE;
