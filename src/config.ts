// One typed, validated, frozen configuration object, built once at start-up from flags and
// environment. Every limit carries its unit in its name.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { checkPassword } from './domains/auth/password-policy.js';

// Messages say what a flag or variable expects: zod's default ("expected number, received NaN")
// names neither the setting nor the shape of a good value.
const PORT = { error: 'expected a port number 0-65535 (0 picks a free port)' };
const port = z.coerce.number(PORT).int(PORT).min(0, PORT).max(65535, PORT);
const POSITIVE_INT = { error: 'expected a positive whole number' };
const positiveInt = z.coerce.number(POSITIVE_INT).int(POSITIVE_INT).positive(POSITIVE_INT);
/** Values never echoed back in an error message. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['adminPassword', 'jwtSecret', 'secretsKey', 'postgresUrl', 'natsUrl', 'redisUrl']);

export const configSchema = z.object({
  host: z.string().default('0.0.0.0'),
  httpPort: port.default(8080),
  mqttPort: port.default(1883),
  /** CoAP (UDP) device API port; 5683 is CoAP's registered port. */
  coapPort: port.default(5683),
  dataDir: z.string().default('./data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Password of admin@localhost on first start; generated and printed once when unset. Held to
   *  the password policy (length, breach list) like any other password, and refused at start. */
  adminPassword: z
    .string()
    .superRefine((value, ctx) => {
      try {
        checkPassword(value, { email: 'admin@localhost' });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .optional(),
  /** HMAC secret for JWTs; when unset a random one is generated and kept in the data dir. */
  jwtSecret: z.string().min(32).optional(),
  accessTokenTtlSec: positiveInt.default(15 * 60),
  refreshTokenTtlSec: positiveInt.default(7 * 24 * 3600),
  /** Largest accepted telemetry body (HTTP) or MQTT payload. ThingsBoard's default is 64 KiB;
   *  HTTP batches of thousands of points need more, so HTTP gets its own, larger limit. */
  mqttMaxPayloadBytes: positiveInt.default(64 * 1024),
  httpBodyLimitBytes: positiveInt.default(4 * 1024 * 1024),
  /** Points one message (HTTP request or MQTT publish) may carry, checked while parsing. A parsed
   *  point holds ~100 bytes of heap until stored, so this bounds one message to ~10 MB; the bench's
   *  largest batches are 1,000 points. */
  maxPointsPerMessage: positiveInt.default(100_000),
  /** Distinct keys one device may send (per device profile once profiles exist). Every key is a
   *  series that costs memory for as long as the process runs (live detector, latest value,
   *  registry) and storage for ever; real devices send tens to hundreds of keys, so 1,000 stops a
   *  device that puts counters or timestamps in key names long before it hurts anyone else. */
  maxKeysPerDevice: positiveInt.default(1000),
  /** Series (device x key) one tenant may hold: 1,000,000 is 10,000 devices of 100 keys. The
   *  heap cost per series is in docs/operations.md ("Limits"); size the heap (or lower this) so
   *  that every tenant at its limit still fits. */
  maxSeriesPerTenant: positiveInt.default(1_000_000),
  /** Largest CoAP payload, reassembled from Block1 blocks; constrained devices send small ones. */
  coapMaxPayloadBytes: positiveInt.default(64 * 1024),
  /** Points more than this far in the future are rejected: a device clock that far off is a bug. */
  maxFutureSkewMs: positiveInt.default(10 * 60 * 1000),
  /** A device with no activity for this long is shown offline. */
  deviceInactivityTimeoutMs: positiveInt.default(10 * 60 * 1000),
  /** Per-device ingest rate limit (messages or requests per second, burst = 2x). */
  deviceRateLimitPerSec: positiveInt.default(200),
  /** HTTPS from PEM files (both or neither); re-read on SIGHUP. MQTT TLS has its own keys. */
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
  /** HTTPS asks clients for a certificate (never requires one), so devices can use the device API
   *  with mutual TLS (/api/v1/me/...). Off by default: browsers may then prompt for a certificate. */
  tlsClientCertificates: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Browser origins allowed to call the API cross-origin (comma-separated); none by default. */
  corsOrigins: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean)),
  /** Key that encrypts secrets kept in the data dir (JWT key); any string, >= 32 characters. */
  secretsKey: z.string().min(32).optional(),
  /** Per-client API rate limit (requests per minute) for the management API. */
  apiRateLimitPerMin: positiveInt.default(6000),
  /** Management-API requests per minute per user login or API key, and per tenant (all callers
   *  together), unless the tenant has its own (tenant settings). Unset: the per-address limit, and
   *  ten times it for a tenant (many people, many addresses). */
  apiCallerRateLimitPerMin: positiveInt.optional(),
  apiTenantRateLimitPerMin: positiveInt.optional(),
  /** How many rejected payloads the dead-letter log keeps (oldest dropped first). */
  rejectedLogSize: positiveInt.default(1000),
  /** Telemetry is refused (503 + Retry-After) while the data dir's file system has less free space
   *  than this, before the disk is actually full: the headroom lets the storage writer store what
   *  was already accepted (DuckDB grows and checkpoints), a new 64 MiB log segment start, and
   *  logins, device changes and alarms keep writing. 0 disables the floor. */
  minFreeDiskBytes: z.coerce.number().int().min(0).default(256 * 1024 * 1024),
  /** How often free disk space is measured (statfs), not per message. */
  diskCheckIntervalMs: positiveInt.default(5000),
  /** Cap on the points a single raw query returns. */
  queryMaxPoints: positiveInt.default(100_000),
  /** Anomaly detection on every numeric series as it arrives. */
  anomalyDetection: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Kind of the per-key live detectors: auto (= seasonal for one key) is the benchmarked one;
   *  robust keeps ~1 KB of state per series instead of O(period) (~30 KB at 1-minute sampling). */
  anomalyDetector: z.enum(['auto', 'robust', 'seasonal']).default('auto'),
  /** Where live detection runs when embedded: a worker thread (scoring off the thread that
   *  acknowledges devices) or the main thread. Scaled out it always runs on the main thread of the
   *  partition's owner (models are handed over with partitions). */
  detectionThread: z.enum(['worker', 'main']).default('worker'),
  /** Points the detection worker may be behind before further points go unscored (counted). */
  detectionMaxBacklogPoints: positiveInt.default(500_000),
  /** How often detector state is saved (a crash relearns at most this much). */
  modelSaveIntervalMs: positiveInt.default(5 * 60_000),
  /** Heap the live anomaly models may hold (estimated). Beyond it the least recently seen models
   *  are spilled to storage and loaded back when their series sends again. A model takes ~3 KB
   *  new, ~25 KB after 450 points, ~100 KB at the end of its 4,096-point seasonal warm-up and
   *  ~35 KB after it (a daily profile at 1-minute sampling), so 512 MB keeps ~15,000-20,000 warm
   *  models resident: an eighth of Node's default 4 GB heap, the rest left to ingest and queries. */
  modelMemoryBudgetMb: positiveInt.default(512),
  /** Longest the final model save may take at shutdown: stop must finish within ~10 s (container
   *  stop timeouts); models not written by then keep their last incremental save. */
  modelShutdownSaveMs: positiveInt.default(5000),
  /** Models older than this are retrained from stored history. */
  modelRetrainIntervalMs: positiveInt.default(24 * 3_600_000),
  /** History a retrain reads. */
  modelRetrainHistoryMs: positiveInt.default(7 * 24 * 3_600_000),
  /** How often predictive-maintenance policies are evaluated. */
  maintenanceIntervalMs: positiveInt.default(60_000),
  /**
   * Unacknowledged QoS 1/2 publishes a connection may have (announced as the MQTT 5 receive maximum;
   * ThingsBoard uses 100). An MQTT 5 client past it is disconnected with 0x93; a 3.1.1 client, which
   * cannot be told, is paced by no longer reading its socket.
   */
  mqttReceiveMaximum: positiveInt.max(65535).default(100),
  /** Longest an offline device's persistent MQTT session (subscriptions, queued messages) is kept. */
  mqttSessionExpiryMaxSec: positiveInt.default(24 * 3600),
  /** MQTT 3.1.1 over its rate limit: longest one message is held unacknowledged before disconnecting. */
  mqttRateWaitMaxMs: positiveInt.default(10_000),
  /** MQTT over TLS: on when both paths are set (PEM files), else with the HTTPS files
   *  (VIGIL_TLS_CERT_FILE / _KEY_FILE) when those are set; re-read on SIGHUP either way. */
  mqttTlsPort: port.default(8883),
  mqttTlsCertPath: z.string().optional(),
  mqttTlsKeyPath: z.string().optional(),
  /** Scaled-out mode (docs/scaling.md): each service replaces one embedded part when set. */
  postgresUrl: z.string().optional(),
  /** Schema for Vigil's tables in PostgreSQL (created if missing); default public. */
  postgresSchema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'expected a schema name (letters, digits, _)' }).optional(),
  natsUrl: z.string().optional(),
  /** Prefix of JetStream stream names and subjects, so deployments sharing a NATS stay apart. */
  natsStreamPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected letters, digits, _ or -' }).default('vigil'),
  /**
   * Partitions of the telemetry stream with NATS and PostgreSQL (docs/scaling.md): each is
   * evaluated by the rule engine of exactly one node. Fixed per deployment; 0 turns it off.
   */
  partitions: z.coerce.number().int().min(0).max(1024).default(16),
  /** How often a node tries to take free partitions (a dead node's are taken within about this). */
  partitionClaimIntervalMs: positiveInt.default(3000),
  redisUrl: z.string().optional(),
  /** Prefix of every Redis channel and key, so deployments sharing a Redis stay apart. */
  redisKeyPrefix: z.string().default('vigil:'),
  /** Prefix of the industrial per-device MQTT topics (<prefix>/devices/{device_id}/...). */
  mqttTopicPrefix: z.string().regex(/^([^+#/\s]+(\/[^+#/\s]+)*)?$/, { error: 'expected topic levels without wildcards or empty levels, e.g. vigil or plant/line1' }).default('vigil'),
  /** One notification attempt (connect, send, response) gives up after this long. */
  notificationTimeoutMs: positiveInt.default(10_000),
  /** Attempts before a notification is dead-lettered; retries wait notificationBackoffMs, doubling. */
  notificationMaxAttempts: positiveInt.default(6),
  notificationBackoffMs: positiveInt.default(5_000),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Flag name → config key, for the error message that names the flag to change. */
export const flagForKey: Record<string, string> = {
  host: '--host',
  httpPort: '--http-port',
  mqttPort: '--mqtt-port',
  coapPort: '--coap-port',
  dataDir: '--data-dir',
};

const envForKey: Record<keyof z.infer<typeof configSchema>, string> = {
  host: 'VIGIL_HOST',
  httpPort: 'VIGIL_HTTP_PORT',
  mqttPort: 'VIGIL_MQTT_PORT',
  coapPort: 'VIGIL_COAP_PORT',
  coapMaxPayloadBytes: 'VIGIL_COAP_MAX_PAYLOAD_BYTES',
  dataDir: 'VIGIL_DATA_DIR',
  logLevel: 'VIGIL_LOG_LEVEL',
  adminPassword: 'VIGIL_ADMIN_PASSWORD',
  jwtSecret: 'VIGIL_JWT_SECRET',
  accessTokenTtlSec: 'VIGIL_ACCESS_TOKEN_TTL_SEC',
  refreshTokenTtlSec: 'VIGIL_REFRESH_TOKEN_TTL_SEC',
  mqttMaxPayloadBytes: 'VIGIL_MQTT_MAX_PAYLOAD_BYTES',
  httpBodyLimitBytes: 'VIGIL_HTTP_BODY_LIMIT_BYTES',
  maxPointsPerMessage: 'VIGIL_MAX_POINTS_PER_MESSAGE',
  maxKeysPerDevice: 'VIGIL_MAX_KEYS_PER_DEVICE',
  maxSeriesPerTenant: 'VIGIL_MAX_SERIES_PER_TENANT',
  maxFutureSkewMs: 'VIGIL_MAX_FUTURE_SKEW_MS',
  deviceInactivityTimeoutMs: 'VIGIL_DEVICE_INACTIVITY_TIMEOUT_MS',
  deviceRateLimitPerSec: 'VIGIL_DEVICE_RATE_LIMIT_PER_SEC',
  apiRateLimitPerMin: 'VIGIL_API_RATE_LIMIT_PER_MIN',
  apiCallerRateLimitPerMin: 'VIGIL_API_CALLER_RATE_LIMIT_PER_MIN',
  apiTenantRateLimitPerMin: 'VIGIL_API_TENANT_RATE_LIMIT_PER_MIN',
  tlsCertFile: 'VIGIL_TLS_CERT_FILE',
  tlsKeyFile: 'VIGIL_TLS_KEY_FILE',
  tlsClientCertificates: 'VIGIL_TLS_CLIENT_CERTIFICATES',
  corsOrigins: 'VIGIL_CORS_ORIGINS',
  secretsKey: 'VIGIL_SECRETS_KEY',
  rejectedLogSize: 'VIGIL_REJECTED_LOG_SIZE',
  minFreeDiskBytes: 'VIGIL_MIN_FREE_DISK_BYTES',
  diskCheckIntervalMs: 'VIGIL_DISK_CHECK_INTERVAL_MS',
  queryMaxPoints: 'VIGIL_QUERY_MAX_POINTS',
  anomalyDetection: 'VIGIL_ANOMALY_DETECTION',
  anomalyDetector: 'VIGIL_ANOMALY_DETECTOR',
  detectionThread: 'VIGIL_DETECTION_THREAD',
  detectionMaxBacklogPoints: 'VIGIL_DETECTION_MAX_BACKLOG_POINTS',
  modelSaveIntervalMs: 'VIGIL_MODEL_SAVE_INTERVAL_MS',
  modelMemoryBudgetMb: 'VIGIL_MODEL_MEMORY_BUDGET_MB',
  modelShutdownSaveMs: 'VIGIL_MODEL_SHUTDOWN_SAVE_MS',
  modelRetrainIntervalMs: 'VIGIL_MODEL_RETRAIN_INTERVAL_MS',
  modelRetrainHistoryMs: 'VIGIL_MODEL_RETRAIN_HISTORY_MS',
  maintenanceIntervalMs: 'VIGIL_MAINTENANCE_INTERVAL_MS',
  mqttReceiveMaximum: 'VIGIL_MQTT_RECEIVE_MAXIMUM',
  mqttSessionExpiryMaxSec: 'VIGIL_MQTT_SESSION_EXPIRY_MAX_SEC',
  mqttRateWaitMaxMs: 'VIGIL_MQTT_RATE_WAIT_MAX_MS',
  mqttTlsPort: 'VIGIL_MQTT_TLS_PORT',
  mqttTlsCertPath: 'VIGIL_MQTT_TLS_CERT_PATH',
  mqttTlsKeyPath: 'VIGIL_MQTT_TLS_KEY_PATH',
  postgresUrl: 'VIGIL_POSTGRES_URL',
  postgresSchema: 'VIGIL_POSTGRES_SCHEMA',
  natsUrl: 'VIGIL_NATS_URL',
  natsStreamPrefix: 'VIGIL_NATS_STREAM_PREFIX',
  partitions: 'VIGIL_PARTITIONS',
  partitionClaimIntervalMs: 'VIGIL_PARTITION_CLAIM_INTERVAL_MS',
  redisUrl: 'VIGIL_REDIS_URL',
  redisKeyPrefix: 'VIGIL_REDIS_KEY_PREFIX',
  mqttTopicPrefix: 'VIGIL_MQTT_TOPIC_PREFIX',
  notificationTimeoutMs: 'VIGIL_NOTIFICATION_TIMEOUT_MS',
  notificationMaxAttempts: 'VIGIL_NOTIFICATION_MAX_ATTEMPTS',
  notificationBackoffMs: 'VIGIL_NOTIFICATION_BACKOFF_MS',
};

export class ConfigError extends Error {}

/** Builds the config from environment variables overlaid by explicit values (flags). */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envForKey)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
    // The *_FILE convention (Docker/Kubernetes secrets): VIGIL_JWT_SECRET_FILE=/run/secrets/jwt.
    const file = env[`${name}_FILE`];
    if (file && raw[key] === undefined) {
      try {
        raw[key] = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`invalid configuration: ${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
    }
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) raw[key] = value;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const where = [flagForKey[key], envForKey[key as keyof typeof envForKey]].filter(Boolean).join(' / ');
      const got = key in raw && !SECRET_KEYS.has(key) ? `; got "${String(raw[key])}"` : '';
      return `${where || key}: ${issue.message}${got}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if (!parsed.data.tlsCertFile !== !parsed.data.tlsKeyFile) {
    throw new ConfigError('invalid configuration: VIGIL_TLS_CERT_FILE / VIGIL_TLS_KEY_FILE: set both or neither');
  }
  if (!parsed.data.mqttTlsCertPath !== !parsed.data.mqttTlsKeyPath) {
    throw new ConfigError('invalid configuration: VIGIL_MQTT_TLS_CERT_PATH / VIGIL_MQTT_TLS_KEY_PATH: set both or neither');
  }
  if (parsed.data.postgresUrl && !parsed.data.jwtSecret) {
    // Nodes sharing one database must sign and verify tokens with one key; a generated key lives
    // in one node's data dir only, so a login on one node would be refused by the others.
    throw new ConfigError('invalid configuration: VIGIL_JWT_SECRET: required when VIGIL_POSTGRES_URL is set (every node signs with the same key)');
  }
  if (!parsed.data.mqttTlsCertPath && parsed.data.tlsCertFile) {
    // One certificate for the host serves both protocols unless MQTT is given its own.
    return Object.freeze({ ...parsed.data, mqttTlsCertPath: parsed.data.tlsCertFile, mqttTlsKeyPath: parsed.data.tlsKeyFile });
  }
  return Object.freeze(parsed.data);
}
