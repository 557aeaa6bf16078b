// The one place that picks an implementation for each port. Embedded (DuckDB, the file-backed
// ingest log, in-process pub/sub) unless a service URL is configured; each service replaces its
// part alone (PostgreSQL storage with the embedded log is valid). Distributed drivers are loaded
// with import() only when configured, so an embedded install never loads pg, nats or ioredis.
import { join } from 'node:path';
import type { ServerOptions } from 'socket.io';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AlarmStore } from '../ports/alarm-store.js';
import type { ModelStore } from '../ports/model-store.js';
import type { PolicyStore } from '../ports/policy-store.js';
import type { DeadLetterLog } from '../ports/dead-letter-log.js';
import type { TelemetryLifecycle } from '../ports/telemetry-lifecycle.js';
import type { Bus } from '../ports/bus.js';
import type { PartitionOwnership } from '../ports/partition-ownership.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { PubSub } from '../ports/pubsub.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';
import type { KeyUnitsStore } from '../ports/key-units-store.js';
import type { DashboardStore } from '../ports/dashboard-store.js';
import type { IdentityStore } from '../ports/identity-store.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { DeviceStateStore } from '../ports/device-state-store.js';
import type { ProvisioningStore } from '../ports/provisioning-store.js';
import type { OtaPackageStore } from '../ports/ota-package-store.js';
import type { DeviceAccessStore } from '../ports/device-access-store.js';
import type { DeviceProfileStore } from '../ports/device-profile-store.js';
import type { RuleStore } from '../ports/rule-store.js';
import type { NotificationStore } from '../ports/notification-store.js';
import type { AlarmJournal } from '../ports/alarm-journal.js';
import type { ReadinessCheck } from '../transports/http/routes/ops.routes.js';
import type { SharedRateLimiter, SharedRequestLimiter } from '../ports/shared-rate-limiter.js';
import type { PresenceDirectory } from '../ports/presence-directory.js';
import { redactUrl } from './redact-url.js';

export interface Adapters {
  telemetryStore: TelemetryStore;
  /** Rollups (later retention tiers, archives); today the telemetry store's own object. */
  telemetryLifecycle: TelemetryLifecycle;
  metadataStore: MetadataStore;
  deadLetterLog: DeadLetterLog;
  alarmStore: AlarmStore;
  modelStore: ModelStore;
  policyStore: PolicyStore;
  keyUnitsStore: KeyUnitsStore;
  dashboardStore: DashboardStore;
  identityStore: IdentityStore;
  auditLog: AuditLog;
  /** Device management state (attributes, RPC, gateways; provisioning; OTA packages): in
   *  PostgreSQL when it is configured, else in management.duckdb (docs/scaling.md). */
  deviceStateStore: DeviceStateStore;
  provisioningStore: ProvisioningStore;
  otaStore: OtaPackageStore;
  /** MQTT basic credentials, X.509 certificates and CAs, disabled devices (management.duckdb too). */
  deviceAccessStore: DeviceAccessStore;
  /** Device profiles (telemetry schema, inactivity timeout); management.duckdb too. */
  deviceProfileStore: DeviceProfileStore;
  /** Rules with their evaluation state, notification channels/policies/deliveries, alarm history:
   *  kept like the device management stores above. */
  ruleStore: RuleStore;
  notificationStore: NotificationStore;
  alarmJournal: AlarmJournal;
  bus: Bus;
  pubsub: PubSub;
  /** How the storage consumer runs: a queue group shared by every node with NATS and PostgreSQL
   *  (each batch stored by one node); no skip by seq with PostgreSQL, whose primary key makes
   *  replays harmless and which may outlive the log its position came from. */
  storageSharing: { group: boolean; skipStoredSeqs: boolean };
  /**
   * Scaled out (NATS and PostgreSQL, VIGIL_PARTITIONS > 0): which partitions of the telemetry
   * stream this node's rule engine owns. Absent: the engine reads the whole stream.
   */
  partitionOwnership?: PartitionOwnership;
  /** Per-device ingest rate limit shared by every node (Redis); absent: each node limits alone. */
  sharedRateLimiter?: SharedRateLimiter;
  /** API request limits (per user, API key, tenant) shared by every node; absent: each node limits alone. */
  sharedRequestLimiter?: SharedRequestLimiter;
  /** Which node holds each device's connection, shared by every node (Redis); absent: this node's own view. */
  presenceDirectory?: PresenceDirectory;
  /** Socket.IO adapter that reaches the clients of every node (absent: this node's only). */
  liveAdapter?: ServerOptions['adapter'];
  /** Highest durable sequence of a subject in the ingest log, for the storage stall check (0 when unknown). */
  durableSeq(subject: string): number;
  /** Readiness of the bus and pubsub connections (the stores have their own ping). */
  readiness: ReadinessCheck[];
  /** Which implementation each port uses, for the start-up log line. */
  implementations: Record<string, string>;
  /** Closes the stores, pubsub and connections (call after the bus is closed and consumers stopped). */
  close(): Promise<void>;
}

/** A configured service could not be reached at start-up; the message is one line naming it. */
export class ServiceUnreachableError extends Error {}

interface Context {
  log: Logger;
  metrics: Metrics;
  /** Absolute data directory. */
  dataDir: string;
}

type Closer = () => Promise<void> | void;

/** The PostgreSQL pool openStores() opened, for the stores opened after it to share. */
interface PostgresHandle {
  pool?: import('pg').Pool;
}

/** Builds every adapter that `overrides` does not supply. Undo on failure: nothing stays open. */
export async function createAdapters(config: Config, context: Context, overrides: Partial<Adapters> = {}): Promise<Adapters> {
  const closers: Closer[] = [];
  const implementations: Record<string, string> = {};
  const readiness: ReadinessCheck[] = [];
  let openedBus: Bus | null = null;
  try {
    const postgres: PostgresHandle = {};
    const stores = await openStores(config, context, overrides, closers, implementations, postgres);
    const management = await openManagementStores(config, context, overrides, closers, implementations, postgres);
    const bus = overrides.bus ?? (openedBus = await openBus(config, context, implementations, readiness));
    if (overrides.bus) implementations.bus = 'override';
    const { pubsub, liveAdapter, sharedRateLimiter, sharedRequestLimiter } = await openPubSub(config, context, overrides, closers, implementations);
    const presenceDirectory = await openPresenceDirectory(config, overrides, closers, implementations);
    const storageSharing = overrides.storageSharing ?? {
      group: Boolean(config.natsUrl && config.postgresUrl && !overrides.telemetryStore),
      skipStoredSeqs: !(config.postgresUrl && !overrides.telemetryStore),
    };
    const fileBus = await asFileBus(bus);
    const partitionOwnership = overrides.partitionOwnership ?? (await openPartitionOwnership(config, context, bus, closers, implementations));
    return {
      ...stores,
      ...management,
      bus,
      pubsub,
      storageSharing,
      ...(partitionOwnership ? { partitionOwnership } : {}),
      liveAdapter,
      sharedRateLimiter,
      sharedRequestLimiter,
      presenceDirectory,
      durableSeq: overrides.durableSeq ?? ((subject) => (fileBus ? fileBus.durableSeq(subject) : 0)),
      readiness: overrides.readiness ?? readiness,
      implementations,
      async close() {
        // Reverse order of opening: pubsub before the stores, the DuckDB file or PG pool last.
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    await openedBus?.close().catch(() => undefined);
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw err;
  }
}

async function asFileBus(bus: Bus) {
  const { FileBus } = await import('./embedded/file-bus.js');
  return bus instanceof FileBus ? bus : null;
}

async function openStores(
  config: Config,
  context: Context,
  overrides: Partial<Adapters>,
  closers: Closer[],
  implementations: Record<string, string>,
  postgres: PostgresHandle,
) {
  const needed =
    !overrides.telemetryStore ||
    !overrides.metadataStore ||
    !overrides.deadLetterLog ||
    !overrides.alarmStore ||
    !overrides.modelStore ||
    !overrides.policyStore;
  let made: {
    telemetryStore: TelemetryStore;
    telemetryLifecycle: TelemetryLifecycle;
    metadataStore: MetadataStore;
    deadLetterLog: DeadLetterLog;
    alarmStore: AlarmStore;
    modelStore: ModelStore;
    policyStore: PolicyStore;
    keyUnitsStore: KeyUnitsStore;
    dashboardStore: DashboardStore;
    identityStore: IdentityStore;
    auditLog: AuditLog;
  } | null = null;
  let kind = 'override';
  if (needed && config.postgresUrl) {
    const { openPostgresStores } = await import('./distributed/postgres.js');
    let pg;
    try {
      pg = await openPostgresStores(config.postgresUrl, { schema: config.postgresSchema });
    } catch (err) {
      throw new ServiceUnreachableError(firstLine(err, 'PostgreSQL', config.postgresUrl), { cause: err });
    }
    closers.push(() => pg.close());
    postgres.pool = pg.pool;
    made = {
      telemetryStore: pg.telemetry,
      telemetryLifecycle: pg.telemetryLifecycle,
      metadataStore: pg.metadata,
      deadLetterLog: pg.deadLetters,
      alarmStore: pg.alarms,
      modelStore: pg.models,
      policyStore: pg.policies,
      keyUnitsStore: pg.keyUnits,
      dashboardStore: pg.dashboards,
      identityStore: pg.identity,
      auditLog: pg.audit,
    };
    kind = `postgresql ${redactUrl(config.postgresUrl)}${config.postgresSchema ? ` schema ${config.postgresSchema}` : ''}`;
  } else if (needed) {
    const { DuckDbDatabase } = await import('./embedded/duckdb-database.js');
    const { DuckDbTelemetryStore } = await import('./embedded/duckdb-telemetry-store.js');
    const { DuckDbMetadataStore } = await import('./embedded/duckdb-metadata-store.js');
    const { DuckDbDeadLetterLog } = await import('./embedded/duckdb-dead-letter-log.js');
    const { DuckDbAlarmStore } = await import('./embedded/duckdb-alarm-store.js');
    const { DuckDbModelStore } = await import('./embedded/duckdb-model-store.js');
    const { DuckDbPolicyStore } = await import('./embedded/duckdb-policy-store.js');
    const db = await DuckDbDatabase.open(join(context.dataDir, 'vigil.duckdb'));
    closers.push(() => db.close());
    const telemetryStore = new DuckDbTelemetryStore(db);
    const metadataStore = new DuckDbMetadataStore(db);
    const deadLetterLog = new DuckDbDeadLetterLog(db);
    const alarmStore = new DuckDbAlarmStore(db);
    const modelStore = new DuckDbModelStore(db);
    const policyStore = new DuckDbPolicyStore(db);
    await telemetryStore.init();
    await metadataStore.init();
    await deadLetterLog.init();
    await alarmStore.init();
    await modelStore.init();
    await policyStore.init();
    const { DuckDbKeyUnitsStore } = await import('./embedded/duckdb-key-units-store.js');
    const { DuckDbDashboardStore } = await import('./embedded/duckdb-dashboard-store.js');
    const keyUnitsStore = new DuckDbKeyUnitsStore(db);
    const dashboardStore = new DuckDbDashboardStore(db);
    await keyUnitsStore.init();
    await dashboardStore.init();
    const { DuckDbIdentityStore } = await import('./embedded/duckdb-identity-store.js');
    const { DuckDbAuditLog } = await import('./embedded/duckdb-audit-log.js');
    const identityStore = new DuckDbIdentityStore(db);
    const auditLog = new DuckDbAuditLog(db);
    await identityStore.init();
    await auditLog.init();
    made = {
      telemetryStore,
      telemetryLifecycle: telemetryStore,
      metadataStore,
      deadLetterLog,
      alarmStore,
      modelStore,
      policyStore,
      keyUnitsStore,
      dashboardStore,
      identityStore,
      auditLog,
    };
    kind = `duckdb ${join(context.dataDir, 'vigil.duckdb')}`;
  }
  const telemetryStore = overrides.telemetryStore ?? made!.telemetryStore;
  const metadataStore = overrides.metadataStore ?? made!.metadataStore;
  // The rollups belong to the telemetry store's data: an overridden store brings its own (or none).
  const telemetryLifecycle = overrides.telemetryLifecycle ?? (overrides.telemetryStore ? lifecycleOf(overrides.telemetryStore) : made!.telemetryLifecycle);
  const deadLetterLog = overrides.deadLetterLog ?? made!.deadLetterLog;
  const alarmStore = overrides.alarmStore ?? made!.alarmStore;
  const modelStore = overrides.modelStore ?? made!.modelStore;
  const policyStore = overrides.policyStore ?? made!.policyStore;
  const keyUnitsStore = overrides.keyUnitsStore ?? made!.keyUnitsStore;
  const dashboardStore = overrides.dashboardStore ?? made!.dashboardStore;
  const identityStore = overrides.identityStore ?? made!.identityStore;
  const auditLog = overrides.auditLog ?? made!.auditLog;
  // The stores close before the database or pool they share (closers run in reverse).
  closers.push(async () => {
    await auditLog.close();
    await identityStore.close();
    await keyUnitsStore.close();
    await telemetryStore.close();
    await deadLetterLog.close();
    await metadataStore.close();
  });
  implementations.telemetryStore = overrides.telemetryStore ? 'override' : kind;
  implementations.metadataStore = overrides.metadataStore ? 'override' : kind;
  implementations.telemetryLifecycle = overrides.telemetryLifecycle || overrides.telemetryStore ? 'override' : kind;
  for (const port of ['deadLetterLog', 'alarmStore', 'modelStore', 'policyStore'] as const) {
    implementations[port] = overrides[port] ? 'override' : kind;
  }
  return {
    telemetryStore,
    telemetryLifecycle,
    metadataStore,
    deadLetterLog,
    alarmStore,
    modelStore,
    policyStore,
    keyUnitsStore,
    dashboardStore,
    identityStore,
    auditLog,
  };
}

/** The store's own rollups when it has them (both built-in stores do); else none to run. */
function lifecycleOf(store: TelemetryStore): TelemetryLifecycle {
  const own = store as Partial<TelemetryLifecycle>;
  if (typeof own.rollUp === 'function' && typeof own.whenRollupsReady === 'function') return own as TelemetryLifecycle;
  return { rollUp: async () => undefined, whenRollupsReady: async () => undefined };
}

async function openBus(config: Config, context: Context, implementations: Record<string, string>, readiness: ReadinessCheck[]): Promise<Bus> {
  const { TELEMETRY_SUBJECT } = await import('../domains/telemetry/batch-codec.js');
  if (config.natsUrl) {
    const { createNatsBus } = await import('./distributed/nats-bus.js');
    const log = context.log.child({ component: 'ingest-log' });
    let bus;
    try {
      bus = await createNatsBus({
        url: config.natsUrl,
        prefix: config.natsStreamPrefix,
        subjects: [TELEMETRY_SUBJECT],
        // Only with PostgreSQL, which holds the partition locks and the state that moves with them.
        partitions: config.postgresUrl ? config.partitions : 0,
        onError: (err, where) => log.error({ err }, `nats bus: ${where}`),
        onConnectionChange: (connected, server) =>
          connected ? log.warn({ server }, 'NATS connection restored') : log.error({ server }, 'NATS connection lost; ingest answers 503 until it returns'),
      });
    } catch (err) {
      throw new ServiceUnreachableError(firstLine(err, 'NATS', config.natsUrl), { cause: err });
    }
    // Partitioned, the rule engine reads `rules-p<N>`: the whole-stream durable of an earlier
    // version would hold every message (interest retention) until max_age, so it goes.
    if (bus.partitions > 0) await bus.removeDurable(TELEMETRY_SUBJECT, 'rules');
    // The app closes the bus itself (before the storage writer stops); nothing to add here.
    readiness.push({
      name: 'ingestLog',
      check: async () => {
        if (!bus.isConnected) throw new Error(`NATS at ${redactUrl(config.natsUrl!)} unreachable`);
      },
    });
    implementations.bus = `nats-jetstream ${redactUrl(config.natsUrl)} prefix ${config.natsStreamPrefix}`;
    return bus;
  }
  const { FileBus } = await import('./embedded/file-bus.js');
  const { fileBusEventReporter, fileBusReadiness } = await import('./embedded/file-bus-reporting.js');
  const bus = new FileBus({
    dir: join(context.dataDir, 'bus'),
    onError: (err, where) => context.log.error({ err }, `bus: ${where}`),
    onEvent: fileBusEventReporter(context.metrics, context.log.child({ component: 'ingest-log' })),
  });
  readiness.push(fileBusReadiness(bus));
  implementations.bus = `file ${join(context.dataDir, 'bus')}`;
  return bus;
}

/** Partition locks on PostgreSQL when the bus is partitioned (NATS with PostgreSQL). */
async function openPartitionOwnership(
  config: Config,
  context: Context,
  bus: Bus,
  closers: Closer[],
  implementations: Record<string, string>,
): Promise<PartitionOwnership | undefined> {
  if (!config.postgresUrl || !bus.partitions) return undefined;
  const { PgPartitionLocks } = await import('./distributed/pg-partition-locks.js');
  const log = context.log.child({ component: 'partitions' });
  const locks = new PgPartitionLocks({
    url: config.postgresUrl,
    namespace: `vigil.partitions.${config.postgresSchema ?? 'public'}`,
    count: bus.partitions,
    claimIntervalMs: config.partitionClaimIntervalMs,
    onError: (err, where) => log.error({ err }, where),
    onChange: (partition, owned) => log.info({ partition }, owned ? 'partition taken' : 'partition let go'),
  });
  // The rule engine stops it first (saving state); this only makes sure the session ends.
  closers.push(() => locks.stop());
  implementations.partitions = `${bus.partitions} partitions, owned through PostgreSQL advisory locks`;
  return locks;
}

async function openPubSub(config: Config, context: Context, overrides: Partial<Adapters>, closers: Closer[], implementations: Record<string, string>) {
  let pubsub = overrides.pubsub;
  let liveAdapter = overrides.liveAdapter;
  if (!pubsub && config.redisUrl) {
    const { createRedisPubSub } = await import('./distributed/redis-pubsub.js');
    const log = context.log.child({ component: 'pubsub' });
    try {
      pubsub = await createRedisPubSub({
        url: config.redisUrl,
        channelPrefix: `${config.redisKeyPrefix}events:`,
        onError: (err, where) => log.error({ err }, `pubsub: ${where}`),
      });
    } catch (err) {
      throw new ServiceUnreachableError(firstLine(err, 'Redis', config.redisUrl), { cause: err });
    }
    implementations.pubsub = `redis ${redactUrl(config.redisUrl)}`;
  } else if (!pubsub) {
    const { MemoryPubSub } = await import('./embedded/memory-pubsub.js');
    pubsub = new MemoryPubSub(undefined, (err, where) => context.log.error({ err }, `pubsub: ${where}`));
    implementations.pubsub = 'memory (this node only)';
  } else {
    implementations.pubsub = 'override';
  }
  const owned = pubsub;
  closers.push(() => owned.close());
  if (!liveAdapter && config.redisUrl) {
    const { createLiveRedisAdapter } = await import('./distributed/redis-live-adapter.js');
    let live;
    try {
      live = await createLiveRedisAdapter(config.redisUrl, `${config.redisKeyPrefix}live`);
    } catch (err) {
      throw new ServiceUnreachableError(firstLine(err, 'Redis', config.redisUrl), { cause: err });
    }
    closers.push(() => live.close());
    liveAdapter = live.adapter;
    implementations.live = `socket.io redis adapter ${redactUrl(config.redisUrl)}`;
  } else {
    implementations.live = liveAdapter ? 'override' : 'socket.io in-memory (this node only)';
  }
  let sharedRateLimiter = overrides.sharedRateLimiter;
  let sharedRequestLimiter = overrides.sharedRequestLimiter;
  if (!sharedRateLimiter && config.redisUrl) {
    const { createRedisRateLimiter } = await import('./distributed/redis-rate-limiter.js');
    let limiter;
    try {
      limiter = await createRedisRateLimiter(config.redisUrl, { perSecond: config.deviceRateLimitPerSec, keyPrefix: `${config.redisKeyPrefix}rate:` });
    } catch (err) {
      throw new ServiceUnreachableError(firstLine(err, 'Redis', config.redisUrl), { cause: err });
    }
    const owned = limiter;
    closers.push(() => owned.close());
    sharedRateLimiter = limiter;
    sharedRequestLimiter ??= limiter;
    implementations.rateLimit = `redis ${redactUrl(config.redisUrl)} (shared) + per node`;
  } else {
    implementations.rateLimit = sharedRateLimiter ? 'override' : 'per node';
  }
  return { pubsub, liveAdapter, sharedRateLimiter, sharedRequestLimiter };
}

async function openPresenceDirectory(config: Config, overrides: Partial<Adapters>, closers: Closer[], implementations: Record<string, string>) {
  if (overrides.presenceDirectory || !config.redisUrl) {
    implementations.presence = overrides.presenceDirectory ? 'override' : 'this node';
    return overrides.presenceDirectory;
  }
  const { createRedisPresenceDirectory } = await import('./distributed/redis-presence-directory.js');
  let directory;
  try {
    directory = await createRedisPresenceDirectory(config.redisUrl, { keyPrefix: config.redisKeyPrefix });
  } catch (err) {
    throw new ServiceUnreachableError(firstLine(err, 'Redis', config.redisUrl), { cause: err });
  }
  const owned = directory;
  closers.push(() => owned.close());
  implementations.presence = `redis ${redactUrl(config.redisUrl)} (shared)`;
  return directory;
}

/** One line naming the service and its URL (password hidden), then the first line of the cause. */
function firstLine(err: unknown, service: string, url: string): string {
  const message = String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .replaceAll(url, redactUrl(url));
  return message.startsWith(`${service} `) ? message : `${service} at ${redactUrl(url)}: ${message}`;
}

type ManagementStores = Pick<
  Adapters,
  'deviceStateStore' | 'provisioningStore' | 'otaStore' | 'deviceAccessStore' | 'deviceProfileStore' | 'ruleStore' | 'notificationStore' | 'alarmJournal'
>;

/**
 * Device management, rules, notifications and the alarm history. With PostgreSQL they live there
 * with the other stores (on the same pool), so every node sees one state and management.duckdb is
 * not opened. Embedded, they live in their own file, management.duckdb (a second DuckDB handle on
 * vigil.duckdb is not possible from here).
 */
async function openManagementStores(
  config: Config,
  context: Context,
  overrides: Partial<Adapters>,
  closers: Closer[],
  implementations: Record<string, string>,
  postgres: PostgresHandle,
): Promise<ManagementStores> {
  if (config.postgresUrl) return openPostgresManagementStores(config, context, overrides, closers, implementations, postgres);
  const { DuckDbDatabase } = await import('./embedded/duckdb-database.js');
  const { DuckDbDeviceStateStore } = await import('./embedded/duckdb-device-state-store.js');
  const { DuckDbProvisioningStore } = await import('./embedded/duckdb-provisioning-store.js');
  const { DuckDbOtaPackageStore } = await import('./embedded/duckdb-ota-package-store.js');
  const { DuckDbDeviceAccessStore } = await import('./embedded/duckdb-device-access-store.js');
  const { DuckDbDeviceProfileStore } = await import('./embedded/duckdb-device-profile-store.js');
  const { DuckDbRuleStore } = await import('./embedded/duckdb-rule-store.js');
  const { DuckDbNotificationStore } = await import('./embedded/duckdb-notification-store.js');
  const { DuckDbAlarmJournal } = await import('./embedded/duckdb-alarm-journal.js');
  const path = join(context.dataDir, 'management.duckdb');
  const db = await DuckDbDatabase.open(path);
  closers.push(() => db.close());
  implementations.management = `duckdb ${path}`;
  const ruleStore = overrides.ruleStore ?? new DuckDbRuleStore(db);
  const notificationStore = overrides.notificationStore ?? new DuckDbNotificationStore(db);
  const alarmJournal = overrides.alarmJournal ?? new DuckDbAlarmJournal(db);
  await ruleStore.init();
  await notificationStore.init();
  await alarmJournal.init();
  closers.push(async () => {
    await alarmJournal.close();
    await notificationStore.close();
    await ruleStore.close();
  });
  return {
    deviceStateStore: overrides.deviceStateStore ?? new DuckDbDeviceStateStore(db),
    provisioningStore: overrides.provisioningStore ?? new DuckDbProvisioningStore(db),
    otaStore: overrides.otaStore ?? new DuckDbOtaPackageStore(db),
    deviceAccessStore: overrides.deviceAccessStore ?? new DuckDbDeviceAccessStore(db),
    deviceProfileStore: overrides.deviceProfileStore ?? new DuckDbDeviceProfileStore(db),
    ruleStore,
    notificationStore,
    alarmJournal,
  };
}

async function openPostgresManagementStores(
  config: Config,
  context: Context,
  overrides: Partial<Adapters>,
  closers: Closer[],
  implementations: Record<string, string>,
  postgres: PostgresHandle,
): Promise<ManagementStores> {
  const url = config.postgresUrl!;
  const { createPostgresManagementStores, openPostgresPool } = await import('./distributed/postgres.js');
  let pool = postgres.pool;
  if (!pool) {
    // The main stores are overrides (tests, embedding): these still need a pool of their own.
    try {
      pool = await openPostgresPool(url, { schema: config.postgresSchema });
    } catch (err) {
      throw new ServiceUnreachableError(firstLine(err, 'PostgreSQL', url), { cause: err });
    }
    const owned = pool;
    closers.push(() => owned.end());
  }
  if (!config.secretsKey) {
    // Channel secrets are sealed with this node's key file; another node cannot open them.
    context.log.warn('VIGIL_SECRETS_KEY is not set: notification channel secrets saved on this node cannot be used by the other nodes');
  }
  const pg = createPostgresManagementStores(pool);
  implementations.management = `postgresql ${redactUrl(url)}${config.postgresSchema ? ` schema ${config.postgresSchema}` : ''}`;
  const ruleStore = overrides.ruleStore ?? pg.rules;
  const notificationStore = overrides.notificationStore ?? pg.notifications;
  const alarmJournal = overrides.alarmJournal ?? pg.alarmJournal;
  // Closed before the pool (closers run in reverse): the notification store holds a connection.
  closers.push(async () => {
    await alarmJournal.close();
    await notificationStore.close();
    await ruleStore.close();
  });
  await ruleStore.init();
  await notificationStore.init();
  await alarmJournal.init();
  return {
    deviceStateStore: overrides.deviceStateStore ?? pg.deviceState,
    provisioningStore: overrides.provisioningStore ?? pg.provisioning,
    otaStore: overrides.otaStore ?? pg.ota,
    deviceAccessStore: overrides.deviceAccessStore ?? pg.deviceAccess,
    deviceProfileStore: overrides.deviceProfileStore ?? pg.deviceProfiles,
    ruleStore,
    notificationStore,
    alarmJournal,
  };
}
