// Composition root: builds every component from one Config and wires them together. The only
// module that knows which adapters exist. Listening and signals belong to the caller
// (src/cli/start.ts), so tests can build an app on ephemeral ports.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createAdapters, type Adapters } from './adapters/index.js';
import { AlarmService } from './domains/alarms/alarms.service.js';
import { LiveDetectionService } from './domains/analytics/live-detection.service.js';
import { MaintenanceService } from './domains/analytics/maintenance.service.js';
import { RulService } from './domains/analytics/rul.service.js';
import { analyticsRoutes } from './transports/http/routes/analytics.routes.js';
import { DashboardService } from './domains/dashboards/dashboards.service.js';
import { dashboardRoutes } from './transports/http/routes/dashboards.routes.js';
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
import { KeyUnits } from './domains/telemetry/key-units.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { registerModelMemoryMetrics } from './observability/model-memory-metrics.js';
import { createHttpServer } from './transports/http/server.js';
import { authRoutes } from './transports/http/routes/auth.routes.js';
import { deviceRoutes } from './transports/http/routes/devices.routes.js';
import { ingestRoutes } from './transports/http/routes/ingest.routes.js';
import { influxWriteRoutes } from './transports/http/routes/influx-write.routes.js';
import { opsRoutes } from './transports/http/routes/ops.routes.js';
import { telemetryRoutes } from './transports/http/routes/telemetry.routes.js';
import { insightsRoutes } from './transports/http/routes/insights.routes.js';
import { MqttTransport } from './transports/mqtt/transport.js';
import { createCoapTransport } from './transports/coap/coap-server.js';
import { LiveStream } from './transports/live/live.js';
import { liveFanout } from './transports/live/live-fanout.js';
import { relayRevocations } from './domains/devices/revocation-relay.js';
import type { MetadataStore } from './ports/metadata-store.js';
import type { TelemetryStore } from './ports/telemetry-store.js';
import type { Bus } from './ports/bus.js';

import { VERSION } from './version.js';
export { VERSION };

export interface App {
  config: Config;
  log: Logger;
  metrics: Metrics;
  http: FastifyInstance;
  mqtt: MqttTransport;
  live: LiveStream;
  bus: Bus;
  telemetryStore: TelemetryStore;
  metadataStore: MetadataStore;
  devices: DeviceService;
  ingest: IngestService;
  /** Set on first start when no admin password was configured. */
  generatedAdminPassword?: string;
  /** Binds HTTP, MQTT and CoAP; returns the bound ports (useful with port 0). */
  listen(): Promise<{ httpPort: number; mqttPort: number; mqttTlsPort?: number; coapPort: number }>;
  /** Stops intake, flushes every accepted point to storage, closes everything. */
  close(): Promise<void>;
}

/** Tests swap any adapter (see src/adapters/index.ts) and the logger. */
export type AppOverrides = Partial<Adapters> & { logger?: Logger };

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

  const adapters = await createAdapters(config, { log, metrics, dataDir }, overrides);
  const { telemetryStore, metadataStore, analyticsStore, bus } = adapters;
  log.info(adapters.implementations, `adapters: ${Object.entries(adapters.implementations).map(([port, impl]) => `${port}=${impl}`).join(', ')}`);
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
  const keyUnits = new KeyUnits(adapters.keyUnitsStore, log.child({ component: 'key-units' }));
  const queries = new TelemetryQueryService(telemetryStore, metadataStore, config.queryMaxPoints, keyUnits);
  ingest.refuseWhen(() => diskGuard.problem());
  if (adapters.sharedRateLimiter) ingest.limitRateAcrossNodes(adapters.sharedRateLimiter);
  const writer = new StorageWriter(bus, telemetryStore, metrics, log.child({ component: 'storage' }), 5000, 60_000, accepted, adapters.storageSharing);
  const storageHealth = new StorageHealth({ durableSeq: () => adapters.durableSeq(TELEMETRY_SUBJECT) }, metrics, log.child({ component: 'storage' }));
  writer.reportTo(storageHealth);
  const alarms = new AlarmService(analyticsStore);
  const detection = new LiveDetectionService(analyticsStore, telemetryStore, metadataStore, alarms, log.child({ component: 'analytics' }), {
    univariateKind: config.anomalyDetector,
    saveIntervalMs: config.modelSaveIntervalMs,
    memoryBudgetBytes: config.modelMemoryBudgetMb * 1024 * 1024,
    shutdownSaveMs: config.modelShutdownSaveMs,
    retrainIntervalMs: config.modelRetrainIntervalMs,
    retrainHistoryMs: config.modelRetrainHistoryMs,
  });
  await detection.start();
  registerModelMemoryMetrics(metrics.registry, () => detection.memoryStats());
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
  devices.onDeviceUpdated((deviceId) => detection.deviceChanged(deviceId));
  devices.onDeviceDeleted((tenantId, deviceId) => {
    keyRegistry.forgetDevice(tenantId, deviceId);
    detection.forgetDevice(deviceId);
    void analyticsStore.deleteDeviceAnalytics(tenantId, deviceId);
    void keyUnits.forgetDevice(tenantId, deviceId).catch((err) => log.error({ err }, 'deleting key units failed'));
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
  ingestRoutes(http, devices, ingest, config.httpBodyLimitBytes, keyUnits);
  influxWriteRoutes(http, devices, ingest, config.httpBodyLimitBytes);
  analyticsRoutes(http, { tokens, alarms, detection, maintenance, rul, analyticsStore, metadata: metadataStore });
  dashboardRoutes(http, new DashboardService(adapters.dashboardStore), tokens);
  opsRoutes(
    http,
    metrics,
    [
      { name: 'telemetryStore', check: () => telemetryStore.ping() },
      { name: 'metadataStore', check: () => metadataStore.ping() },
      ...adapters.readiness,
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

  const mqtt = new MqttTransport({
    devices,
    ingest,
    presence,
    metrics,
    log,
    maxPayloadBytes: config.mqttMaxPayloadBytes,
    receiveMaximum: config.mqttReceiveMaximum,
    maxSessionExpirySec: config.mqttSessionExpiryMaxSec,
    maxRateWaitMs: config.mqttRateWaitMaxMs,
    keyUnits,
    topicPrefix: config.mqttTopicPrefix,
    httpServer: http.server,
    tls: config.mqttTlsCertPath && config.mqttTlsKeyPath ? { certPath: config.mqttTlsCertPath, keyPath: config.mqttTlsKeyPath, port: config.mqttTlsPort } : undefined,
  });
  const coap = createCoapTransport({ devices, ingest, units: keyUnits, log: log.child({ component: 'coap' }), maxPayloadBytes: config.coapMaxPayloadBytes });
  const live = new LiveStream(http.server, tokens, metadataStore, metrics, adapters.liveAdapter);
  const publishLive = await liveFanout(live, adapters.liveAdapter ? adapters.pubsub : null, log.child({ component: 'live' }));
  await relayRevocations(devices, adapters.pubsub, log.child({ component: 'devices' }));
  ingest.onAccepted((batch) => {
    presence.activity(batch.tenantId, batch.deviceId, batch.receivedAt);
    publishLive(batch);
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
    generatedAdminPassword: boot.generatedPassword,
    async listen() {
      await http.listen({ port: config.httpPort, host: config.host });
      const mqttPorts = await mqtt.listen(config.mqttPort, config.host);
      const coapPort = await coap.listen(config.coapPort, config.host);
      return { httpPort: (http.server.address() as AddressInfo).port, ...mqttPorts, coapPort };
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        diskGuard.stop();
        live.close();
        await Promise.allSettled([mqtt.close(), http.close(), coap.close()]);
        await bus.close(); // flushes pending publishes and drains the storage consumer
        await writer.stop();
        await maintenance.stop();
        await detection.stop().catch((err) => log.error({ err }, 'saving models at shutdown failed'));
        await presence.stop();
        await rejected.stop();
        await keyUnits.settled();
        await adapters.close();
      })();
      return closing;
    },
  };
}
