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
import { AuditService } from './domains/audit/audit.service.js';
import { ApiKeysService } from './domains/auth/api-keys.service.js';
import { ADMIN_EMAIL } from './domains/auth/auth.service.js';
import { forgetInitialPassword, keepInitialPassword, pendingInitialPassword } from './domains/auth/initial-password.js';
import { UsersService } from './domains/auth/users.service.js';
import { Invalidations } from './domains/auth/invalidations.js';
import { CustomRolesService } from './domains/auth/custom-roles.service.js';
import { roleRoutes } from './transports/http/routes/roles.routes.js';
import { TenantsService } from './domains/tenants/tenants.service.js';
import { ApiRateLimits } from './domains/tenants/api-rate-limits.js';
import { StorageUsage } from './domains/tenants/storage-usage.js';
import { auditRoutes } from './transports/http/routes/audit.routes.js';
import { tenantRoutes } from './transports/http/routes/tenants.routes.js';
import { userRoutes } from './transports/http/routes/users.routes.js';
import { otaRoutes } from './transports/http/routes/ota.routes.js';
import { provisioningRoutes } from './transports/http/routes/provisioning.routes.js';
import { startDeviceApi } from './domains/device-api/index.js';
import { deviceApiRoutes } from './transports/http/routes/device-api.routes.js';
import { deviceStateRoutes } from './transports/http/routes/device-state.routes.js';
import { connectDeviceApiToMqtt } from './transports/mqtt/device-push.js';
import { relayDevicePushes } from './domains/device-api/device-push-relay.js';
import { AlarmService } from './domains/alarms/alarms.service.js';
import { LiveDetectionService } from './domains/analytics/live-detection.service.js';
import { DetectionWorkerClient } from './domains/analytics/detection-worker-client.js';
import type { LiveDetection } from './domains/analytics/live-detection.js';
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
import { ConnectivityTracker } from './domains/devices/connectivity-tracker.js';
import { DeviceProfileService } from './domains/devices/profiles.service.js';
import { profileSchemaCheck } from './domains/devices/profile-screen.js';
import { deviceProfileRoutes } from './transports/http/routes/device-profiles.routes.js';
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
import { registerDetectionWorkerMetrics, registerModelMemoryMetrics } from './observability/model-memory-metrics.js';
import { registerRulesMetrics } from './observability/rules-metrics.js';
import { createHttpServer } from './transports/http/server.js';
import { reloadTls } from './transports/http/tls.js';
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
import { relayDeviceUpdates } from './domains/devices/device-update-relay.js';
import { relayRuleChanges } from './domains/rules/rule-change-relay.js';
import { relayProfileChanges } from './domains/devices/profile-change-relay.js';
import { DeviceAccessService } from './domains/devices/device-access.service.js';
import { deviceAccessRoutes } from './transports/http/routes/device-access.routes.js';
import type { MetadataStore } from './ports/metadata-store.js';
import type { TelemetryStore } from './ports/telemetry-store.js';
import type { Bus } from './ports/bus.js';
import { RuleEngine } from './domains/rules/rule-engine.js';
import { RuleService } from './domains/rules/rules.service.js';
import { RuleAlarms } from './domains/rules/rule-alarms.js';
import { storedVerdicts } from './domains/rules/stored-verdicts.js';
import { rulesRoutes } from './transports/http/routes/rules.routes.js';
import { startNotifications, type Notifications } from './domains/notifications/index.js';
import { SecretBox } from './domains/notifications/secret-box.js';
import { notificationRoutes } from './transports/http/routes/notifications.routes.js';
import { alarmRoutes } from './transports/http/routes/alarms.routes.js';

import { isSealed, open as openSecret, seal } from './util/secret-box.js';
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
  rules: RuleEngine;
  notifications: Notifications;
  /** The generated first-admin password while it is unchanged (kept in secrets/initial-admin-password). */
  generatedAdminPassword?: string;
  /** Re-reads the HTTPS and MQTT TLS certificate files (SIGHUP); false when neither is on. */
  reloadTls(): boolean;
  /** Binds HTTP, MQTT and CoAP; returns the bound ports (useful with port 0). */
  listen(): Promise<{ httpPort: number; mqttPort: number; mqttTlsPort?: number; coapPort: number }>;
  /** Stops intake, flushes every accepted point to storage, closes everything. */
  close(): Promise<void>;
}

/** Tests swap any adapter (see src/adapters/index.ts), the logger and the clock (epoch ms now;
 *  tests move time for rule durations and escalations). */
export type AppOverrides = Partial<Adapters> & { logger?: Logger; clock?: () => number };

/** The JWT secret: configured, or generated once and kept (mode 0600, encrypted when a secrets
 *  key is configured; a plaintext file is encrypted in place once a key is set) in the data dir. */
async function jwtSecret(config: Config, dataDir: string): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  const path = join(dataDir, 'secrets', 'jwt.key');
  let stored: string;
  try {
    stored = (await readFile(path, 'utf8')).trim();
  } catch {
    await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
    const secret = randomBytes(48).toString('base64url');
    await writeFile(path, config.secretsKey ? seal(secret, config.secretsKey) : secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
  const secret = openSecret(stored, config.secretsKey, path);
  if (config.secretsKey && !isSealed(stored)) await writeFile(path, seal(secret, config.secretsKey), { mode: 0o600 });
  return secret;
}

function throwIf(problem: string | null): void {
  if (problem) throw new Error(problem);
}

export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const signingKey = await jwtSecret(config, dataDir); // before the database: a wrong secrets key stops here

  const adapters = await createAdapters(config, { log, metrics, dataDir }, overrides);
  const { telemetryStore, metadataStore, alarmStore, modelStore, policyStore, bus } = adapters;
  log.info(adapters.implementations, `adapters: ${Object.entries(adapters.implementations).map(([port, impl]) => `${port}=${impl}`).join(', ')}`);
  const diskGuard = new DiskSpaceGuard(
    { dir: dataDir, minFreeBytes: config.minFreeDiskBytes, checkIntervalMs: config.diskCheckIntervalMs },
    metrics,
    log.child({ component: 'disk' }),
  );
  await diskGuard.start();

  const { identityStore: identity, auditLog } = adapters;
  const audit = new AuditService(auditLog, log.child({ component: 'audit' }));
  const invalidations = new Invalidations(); // revocations, to every node (relayed below)
  const tenants = new TenantsService(metadataStore, identity, invalidations);
  await tenants.start();
  const tenantActive = (tenantId: string) => tenants.isActive(tenantId);
  const callerRatePerMin = config.apiCallerRateLimitPerMin ?? config.apiRateLimitPerMin;
  const tenantRatePerMin = config.apiTenantRateLimitPerMin ?? config.apiRateLimitPerMin * 10;
  const apiRateLimits = new ApiRateLimits(
    { perCallerPerMin: callerRatePerMin, perTenantPerMin: tenantRatePerMin },
    (tenantId) => tenants.cachedSettings(tenantId),
    log.child({ component: 'http' }),
    adapters.sharedRequestLimiter,
  );
  const tokens = new TokenService(signingKey, config.accessTokenTtlSec, config.refreshTokenTtlSec);
  const auth = new AuthService(metadataStore, identity, tokens, audit, tenantActive, invalidations);
  const customRoles = new CustomRolesService(identity, auth, invalidations);
  const users = new UsersService(metadataStore, identity, auth, customRoles);
  const apiKeys = new ApiKeysService(identity, tenantActive);
  auth.useCustomRoles((roleId) => customRoles.permissionsOf(roleId));
  apiKeys.useCustomRoles((roleId) => customRoles.permissionsOf(roleId));
  const boot = await auth.bootstrap(config.adminPassword);
  if (boot.generatedPassword) await keepInitialPassword(dataDir, boot.generatedPassword);
  const generatedAdminPassword = await pendingInitialPassword(dataDir, (await identity.getUserByEmail(ADMIN_EMAIL))?.passwordHash ?? null);
  auth.onPasswordChanged((_userId, email) => void (email === ADMIN_EMAIL && forgetInitialPassword(dataDir)));
  const presence = new PresenceTracker(metadataStore, config.deviceInactivityTimeoutMs, undefined, adapters.presenceDirectory, (err) =>
    log.warn({ err }, 'shared presence (Redis) failed; other nodes may see this node\'s devices late'),
  );
  const devices = new DeviceService(metadataStore, telemetryStore, presence);
  const profiles = new DeviceProfileService(adapters.deviceProfileStore, metadataStore, config.deviceInactivityTimeoutMs);
  await profiles.start();
  const connectivity = new ConnectivityTracker(presence, (tenantId, deviceId) => profiles.inactivityTimeoutFor(tenantId, deviceId));
  profiles.onChange(() => connectivity.recheckAll());
  devices.useConnectivity((d) => {
    profiles.noteType(d.id, d.type);
    return connectivity.state(d.tenantId, d.id, d.lastSeenAt);
  });
  devices.useTenantPolicy({ admits: tenantActive, beforeCreate: (tenantId) => tenants.checkDeviceQuota(tenantId) });
  tenants.onSuspended((tenantId) => devices.disconnectTenant(tenantId));
  const deviceAccess = new DeviceAccessService(adapters.deviceAccessStore, devices, config.secretsKey);
  await deviceAccess.start();
  const rejected = new RejectedLog(config.rejectedLogSize, adapters.deadLetterLog);
  await rejected.start();
  // Batch objects for the rules engine; counts and receipt times for the storage writer's metrics.
  const accepted = new AcceptedBatches(4096, 1);
  const keyRegistry = new KeyRegistry(telemetryStore, config);
  await keyRegistry.start();
  keyRegistry.useTenantSeriesLimit((tenantId) => tenants.cachedSettings(tenantId)?.maxSeries);
  tenants.useDefaults({
    maxSeries: config.maxSeriesPerTenant,
    apiRequestsPerMin: tenantRatePerMin,
    apiRequestsPerMinPerUser: callerRatePerMin,
    seriesOf: (tenantId) => keyRegistry.seriesOfTenant(tenantId),
  });
  const ingest = new IngestService(bus, rejected, metrics, log.child({ component: 'ingest' }), config, accepted, keyRegistry);
  ingest.useTenantQuota(tenants.ingestQuota);
  const storageUsage = new StorageUsage(telemetryStore, log.child({ component: 'storage' }));
  tenants.useStorageUsage(storageUsage);
  storageUsage.start();
  ingest.onAccepted((batch) => storageUsage.add(batch.tenantId, batch.points.length));
  ingest.checkSchemaWith(profileSchemaCheck(profiles));
  const keyUnits = new KeyUnits(adapters.keyUnitsStore, log.child({ component: 'key-units' }));
  const queries = new TelemetryQueryService(telemetryStore, metadataStore, config.queryMaxPoints, keyUnits);
  ingest.refuseWhen(() => diskGuard.problem());
  if (adapters.sharedRateLimiter) ingest.limitRateAcrossNodes(adapters.sharedRateLimiter);
  const writer = new StorageWriter(bus, telemetryStore, metrics, log.child({ component: 'storage' }), 5000, 60_000, accepted, adapters.storageSharing, adapters.telemetryLifecycle);
  const storageHealth = new StorageHealth({ durableSeq: () => adapters.durableSeq(TELEMETRY_SUBJECT) }, metrics, log.child({ component: 'storage' }));
  writer.reportTo(storageHealth);
  const alarms = new AlarmService(alarmStore, adapters.alarmJournal, overrides.clock ?? Date.now);
  const detectionOptions = {
    univariateKind: config.anomalyDetector,
    saveIntervalMs: config.modelSaveIntervalMs,
    memoryBudgetBytes: config.modelMemoryBudgetMb * 1024 * 1024,
    shutdownSaveMs: config.modelShutdownSaveMs,
    retrainIntervalMs: config.modelRetrainIntervalMs,
    retrainHistoryMs: config.modelRetrainHistoryMs,
  };
  const detectionLog = log.child({ component: 'analytics' });
  // Embedded, models live in a worker thread; scaled out, on the main thread of the partition's
  // owner, which hands them over with the partition (rule-engine.ts).
  const detectionWorker =
    config.anomalyDetection && config.detectionThread === 'worker' && !adapters.partitionOwnership
      ? new DetectionWorkerClient({ store: modelStore, policyStore, telemetry: telemetryStore, metadata: metadataStore, alarms }, detectionLog, {
          ...detectionOptions,
          maxBacklogPoints: config.detectionMaxBacklogPoints,
          restartDelayMs: 1000,
        })
      : null;
  const detectionHere = detectionWorker ? null : new LiveDetectionService(modelStore, policyStore, telemetryStore, metadataStore, alarms, detectionLog, detectionOptions);
  const detection: LiveDetection = detectionWorker ?? detectionHere!;
  await detection.start();
  if (detectionWorker) registerDetectionWorkerMetrics(metrics.registry, () => detectionWorker.workerStats());
  registerModelMemoryMetrics(metrics.registry, () => detection.memoryStats());
  const rul = new RulService(modelStore, metadataStore, telemetryStore);
  await rul.start();
  const maintenance = new MaintenanceService(
    policyStore,
    metadataStore,
    telemetryStore,
    alarms,
    rul,
    log.child({ component: 'maintenance' }),
    config.maintenanceIntervalMs,
  );
  maintenance.start();
  const clock = overrides.clock ?? Date.now;
  const { ruleStore, notificationStore } = adapters;
  const ruleEngine = new RuleEngine(ruleStore, bus, metadataStore, {
    clock,
    tickIntervalMs: 1000,
    saveIntervalMs: 1000,
    onError: (err, context) => log.error({ err }, context),
    accepted,
    ...(adapters.partitionOwnership ? { ownership: adapters.partitionOwnership } : {}),
    ...(adapters.partitionOwnership && config.anomalyDetection && detectionHere ? { handover: detectionHere } : {}),
  });
  const ruleAlarms = new RuleAlarms(alarms, (err, context) => log.error({ err }, context), metadataStore, clock);
  ruleEngine.onFiring(ruleAlarms.handle);
  registerRulesMetrics(metrics.registry, () => ({
    lagBatches: adapters.partitionOwnership ? 0 : Math.max(0, adapters.durableSeq(TELEMETRY_SUBJECT) - ruleEngine.evaluatedSeq),
    pendingAlarms: ruleAlarms.pending,
    pointsEvaluated: ruleEngine.pointsEvaluated,
  }));
  const engineError = (err: unknown) => log.error({ err }, 'rules: model verdict or estimate');
  detection.onVerdict((v) => void ruleEngine.verdict(v).catch(engineError));
  // Scaled out, a device's series are scored by the owner of its partition, from the batches
  // the engine consumes there (every batch once, in order), not by the node that accepted them.
  if (config.anomalyDetection && adapters.partitionOwnership) ruleEngine.onBatch((batch) => detection.observe(batch));
  maintenance.onEstimate((e) => void ruleEngine.estimate(e).catch(engineError));
  const rules = new RuleService(ruleStore, ruleEngine, metadataStore, clock);
  await ruleEngine.start();
  const notifications = await startNotifications({
    store: notificationStore,
    rules: ruleStore,
    alarms,
    secrets: await SecretBox.load({ key: config.secretsKey, dataDir }),
    clock,
    timeoutMs: config.notificationTimeoutMs,
    maxAttempts: config.notificationMaxAttempts,
    backoffMs: config.notificationBackoffMs,
    tenantIds: (await metadataStore.listTenants()).map((t) => t.id),
    deviceLabels: async (tenantId, deviceId) => (await metadataStore.getDevice(tenantId, deviceId))?.labels ?? {},
    onError: (err, context) => log.error({ err }, context),
  });
  devices.onDeviceUpdated((deviceId) => {
    profiles.deviceChanged(deviceId);
    detection.deviceChanged(deviceId);
    ruleEngine.deviceChanged(deviceId);
  });
  const deviceApi = await startDeviceApi({
    store: adapters.deviceStateStore,
    provisioningStore: adapters.provisioningStore,
    otaStore: adapters.otaStore,
    devices,
    presence,
    limits: { maxPayloadSize: config.mqttMaxPayloadBytes, maxInflightMessages: config.mqttReceiveMaximum, messagesRateLimit: `${config.deviceRateLimitPerSec}:1` },
  });
  deviceApi.provisioning.useCredentials(deviceAccess);
  devices.onCredentialsRevoked((deviceId) => deviceApi.endPolls(deviceId)); // disabled or revoked: HTTP long polls end too
  devices.onDeviceDeleted((tenantId, deviceId) => {
    void deviceApi.forgetDevice(tenantId, deviceId);
    void deviceAccess.forgetDevice(tenantId, deviceId).catch((err) => log.error({ err }, 'deleting device credentials failed'));
    keyRegistry.forgetDevice(tenantId, deviceId);
    connectivity.forget(deviceId);
    profiles.deviceChanged(deviceId);
    detection.forgetDevice(deviceId);
    void modelStore.deleteDeviceAnalytics(tenantId, deviceId);
    void alarmStore.deleteDeviceAlarms(tenantId, deviceId);
    void keyUnits.forgetDevice(tenantId, deviceId).catch((err) => log.error({ err }, 'deleting key units failed'));
  });
  await writer.start();
  void adapters.telemetryLifecycle.whenRollupsReady().then(() => metrics.rollupsReady.set(1));
  presence.start();
  connectivity.start();

  const tlsFiles = config.tlsCertFile && config.tlsKeyFile ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile } : undefined;
  const http = await createHttpServer({
    log,
    metrics,
    access: { auth, apiKeys, audit, rateLimits: apiRateLimits },
    tls: tlsFiles,
    requestClientCertificates: config.tlsClientCertificates,
    corsOrigins: config.corsOrigins,
    bodyLimitBytes: config.httpBodyLimitBytes,
    apiRateLimitPerMin: config.apiRateLimitPerMin,
    version: VERSION,
  });
  let shuttingDown = false;
  authRoutes(http, auth);
  userRoutes(http, users, apiKeys);
  roleRoutes(http, customRoles);
  tenantRoutes(http, tenants, users, async (tenantId) => {
    for (let page = await devices.list(tenantId, { offset: 0, limit: 1000 }); page.items.length > 0; page = await devices.list(tenantId, { offset: 0, limit: 1000 })) {
      for (const d of page.items) await devices.remove(tenantId, d.id);
    }
  });
  auditRoutes(http, audit);
  deviceRoutes(http, devices);
  deviceAccessRoutes(http, deviceAccess);
  deviceProfileRoutes(http, profiles);
  telemetryRoutes(http, queries, rejected);
  const insights = new InsightsService(telemetryStore, metadataStore);
  insightsRoutes(http, insights);
  ingestRoutes(http, devices, ingest, config.httpBodyLimitBytes, keyUnits);
  influxWriteRoutes(http, devices, ingest, config.httpBodyLimitBytes);
  deviceApiRoutes(http, { devices, ingest, ...deviceApi, bodyLimitBytes: config.httpBodyLimitBytes });
  deviceStateRoutes(http, { devices, ...deviceApi });
  provisioningRoutes(http, { devices, provisioning: deviceApi.provisioning, bodyLimitBytes: config.httpBodyLimitBytes });
  otaRoutes(http, { devices, ...deviceApi });
  analyticsRoutes(http, { alarms, detection, maintenance, rul, alarmStore, metadata: metadataStore });
  dashboardRoutes(http, new DashboardService(adapters.dashboardStore));
  rulesRoutes(http, { rules, telemetry: telemetryStore, metadata: metadataStore, verdicts: storedVerdicts(alarms) });
  notificationRoutes(http, notifications.service);
  alarmRoutes(http, alarms);
  opsRoutes(
    http,
    metrics,
    [
      // PostgreSQL down: ingest goes on into the log and connected devices stay; see docs/scaling.md.
      { name: 'telemetryStore', check: () => telemetryStore.ping(), degradedOnly: Boolean(config.postgresUrl) },
      { name: 'metadataStore', check: () => metadataStore.ping(), degradedOnly: Boolean(config.postgresUrl) },
      ...adapters.readiness,
      { name: 'diskSpace', check: async () => throwIf(diskGuard.problem()) },
      // Shared storage (a queue group on PostgreSQL): a stalled writer is PostgreSQL's trouble,
      // shared by every node, and other members take the batches; it degrades the node only.
      { name: 'storageWriter', check: async () => throwIf(storageHealth.problem()), degradedOnly: adapters.storageSharing.group },
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
    deviceApi,
    tls: config.mqttTlsCertPath && config.mqttTlsKeyPath ? { certPath: config.mqttTlsCertPath, keyPath: config.mqttTlsKeyPath, port: config.mqttTlsPort } : undefined,
  });
  connectDeviceApiToMqtt(mqtt, deviceApi);
  // After the MQTT channel: what this node cannot push goes to the node holding the device.
  await relayDevicePushes(deviceApi, adapters.pubsub, log.child({ component: 'device-api' }));
  const coap = createCoapTransport({
    devices,
    ingest,
    units: keyUnits,
    log: log.child({ component: 'coap' }),
    maxPayloadBytes: config.coapMaxPayloadBytes,
    deviceApi: { attributes: deviceApi.attributes, rpc: deviceApi.rpc, provisioning: deviceApi.provisioning, presence, devices },
  });
  const live = new LiveStream(http.server, (token) => auth.authenticate(token), metadataStore, metrics, config.corsOrigins, adapters.liveAdapter);
  const publishLive = await liveFanout(live, adapters.liveAdapter ? adapters.pubsub : null, log.child({ component: 'live' }));
  await relayRevocations(devices, adapters.pubsub, log.child({ component: 'devices' }));
  invalidations.on((inv) => {
    if (inv.kind === 'sessions') live.endSessions(inv.ids);
    else if (inv.kind === 'tenant' && inv.suspended) live.endTenant(inv.tenantId);
  });
  await invalidations.connect(adapters.pubsub, log.child({ component: 'auth' }));
  await relayDeviceUpdates(devices, adapters.pubsub, log.child({ component: 'devices' }));
  await relayRuleChanges(ruleEngine, adapters.pubsub, log.child({ component: 'rules' }));
  await relayProfileChanges(profiles, adapters.pubsub, log.child({ component: 'devices' }));
  ingest.onAccepted((batch) => {
    presence.activity(batch.tenantId, batch.deviceId, batch.receivedAt);
    connectivity.dataReceived(batch.tenantId, batch.deviceId, batch.receivedAt);
    publishLive(batch);
    // Scaled out, the owner of the device's partition scores it (ruleEngine.onBatch), not this node.
    if (config.anomalyDetection && !adapters.partitionOwnership) detection.observe(batch);
  });
  ingest.onAccepted((batch) => deviceApi.campaigns.observe(batch)); // fw_state reports drive OTA campaigns
  alarms.onChange((alarm, event) => live.publishAlarm(alarm, event));
  // Misbehaving updated devices pause OTA campaigns: only a newly raised alarm counts.
  alarms.onChange((alarm, event) => {
    if (event === 'raised') deviceApi.campaigns.observeAlarm(alarm);
  });
  presence.onChange((change) => live.publishStatus(change));
  connectivity.onChange((change) => live.publishConnectivity(change, presence.status(change.deviceId, null) === 'online'));

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
    generatedAdminPassword,
    reloadTls() {
      if (tlsFiles) reloadTls(http.server, tlsFiles);
      return mqtt.reloadTls() || !!tlsFiles;
    },
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
        connectivity.stop();
        live.close();
        deviceApi.stop();
        await Promise.allSettled([mqtt.close(), http.close(), coap.close()]);
        await bus.close(); // flushes pending publishes and drains the storage consumer
        await writer.stop();
        await maintenance.stop();
        await detection.stop().catch((err) => log.error({ err }, 'saving models at shutdown failed'));
        await ruleEngine.stop();
        await ruleAlarms.idle();
        await notifications.stop();
        await notificationStore.close();
        await ruleStore.close();
        await adapters.deviceAccessStore.close();
        await adapters.deviceProfileStore.close();
        await presence.stop();
        await storageUsage.stop();
        await rejected.stop();
        await audit.flushed();
        await keyUnits.settled();
        await adapters.close();
      })();
      return closing;
    },
  };
}
