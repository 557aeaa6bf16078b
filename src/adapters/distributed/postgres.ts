// The PostgreSQL stores of scaled-out mode behind one factory: one connection pool shared by
// every store, the schema migrated (under an advisory lock, so nodes starting together are
// safe) before any store is used.
import type { DashboardStore } from '../../ports/dashboard-store.js';
import { PgDashboardStore } from './pg-dashboard-store.js';
import pg from 'pg';
import type { AlarmStore } from '../../ports/alarm-store.js';
import type { ModelStore } from '../../ports/model-store.js';
import type { PolicyStore } from '../../ports/policy-store.js';
import type { DeadLetterLog } from '../../ports/dead-letter-log.js';
import type { TelemetryLifecycle } from '../../ports/telemetry-lifecycle.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { KeyUnitsStore } from '../../ports/key-units-store.js';
import { migrate } from './pg-migrator.js';
import { PgAlarmStore } from './pg-alarm-store.js';
import { PgModelStore } from './pg-model-store.js';
import { PgPolicyStore } from './pg-policy-store.js';
import { PgDeadLetterLog } from './pg-dead-letter-log.js';
import { PgMetadataStore } from './pg-metadata-store.js';
import { PgTelemetryStore, type PgTelemetryStoreOptions } from './pg-telemetry-store.js';
import { PgKeyUnitsStore } from './pg-key-units-store.js';
import type { IdentityStore } from '../../ports/identity-store.js';
import type { AuditLog } from '../../ports/audit-log.js';
import { PgIdentityStore } from './pg-identity-store.js';
import { PgAuditLog } from './pg-audit-log.js';
import type { DeviceStateStore } from '../../ports/device-state-store.js';
import type { ProvisioningStore } from '../../ports/provisioning-store.js';
import type { OtaPackageStore } from '../../ports/ota-package-store.js';
import type { RuleStore } from '../../ports/rule-store.js';
import type { NotificationStore } from '../../ports/notification-store.js';
import type { AlarmJournal } from '../../ports/alarm-journal.js';
import { PgDeviceStateStore } from './pg-device-state-store.js';
import { PgProvisioningStore } from './pg-provisioning-store.js';
import { PgOtaPackageStore } from './pg-ota-package-store.js';
import { PgRuleStore } from './pg-rule-store.js';
import { PgNotificationStore } from './pg-notification-store.js';
import { PgAlarmJournal } from './pg-alarm-journal.js';
import type { DeviceAccessStore } from '../../ports/device-access-store.js';
import type { DeviceProfileStore } from '../../ports/device-profile-store.js';
import { PgDeviceAccessStore } from './pg-device-access-store.js';
import { PgDeviceProfileStore } from './pg-device-profile-store.js';

export interface PostgresOptions extends PgTelemetryStoreOptions {
  /** Schema for every table (created if missing); default: the server's search_path (public). */
  schema?: string;
  /** Connections in the pool. Ten covers the storage writer, queries and roll-ups of one node. */
  poolSize?: number;
  /** Apply pending migrations at open (default true); false expects `vigil migrate` was run. */
  migrate?: boolean;
}

export interface PostgresStores {
  telemetry: TelemetryStore;
  /** Rollups: the same object as `telemetry` (pg-telemetry-store.ts). */
  telemetryLifecycle: TelemetryLifecycle;
  metadata: MetadataStore;
  deadLetters: DeadLetterLog;
  alarms: AlarmStore;
  models: ModelStore;
  policies: PolicyStore;
  keyUnits: KeyUnitsStore;
  dashboards: DashboardStore;
  identity: IdentityStore;
  audit: AuditLog;
  pool: pg.Pool;
  /** Ends the pool; call after the stores' own close(). */
  close(): Promise<void>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A pool whose connections use `schema` (when given) as their search_path. */
export function createPool(url: string, options: Pick<PostgresOptions, 'schema' | 'poolSize'> = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // Fail fast with the URL in the message instead of hanging on an unreachable server.
    connectionTimeoutMillis: 10_000,
    ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it and the next query reports the error.
  pool.on('error', () => undefined);
  // The pool listens for errors only on idle connections; a checked-out one (a transaction, the
  // migration or roll-up lock) that the server drops emits 'error' with no listener, which would
  // crash the node on every PostgreSQL restart (found by test/cluster/service-restarts.test.ts).
  // Its running query rejects anyway and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable PostgreSQL URL)';
  }
}

/**
 * Creates the schema if it is missing. Two nodes running CREATE SCHEMA IF NOT EXISTS at once can
 * both miss it and one fails on the catalog's unique index, so creation is serialised.
 */
export async function ensureSchema(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('vigil.create_schema'))`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A pool on a created and migrated schema (what every PostgreSQL store expects). */
export async function openPostgresPool(url: string, options: PostgresOptions = {}): Promise<pg.Pool> {
  const pool = createPool(url, options);
  try {
    if (options.schema) await ensureSchema(pool, options.schema);
    if (options.migrate ?? true) await migrate(pool);
    return pool;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
}

export interface PostgresManagementStores {
  deviceState: DeviceStateStore;
  provisioning: ProvisioningStore;
  ota: OtaPackageStore;
  rules: RuleStore;
  notifications: NotificationStore;
  alarmJournal: AlarmJournal;
  deviceAccess: DeviceAccessStore;
  deviceProfiles: DeviceProfileStore;
}

/**
 * The device management (state, provisioning, OTA, access, profiles), rule, notification and alarm-journal stores on a pool from
 * openPostgresStores() or openPostgresPool(); callers init() and close() them (the notification
 * store holds one connection of the pool while open) before ending the pool.
 */
export function createPostgresManagementStores(pool: pg.Pool): PostgresManagementStores {
  return {
    deviceState: new PgDeviceStateStore(pool),
    provisioning: new PgProvisioningStore(pool),
    ota: new PgOtaPackageStore(pool),
    rules: new PgRuleStore(pool),
    notifications: new PgNotificationStore(pool),
    alarmJournal: new PgAlarmJournal(pool),
    deviceAccess: new PgDeviceAccessStore(pool),
    deviceProfiles: new PgDeviceProfileStore(pool),
  };
}

export async function openPostgresStores(url: string, options: PostgresOptions = {}): Promise<PostgresStores> {
  const pool = await openPostgresPool(url, options);
  try {
    const telemetry = new PgTelemetryStore(pool, options);
    const metadata = new PgMetadataStore(pool);
    const deadLetters = new PgDeadLetterLog(pool);
    const alarms = new PgAlarmStore(pool);
    const models = new PgModelStore(pool);
    const policies = new PgPolicyStore(pool);
    await telemetry.init();
    await metadata.init();
    await deadLetters.init();
    await alarms.init();
    await models.init();
    await policies.init();
    const keyUnits = new PgKeyUnitsStore(pool);
    const dashboards = new PgDashboardStore(pool);
    const identity = new PgIdentityStore(pool);
    const audit = new PgAuditLog(pool);
    return { telemetry, telemetryLifecycle: telemetry, metadata, deadLetters, alarms, models, policies, keyUnits, dashboards, identity, audit, pool, close: () => pool.end() };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
}
