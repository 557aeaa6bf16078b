// The single entry of telemetry into Vigil, shared by every transport: rate-limit, parse and
// validate (UTF-8, points per message), admit new keys against the cardinality limits, publish
// to the durable bus, and only then report success (the device's ack).
// A rejection is counted, logged once per device per minute and kept in the dead-letter log.
import type { Bus } from '../../ports/bus.js';
import type { SharedRateLimiter } from '../../ports/shared-rate-limiter.js';
import { AppError } from '../../errors.js';
import type { PointBatch, TelemetryPoint, Transport } from '../../ports/telemetry.js';
import type { Metrics } from '../../observability/metrics.js';
import { LogThrottle, type Logger } from '../../observability/logger.js';
import { encodeBatch, TELEMETRY_SUBJECT } from './batch-codec.js';
import { devicePartitionKey } from '../../ports/bus.js';
import { parseTelemetryPayload, PayloadError, telemetryFromJson, type ParseLimits, type RejectReason } from './payload.js';
import { RateLimiter } from './rate-limiter.js';
import type { KeyRegistry } from './key-registry.js';
import type { AcceptedBatches } from './accepted-batches.js';
import type { RejectedLog } from './rejected-log.js';

export interface DeviceIdentity {
  tenantId: string;
  deviceId: string;
}

export interface TenantPointsQuota {
  admit(tenantId: string, points: number, nowMs: number): boolean;
  limitOf(tenantId: string): number | null;
  /** Why the tenant may store nothing now (e.g. over its storage quota), or null. */
  refusal?(tenantId: string): string | null;
}

/** Why telemetry must be refused for now (the device is told to retry), or null. */
export type IntakeCheck = () => string | null;

/**
 * Screens a message's points against the device's profile: returns the points to keep (recording
 * what it drops or flags through `record`), or throws a PayloadError when none is acceptable.
 */
export type SchemaCheck = (
  device: DeviceIdentity,
  points: TelemetryPoint[],
  record: (reason: RejectReason, message: string) => void,
) => TelemetryPoint[] | Promise<TelemetryPoint[]>;

/** Seconds a refused device is asked to wait: a full disk needs an operator, a failed write may pass. */
const RETRY_AFTER_DISK_LOW_SEC = 30;
const RETRY_AFTER_WRITE_FAILED_SEC = 5;

export interface IngestOptions {
  maxFutureSkewMs: number;
  deviceRateLimitPerSec: number;
  /** Points one message may carry (unlimited when absent). */
  maxPointsPerMessage?: number;
}

export class IngestService {
  private readonly limiter: RateLimiter;
  private readonly throttle = new LogThrottle();
  private readonly listeners: ((batch: PointBatch) => void)[] = [];
  private tenantQuota: TenantPointsQuota | null = null;
  private intakeCheck: IntakeCheck = () => null;
  private schemaCheck: SchemaCheck | null = null;
  private shared: SharedRateLimiter | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly rejected: RejectedLog,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly options: IngestOptions,
    /** Handed to the local storage writer so it need not decode what was just encoded. */
    private readonly accepted?: AcceptedBatches,
    /** Keys per device and series per tenant; no limits when absent. */
    private readonly registry?: KeyRegistry,
  ) {
    this.limiter = new RateLimiter(options.deviceRateLimitPerSec);
  }

  /** The tenants domain's points-per-second quota, checked once the points are counted. */
  useTenantQuota(quota: TenantPointsQuota): void {
    this.tenantQuota = quota;
  }

  /** Listeners see every batch right after it is durable: presence, live fan-out, rules. */
  onAccepted(listener: (batch: PointBatch) => void): void {
    this.listeners.push(listener);
  }

  /** Also draws on a limiter shared by every node, after this node's own (which stays: it costs no
   *  round trip and keeps limiting while the shared one is unreachable). */
  limitRateAcrossNodes(shared: SharedRateLimiter): void {
    this.shared = shared;
  }

  /** Installs the device-profile schema check (src/domains/devices/profile-screen.ts). */
  checkSchemaWith(check: SchemaCheck): void {
    this.schemaCheck = check;
  }

  /**
   * Schema screen, key limits, durable publish. Each check answers at once in the common case (a
   * known device, its keys loaded): then no promise is made per step, only the publish's.
   */
  private screenAndPublish(device: DeviceIdentity, transport: Transport, points: TelemetryPoint[], payload: Buffer | string, receivedAt: number): Promise<number> {
    const screened = this.schemaCheck ? this.screen(device, transport, points, payload) : points;
    if (!Array.isArray(screened)) return screened.then((kept) => this.admitAndPublish(device, transport, kept, payload, receivedAt));
    return this.admitAndPublish(device, transport, screened, payload, receivedAt);
  }

  private admitAndPublish(device: DeviceIdentity, transport: Transport, points: TelemetryPoint[], payload: Buffer | string, receivedAt: number): Promise<number> {
    const loading = this.admitKeys(device, transport, points, payload);
    if (loading) return loading.then(() => this.publish(device, transport, points, receivedAt));
    return this.publish(device, transport, points, receivedAt);
  }

  private screen(device: DeviceIdentity, transport: Transport, points: TelemetryPoint[], payload: Buffer | string): TelemetryPoint[] | Promise<TelemetryPoint[]> {
    const refused = (err: unknown) => (err instanceof PayloadError ? this.reject(device, transport, err, payload) : err);
    let screened: TelemetryPoint[] | Promise<TelemetryPoint[]>;
    try {
      screened = this.schemaCheck!(device, points, (reason, message) => this.recordRejection(device, transport, reason, message, payload));
    } catch (err) {
      throw refused(err);
    }
    if (Array.isArray(screened)) return screened;
    return screened.catch((err: unknown) => {
      throw refused(err);
    });
  }

  /** Installs the check run before every publish (the disk-space floor). */
  refuseWhen(check: IntakeCheck): void {
    this.intakeCheck = check;
  }

  /** Accepts a raw payload (bytes or text). Resolves with the point count once durable. */
  acceptRaw(device: DeviceIdentity, transport: Transport, payload: Buffer | string): Promise<number> {
    return this.accept(device, transport, payload, (limits) => parseTelemetryPayload(payload, limits));
  }

  /** Accepts an already-parsed JSON body. */
  acceptJson(device: DeviceIdentity, transport: Transport, body: unknown, raw?: Buffer | string): Promise<number> {
    return this.accept(device, transport, raw ?? JSON.stringify(body), (limits) => telemetryFromJson(body, limits));
  }

  // The path of every message, written with plain promises rather than async functions: each
  // async step made a promise and a resolution job of its own per message (issue #9). Nothing here
  // throws; every refusal is a rejected promise, as it was from the async functions.
  private accept(device: DeviceIdentity, transport: Transport, raw: Buffer | string, parse: (limits: ParseLimits) => TelemetryPoint[]): Promise<number> {
    const receivedAt = Date.now();
    let sharedCheck: Promise<void> | null;
    try {
      sharedCheck = this.checkRate(device);
    } catch (err) {
      return Promise.reject(this.reject(device, transport, err, raw));
    }
    if (!sharedCheck) return this.parseAndPublish(device, transport, raw, parse, receivedAt);
    return sharedCheck.then(
      () => this.parseAndPublish(device, transport, raw, parse, receivedAt),
      (err: unknown) => {
        throw this.reject(device, transport, err, raw);
      },
    );
  }

  private parseAndPublish(device: DeviceIdentity, transport: Transport, raw: Buffer | string, parse: (limits: ParseLimits) => TelemetryPoint[], receivedAt: number): Promise<number> {
    let points: TelemetryPoint[];
    try {
      points = parse(this.parseLimits(receivedAt));
      this.checkTenantQuota(device, points.length, receivedAt);
    } catch (err) {
      return Promise.reject(this.reject(device, transport, err, raw));
    }
    try {
      return this.screenAndPublish(device, transport, points, raw, receivedAt);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private parseLimits(nowMs: number) {
    return { nowMs, maxFutureSkewMs: this.options.maxFutureSkewMs, maxPoints: this.options.maxPointsPerMessage };
  }

  /**
   * New keys beyond a limit reject the whole message; a registry that cannot load is a 503 (retry).
   * Synchronous while the device's keys are known (the hot path: no promise per message); returns
   * what to await while they load.
   */
  private admitKeys(device: DeviceIdentity, transport: Transport, points: TelemetryPoint[], payload: Buffer | string): Promise<void> | undefined {
    if (!this.registry) return undefined;
    let loading: Promise<void> | undefined;
    try {
      loading = this.registry.admit(device.tenantId, device.deviceId, points);
    } catch (err) {
      throw this.keysRefused(device, transport, err, payload);
    }
    return loading?.catch((err: unknown) => {
      throw this.keysRefused(device, transport, err, payload);
    });
  }

  private keysRefused(device: DeviceIdentity, transport: Transport, err: unknown, payload: Buffer | string): Error {
    if (err instanceof PayloadError) return this.reject(device, transport, err, payload);
    this.log.error({ err }, 'loading the known keys of a device failed');
    return new AppError('UNAVAILABLE', 503, 'telemetry cannot be checked against the key limits now; retry later', undefined, { cause: err });
  }

  /** Milliseconds until this device may send without a rate_limited refusal (0 = now). Lets a
   *  transport that cannot refuse (MQTT 3.1.1) hold the message back instead. */
  rateLimitWaitMs(device: DeviceIdentity): number {
    return this.limiter.msUntilToken(device.deviceId);
  }

  /**
   * Accepts points another format's parser produces (line protocol, SenML): the same rate
   * limit, rejection path and durable publish as JSON. `parse` gets the limits to apply.
   */
  acceptParsed(
    device: DeviceIdentity,
    transport: Transport,
    parse: (limits: ParseLimits) => TelemetryPoint[],
    raw: Buffer | string,
  ): Promise<number> {
    return this.accept(device, transport, raw, parse);
  }

  /** Throws when this node's limit is exceeded; returns the shared check to await, if any. */
  private checkRate(device: DeviceIdentity): Promise<void> | null {
    if (!this.limiter.take(device.deviceId)) throw this.rateLimited();
    return this.shared ? this.checkSharedRate(device) : null;
  }

  private async checkSharedRate(device: DeviceIdentity): Promise<void> {
    let allowed: boolean;
    try {
      allowed = await this.shared!.take(device.deviceId);
    } catch (err) {
      // Redis down: ingest goes on under each node's own limit rather than refusing every device.
      if (this.throttle.shouldLog('shared rate limiter')) this.log.warn({ err }, 'shared rate limiter unreachable; each node limits on its own');
      return;
    }
    if (!allowed) throw this.rateLimited();
  }

  private rateLimited(): PayloadError {
    return new PayloadError('rate_limited', `device exceeds ${this.options.deviceRateLimitPerSec} messages per second`);
  }

  private checkTenantQuota(device: DeviceIdentity, points: number, nowMs: number): void {
    const refusal = this.tenantQuota?.refusal?.(device.tenantId);
    if (refusal) throw new PayloadError('quota_exceeded', refusal);
    if (this.tenantQuota && !this.tenantQuota.admit(device.tenantId, points, nowMs)) {
      throw new PayloadError('rate_limited', `tenant exceeds its quota of ${this.tenantQuota.limitOf(device.tenantId)} points per second`);
    }
  }

  private publish(device: DeviceIdentity, transport: Transport, points: TelemetryPoint[], receivedAt: number): Promise<number> {
    const batch: PointBatch = { tenantId: device.tenantId, deviceId: device.deviceId, transport, receivedAt, points };
    const refusal = this.intakeCheck();
    if (refusal) {
      this.metrics.ingestUnavailable.inc({ reason: 'disk_space_low' });
      return Promise.reject(
        new AppError('UNAVAILABLE', 503, `telemetry refused for now: ${refusal}; retry later`, { reason: 'disk_space_low' }, {
          retryAfterSec: RETRY_AFTER_DISK_LOW_SEC,
        }),
      );
    }
    let durable: Promise<number>;
    try {
      durable = this.bus.publish(TELEMETRY_SUBJECT, encodeBatch(batch), { partitionKey: devicePartitionKey(device.tenantId, device.deviceId) });
    } catch (err) {
      durable = Promise.reject(err);
    }
    return durable.then(
      (seq) => this.durable(batch, seq),
      (err: unknown) => {
        throw this.logWriteFailed(err);
      },
    );
  }

  /** Not the device's fault and not acknowledged: a 503 tells it to send the data again. */
  private logWriteFailed(err: unknown): AppError {
    this.metrics.ingestUnavailable.inc({ reason: 'log_write_failed' });
    if (this.throttle.shouldLog('ingest log write failed')) this.log.error({ err }, 'ingest log write failed; telemetry refused with 503');
    return new AppError('UNAVAILABLE', 503, 'telemetry could not be stored durably; retry later', { reason: 'log_write_failed' }, {
      cause: err,
      retryAfterSec: RETRY_AFTER_WRITE_FAILED_SEC,
    });
  }

  /** The batch is in the durable log: count it and tell the listeners. */
  private durable(batch: PointBatch, seq: number): number {
    this.accepted?.remember(seq, batch);
    const labels = labelsOf(batch.transport);
    const points = batch.points.length;
    this.metrics.pointsAccepted.inc(labels, points);
    this.metrics.batchPoints.observe(labels, points);
    this.metrics.acceptLatency.observe(labels, (Date.now() - batch.receivedAt) / 1000);
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (err) {
        this.log.error({ err }, 'accepted-batch listener failed');
      }
    }
    return points;
  }

  /**
   * Records a rejection that happened before or during parsing. Returns the PayloadError to
   * throw (non-payload errors are wrapped so transports deal with one error type).
   */
  reject(device: DeviceIdentity | null, transport: Transport, err: unknown, payload: Buffer | string | undefined): PayloadError {
    const error = err instanceof PayloadError ? err : new PayloadError('invalid_shape', String((err as Error)?.message ?? err));
    this.recordRejection(device, transport, error.reason, error.message, payload);
    return error;
  }

  recordRejection(
    device: DeviceIdentity | null,
    transport: Transport,
    reason: RejectReason,
    message: string,
    payload: Buffer | string | undefined,
  ): void {
    this.metrics.messagesRejected.inc({ transport, reason });
    this.rejected.add({ tenantId: device?.tenantId ?? null, deviceId: device?.deviceId ?? null, transport, reason, message }, payload);
    const key = `${device?.deviceId ?? 'unknown'}:${reason}`;
    if (this.throttle.shouldLog(key)) {
      this.log.warn({ deviceId: device?.deviceId, tenantId: device?.tenantId, transport, reason }, `telemetry rejected: ${message}`);
    }
  }
}

/** One label set per transport, made once: three metrics take it with every accepted message. */
const transportLabels = new Map<Transport, { transport: Transport }>();
function labelsOf(transport: Transport): { transport: Transport } {
  let labels = transportLabels.get(transport);
  if (!labels) transportLabels.set(transport, (labels = Object.freeze({ transport })));
  return labels;
}
