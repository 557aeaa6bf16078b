// Detector models, alarms, maintenance and detector policies, RUL models (see pg-model-store.ts, pg-alarm-store.ts, pg-policy-store.ts).
import type { Migration } from './index.js';

export const analyticsSchema: Migration = {
  version: 2,
  name: 'analytics',
  statements: [
    `CREATE TABLE analytics_models (
       tenant_id text NOT NULL, device_id text NOT NULL, key text NOT NULL, kind text NOT NULL,
       version integer NOT NULL, state jsonb NOT NULL, trained_from bigint, trained_to bigint,
       points bigint NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (tenant_id, device_id, key))`,
    `CREATE TABLE alarms (
       id text PRIMARY KEY, tenant_id text NOT NULL, device_id text NOT NULL, type text NOT NULL,
       key text, severity text NOT NULL, status text NOT NULL, message text NOT NULL,
       details jsonb NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL)`,
    `CREATE INDEX alarms_tenant_created ON alarms (tenant_id, created_at DESC, id)`,
    `CREATE TABLE maintenance_policies (
       tenant_id text NOT NULL, device_type text NOT NULL, key text NOT NULL, threshold double precision NOT NULL,
       fail_when text, horizon_ms bigint NOT NULL, window_ms bigint NOT NULL, updated_at bigint NOT NULL,
       PRIMARY KEY (tenant_id, device_type))`,
    `CREATE TABLE detector_policies (
       tenant_id text NOT NULL, device_type text NOT NULL, keys jsonb NOT NULL, fit_points integer NOT NULL,
       updated_at bigint NOT NULL, PRIMARY KEY (tenant_id, device_type))`,
    `CREATE TABLE rul_models (
       tenant_id text NOT NULL, device_type text NOT NULL, keys jsonb NOT NULL, step_ms bigint NOT NULL,
       version integer NOT NULL, trained_at bigint NOT NULL, units integer NOT NULL, rows bigint NOT NULL,
       state jsonb NOT NULL, PRIMARY KEY (tenant_id, device_type))`,
  ],
};
