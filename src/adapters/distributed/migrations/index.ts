// The PostgreSQL schema, as numbered migrations applied in order at start-up (pg-migrator.ts).
// A migration is never edited once released: a change to the schema is a new migration.
import { metadataSchema } from './001-metadata.js';
import { analyticsSchema } from './002-analytics.js';
import { telemetrySchema } from './003-telemetry.js';
import { keyUnitsSchema } from './004-key-units.js';
import { dashboardsSchema } from './005-dashboards.js';
import { identitySchema } from './006-identity.js';
import { managementSchema } from './007-management.js';
import { tenancySchema } from './008-tenancy.js';
import { alarmStatusSchema } from './009-alarm-status.js';
import { deviceAccessSchema } from './010-device-access.js';

export interface Migration {
  /** Applied in ascending order; recorded in vigil_migrations once applied. */
  version: number;
  name: string;
  /** Run in one transaction together with the vigil_migrations row. */
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [metadataSchema, analyticsSchema, telemetrySchema, keyUnitsSchema, dashboardsSchema, identitySchema, managementSchema, tenancySchema, alarmStatusSchema, deviceAccessSchema];
