// One typed, validated, frozen configuration object, built once at start-up from flags and
// environment. Every limit carries its unit in its name.
import { z } from 'zod';

// Messages say what a flag or variable expects: zod's default ("expected number, received NaN")
// names neither the setting nor the shape of a good value.
const PORT = { error: 'expected a port number 0-65535 (0 picks a free port)' };
const port = z.coerce.number(PORT).int(PORT).min(0, PORT).max(65535, PORT);
const POSITIVE_INT = { error: 'expected a positive whole number' };
const positiveInt = z.coerce.number(POSITIVE_INT).int(POSITIVE_INT).positive(POSITIVE_INT);
/** Values never echoed back in an error message. */
const SECRET_KEYS: ReadonlySet<string> = new Set(['adminPassword', 'jwtSecret', 'secretsKey']);

export const configSchema = z.object({
  host: z.string().default('0.0.0.0'),
  httpPort: port.default(8080),
  mqttPort: port.default(1883),
  dataDir: z.string().default('./data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Password of admin@localhost on first start; generated and printed once when unset. */
  adminPassword: z.string().min(8).optional(),
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
  /** Points more than this far in the future are rejected: a device clock that far off is a bug. */
  maxFutureSkewMs: positiveInt.default(10 * 60 * 1000),
  /** A device with no activity for this long is shown offline. */
  deviceInactivityTimeoutMs: positiveInt.default(10 * 60 * 1000),
  /** Per-device ingest rate limit (messages or requests per second, burst = 2x). */
  deviceRateLimitPerSec: positiveInt.default(200),
  /** Per-client API rate limit (requests per minute) for the management API. */
  apiRateLimitPerMin: positiveInt.default(6000),
  /** How many rejected payloads the dead-letter log keeps (oldest dropped first). */
  rejectedLogSize: positiveInt.default(1000),
  /** Storage writer: flush when this many points are buffered or this long has passed. */
  storageBatchPoints: positiveInt.default(50_000),
  storageFlushIntervalMs: positiveInt.default(200),
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
  /** How often detector state is saved (a crash relearns at most this much). */
  modelSaveIntervalMs: positiveInt.default(5 * 60_000),
  /** Models older than this are retrained from stored history. */
  modelRetrainIntervalMs: positiveInt.default(24 * 3_600_000),
  /** History a retrain reads. */
  modelRetrainHistoryMs: positiveInt.default(7 * 24 * 3_600_000),
  /** How often predictive-maintenance policies are evaluated. */
  maintenanceIntervalMs: positiveInt.default(60_000),
  /** Key that seals notification channel secrets (AES-256-GCM); else one is generated in the data dir. */
  secretsKey: z.string().min(16).optional(),
  secretsKeyFile: z.string().optional(),
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
  dataDir: '--data-dir',
};

const envForKey: Record<keyof z.infer<typeof configSchema>, string> = {
  host: 'VIGIL_HOST',
  httpPort: 'VIGIL_HTTP_PORT',
  mqttPort: 'VIGIL_MQTT_PORT',
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
  rejectedLogSize: 'VIGIL_REJECTED_LOG_SIZE',
  storageBatchPoints: 'VIGIL_STORAGE_BATCH_POINTS',
  storageFlushIntervalMs: 'VIGIL_STORAGE_FLUSH_INTERVAL_MS',
  minFreeDiskBytes: 'VIGIL_MIN_FREE_DISK_BYTES',
  diskCheckIntervalMs: 'VIGIL_DISK_CHECK_INTERVAL_MS',
  queryMaxPoints: 'VIGIL_QUERY_MAX_POINTS',
  anomalyDetection: 'VIGIL_ANOMALY_DETECTION',
  anomalyDetector: 'VIGIL_ANOMALY_DETECTOR',
  modelSaveIntervalMs: 'VIGIL_MODEL_SAVE_INTERVAL_MS',
  modelRetrainIntervalMs: 'VIGIL_MODEL_RETRAIN_INTERVAL_MS',
  modelRetrainHistoryMs: 'VIGIL_MODEL_RETRAIN_HISTORY_MS',
  maintenanceIntervalMs: 'VIGIL_MAINTENANCE_INTERVAL_MS',
  secretsKey: 'VIGIL_SECRETS_KEY',
  secretsKeyFile: 'VIGIL_SECRETS_KEY_FILE',
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
  return Object.freeze(parsed.data);
}
