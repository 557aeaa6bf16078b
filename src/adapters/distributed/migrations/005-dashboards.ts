// Saved dashboards of the web console (see pg-dashboard-store.ts).
import type { Migration } from './index.js';

export const dashboardsSchema: Migration = {
  version: 5,
  name: 'dashboards',
  statements: [
    `CREATE TABLE dashboards (
       id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, widgets jsonb NOT NULL,
       range_ms bigint NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL
     )`,
    'CREATE INDEX dashboards_tenant ON dashboards (tenant_id)',
  ],
};
