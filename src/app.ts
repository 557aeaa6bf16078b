// Composition root: builds every component from one Config and wires them together. The only
// module that knows which adapters exist. Listening and signals belong to the caller
// (src/cli/start.ts), so tests can build an app on ephemeral ports.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { DuckDbDatabase } from './adapters/embedded/duckdb-database.js';
import { DuckDbTelemetryStore } from './adapters/embedded/duckdb-telemetry-store.js';
import { DuckDbMetadataStore } from './adapters/embedded/duckdb-metadata-store.js';
import { DuckDbAnalyticsStore } from './adapters/embedded/duckdb-analytics-store.js';
import { AlarmService } from './domains/alarms/alarms.service.js';
import { LiveDetectionService } from './domains/analytics/live-detection.service.js';
import { MaintenanceService } from './domains/analytics/maintenance.service.js';
import { RulService } from './domains/analytics/rul.service.js';
import { analyticsRoutes } from './transports/http/routes/analytics.routes.js';
import { FileBus } from './adapters/embedded/file-bus.js';
import { fileBusEventReporter, fileBusReadiness } from './adapters/embedded/file-bus-reporting.js';
import { DiskSpaceGuard } from './domains/telemetry/disk-space-guard.js';
import { StorageHealth } from './domains/telemetry/storage-health.js';
import { TELEMETRY_SUBJECT } from './domains/telemetry/batch-codec.js';
import { AuthService } from './domains/auth/auth.service.js';
import { TokenService } from './domains/auth/tokens.js';
import { DeviceService } from './domains/devices/devices.service.js';
import { PresenceTracker } from './domains/devices/presence.js';
import { IngestService } from './domains/telemetry/ingest.service.js';
import { TelemetryQueryService } from './domains/telemetry/query.service.js';
import { InsightsService } from './domains/analytics/insights.service.js';
import { RejectedLog } from './domains/telemetry/rejected-log.js';
import { StorageWriter } from './domains/telemetry/storage-writer.js';
import { AcceptedBatches } from './domains/telemetry/accepted-batches.js';
import { KeyRegistry } from './domains/telemetry/key-registry.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createHttpServer } from './transports/http/server.js';
import { authRoutes } from './transports/http/routes/auth.routes.js';
import { deviceRoutes } from './transports/http/routes/devices.routes.js';
import { ingestRoutes } from './transports/http/routes/ingest.routes.js';
import { opsRoutes } from './transports/http/routes/ops.routes.js';
import { telemetryRoutes } from './transports/http/routes/telemetry.routes.js';
import { insightsRoutes } from './transports/http/routes/insights.routes.js';
import { createMqttBroker, type MqttBroker } from './transports/mqtt/broker.js';
import { LiveStream } from './transports/live/live.js';
import type { MetadataStore } from './ports/metadata-store.js';
import type { TelemetryStore } from './ports/telemetry-store.js';
import type { Bus } from './ports/bus.js';
import { DuckDbRuleStore } from './adapters/embedded/duckdb-rule-store.js';
import { RuleEngine } from './domains/rules/rule-engine.js';
import { RuleService } from './domains/rules/rules.service.js';
import { RuleAlarms } from './domains/rules/rule-alarms.js';
import { rulesRoutes } from './transports/http/routes/rules.routes.js';
import { DuckDbNotificationStore } from './adapters/embedded/duckdb-notification-store.js';
import { startNotifications, type Notifications } from './domains/notifications/index.js';
import { SecretBox } from './domains/notifications/secret-box.js';
import { notificationRoutes } from './transports/http/routes/notifications.routes.js';
import { DuckDbAlarmJournal } from './adapters/embedded/duckdb-alarm-journal.js';
import { alarmRoutes } from './transports/http/routes/alarms.routes.js';

import { VERSION } from './version.js';
export { VERSION };

export interface App {
  config: Config;
  log: Logger;
  metrics: Metrics;
  http: FastifyInstance;
  mqtt: MqttBroker;
  live: LiveStream;
  bus: Bus;
  telemetryStore: TelemetryStore;
  metadataStore: MetadataStore;
  devices: DeviceService;
  ingest: IngestService;
  rules: RuleEngine;
  notifications: Notifications;
  /** Set on first start when no admin password was configured. */
  generatedAdminPassword?: string;
  /** Binds HTTP and MQTT; returns the bound ports (useful with port 0). */
  listen(): Promise<{ httpPort: number; mqttPort: number }>;
  /** Stops intake, flushes every accepted point to storage, closes everything. */
  close(): Promise<void>;
}

export interface AppOverrides {
  logger?: Logger;
  /** Epoch ms now; tests move time for rule durations and escalations. */
  clock?: () => number;
}

/** The JWT secret: configured, or generated once and kept (mode 0600) in the data dir. */
async function jwtSecret(config: Config, dataDir: string): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  const path = join(dataDir, 'secrets', 'jwt.key');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    await writeFile(path, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

function throwIf(problem: string | null): void {
  if (problem) throw new Error(problem);
}

export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });

  const db = await DuckDbDatabase.open(join(dataDir, 'vigil.duckdb'));
  const telemetryStore = new DuckDbTelemetryStore(db);
  const metadataStore = new DuckDbMetadataStore(db);
  await telemetryStore.init();
  await metadataStore.init();
  const analyticsStore = new DuckDbAnalyticsStore(db);
  await analyticsStore.init();
  const bus = new FileBus({
    dir: join(dataDir, 'bus'),
    onError: (err, context) => log.error({ err }, `bus: ${context}`),
    onEvent: fileBusEventReporter(metrics, log.child({ component: 'ingest-log' })),
  });
  const diskGuard = new DiskSpaceGuard(
    { dir: dataDir, minFreeBytes: config.minFreeDiskBytes, checkIntervalMs: config.diskCheckIntervalMs },
    metrics,
    log.child({ component: 'disk' }),
  );
  await diskGuard.start();

  const tokens = new TokenService(await jwtSecret(config, dataDir), config.accessTokenTtlSec, config.refreshTokenTtlSec);
  const auth = new AuthService(metadataStore, tokens);
  const boot = await auth.bootstrap(config.adminPassword);
  const presence = new PresenceTracker(metadataStore, config.deviceInactivityTimeoutMs);
  const devices = new DeviceService(metadataStore, telemetryStore, presence);
  const rejected = new RejectedLog(config.rejectedLogSize, metadataStore);
  await rejected.start();
  const accepted = new AcceptedBatches();
  const keyRegistry = new KeyRegistry(telemetryStore, config);
  await keyRegistry.start();
  const ingest = new IngestService(bus, rejected, metrics, log.child({ component: 'ingest' }), config, accepted, keyRegistry);
  const queries = new TelemetryQueryService(telemetryStore, metadataStore, config.queryMaxPoints);
  ingest.refuseWhen(() => diskGuard.problem());
  const writer = new StorageWriter(bus, telemetryStore, metrics, log.child({ component: 'storage' }), 5000, 60_000, accepted);
  const storageHealth = new StorageHealth({ durableSeq: () => bus.durableSeq(TELEMETRY_SUBJECT) }, metrics, log.child({ component: 'storage' }));
  writer.reportTo(storageHealth);
  const alarmJournal = new DuckDbAlarmJournal(db);
  await alarmJournal.init();
  const alarms = new AlarmService(analyticsStore, alarmJournal);
  const detection = new LiveDetectionService(analyticsStore, telemetryStore, metadataStore, alarms, log.child({ component: 'analytics' }), {
    univariateKind: config.anomalyDetector,
    saveIntervalMs: config.modelSaveIntervalMs,
    retrainIntervalMs: config.modelRetrainIntervalMs,
    retrainHistoryMs: config.modelRetrainHistoryMs,
  });
  await detection.start();
  const rul = new RulService(analyticsStore, metadataStore, telemetryStore);
  await rul.start();
  const maintenance = new MaintenanceService(
    analyticsStore,
    metadataStore,
    telemetryStore,
    alarms,
    rul,
    log.child({ component: 'maintenance' }),
    config.maintenanceIntervalMs,
  );
  maintenance.start();
  const clock = overrides.clock ?? Date.now;
  const ruleStore = new DuckDbRuleStore(db);
  await ruleStore.init();
  const ruleEngine = new RuleEngine(ruleStore, bus, metadataStore, {
    clock,
    tickIntervalMs: 1000,
    saveIntervalMs: 1000,
    onError: (err, context) => log.error({ err }, context),
  });
  const ruleAlarms = new RuleAlarms(alarms, (err, context) => log.error({ err }, context));
  ruleEngine.onFiring(ruleAlarms.handle);
  const rules = new RuleService(ruleStore, ruleEngine, metadataStore, clock);
  await ruleEngine.start();
  const notificationStore = new DuckDbNotificationStore(db);
  await notificationStore.init();
  const notifications = await startNotifications({
    store: notificationStore,
    rules: ruleStore,
    alarms,
    secrets: await SecretBox.load({ key: config.secretsKey, keyFile: config.secretsKeyFile, dataDir }),
    clock,
    timeoutMs: config.notificationTimeoutMs,
    maxAttempts: config.notificationMaxAttempts,
    backoffMs: config.notificationBackoffMs,
    onError: (err, context) => log.error({ err }, context),
  });
  devices.onDeviceUpdated((deviceId) => {
    detection.deviceChanged(deviceId);
    ruleEngine.deviceChanged(deviceId);
  });
  devices.onDeviceDeleted((tenantId, deviceId) => {
    keyRegistry.forgetDevice(tenantId, deviceId);
    detection.forgetDevice(deviceId);
    void analyticsStore.deleteDeviceAnalytics(tenantId, deviceId);
  });
  await writer.start();
  void telemetryStore.whenRollupsReady().then(() => metrics.rollupsReady.set(1));
  presence.start();

  const http = await createHttpServer({
    log,
    metrics,
    tokens,
    bodyLimitBytes: config.httpBodyLimitBytes,
    apiRateLimitPerMin: config.apiRateLimitPerMin,
    version: VERSION,
  });
  let shuttingDown = false;
  authRoutes(http, auth);
  deviceRoutes(http, devices, tokens);
  telemetryRoutes(http, queries, rejected, tokens, () => boot.tenantId);
  const insights = new InsightsService(telemetryStore, metadataStore);
  insightsRoutes(http, insights, tokens);
  ingestRoutes(http, devices, ingest, config.httpBodyLimitBytes);
  analyticsRoutes(http, { tokens, alarms, detection, maintenance, rul, analyticsStore, metadata: metadataStore });
  rulesRoutes(http, { tokens, rules, telemetry: telemetryStore, metadata: metadataStore });
  notificationRoutes(http, tokens, notifications.service);
  alarmRoutes(http, tokens, alarms);
  opsRoutes(
    http,
    metrics,
    [
      { name: 'telemetryStore', check: () => telemetryStore.ping() },
      { name: 'metadataStore', check: () => metadataStore.ping() },
      fileBusReadiness(bus),
      { name: 'diskSpace', check: async () => throwIf(diskGuard.problem()) },
      { name: 'storageWriter', check: async () => throwIf(storageHealth.problem()) },
      {
        name: 'mqtt',
        check: async () => {
          if (!mqtt.server.listening) throw new Error('not listening');
        },
      },
    ],
    () => shuttingDown,
  );

  const mqtt = await createMqttBroker({ devices, ingest, presence, metrics, log, maxPayloadBytes: config.mqttMaxPayloadBytes });
  const live = new LiveStream(http.server, tokens, metadataStore, metrics);
  ingest.onAccepted((batch) => {
    presence.activity(batch.tenantId, batch.deviceId, batch.receivedAt);
    live.publishBatch(batch);
    if (config.anomalyDetection) detection.observe(batch);
  });
  alarms.onChange((alarm) => live.publishAlarm(alarm));
  presence.onChange((change) => live.publishStatus(change));

  let closing: Promise<void> | null = null;
  return {
    config,
    log,
    metrics,
    http,
    mqtt,
    live,
    bus,
    telemetryStore,
    metadataStore,
    devices,
    ingest,
    rules: ruleEngine,
    notifications,
    generatedAdminPassword: boot.generatedPassword,
    async listen() {
      await http.listen({ port: config.httpPort, host: config.host });
      await new Promise<void>((ok, fail) => {
        const onError = (err: Error) => fail(err);
        mqtt.server.once('error', onError);
        mqtt.server.listen(config.mqttPort, config.host, () => {
          mqtt.server.off('error', onError);
          ok();
        });
      });
      return {
        httpPort: (http.server.address() as AddressInfo).port,
        mqttPort: (mqtt.server.address() as AddressInfo).port,
      };
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        diskGuard.stop();
        live.close();
        await Promise.allSettled([mqtt.close(), http.close()]);
        await bus.close(); // flushes pending publishes and drains the storage consumer
        await writer.stop();
        await maintenance.stop();
        await detection.stop().catch((err) => log.error({ err }, 'saving models at shutdown failed'));
        await ruleEngine.stop();
        await ruleAlarms.idle();
        await notifications.stop();
        await notificationStore.close();
        await ruleStore.close();
        await presence.stop();
        await rejected.stop();
        await telemetryStore.close();
        await metadataStore.close();
        await alarmJournal.close();
        db.close();
      })();
      return closing;
    },
  };
}
