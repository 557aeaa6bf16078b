// The single entry of telemetry into Vigil, shared by every transport: rate-limit, parse and
// validate, publish to the durable bus, and only then report success (the device's ack).
// A rejection is counted, logged once per device per minute and kept in the dead-letter log.
import type { Bus } from '../../ports/bus.js';
import { AppError } from '../../errors.js';
import type { PointBatch, TelemetryPoint, Transport } from '../../ports/telemetry.js';
import type { Metrics } from '../../observability/metrics.js';
import { LogThrottle, type Logger } from '../../observability/logger.js';
import { encodeBatch, TELEMETRY_SUBJECT } from './batch-codec.js';
import { parseTelemetryPayload, PayloadError, telemetryFromJson, type RejectReason } from './payload.js';
import { RateLimiter } from './rate-limiter.js';
import type { AcceptedBatches } from './accepted-batches.js';
import type { RejectedLog } from './rejected-log.js';

export interface DeviceIdentity {
  tenantId: string;
  deviceId: string;
}

export interface TenantPointsQuota {
  admit(tenantId: string, points: number, nowMs: number): boolean;
  limitOf(tenantId: string): number | null;
}

export interface IngestOptions {
  maxFutureSkewMs: number;
  deviceRateLimitPerSec: number;
}

export class IngestService {
  private readonly limiter: RateLimiter;
  private readonly throttle = new LogThrottle();
  private readonly listeners: ((batch: PointBatch) => void)[] = [];
  private tenantQuota: TenantPointsQuota | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly rejected: RejectedLog,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly options: IngestOptions,
    /** Handed to the local storage writer so it need not decode what was just encoded. */
    private readonly accepted?: AcceptedBatches,
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

  /** Accepts a raw payload (bytes or text). Resolves with the point count once durable. */
  async acceptRaw(device: DeviceIdentity, transport: Transport, payload: Buffer | string): Promise<number> {
    const receivedAt = Date.now();
    let points: TelemetryPoint[];
    try {
      this.checkRate(device);
      points = parseTelemetryPayload(payload, { nowMs: receivedAt, maxFutureSkewMs: this.options.maxFutureSkewMs });
      this.checkTenantQuota(device, points.length, receivedAt);
    } catch (err) {
      throw this.reject(device, transport, err, payload);
    }
    return this.publish(device, transport, points, receivedAt);
  }

  /** Accepts an already-parsed JSON body. */
  async acceptJson(device: DeviceIdentity, transport: Transport, body: unknown, raw?: Buffer | string): Promise<number> {
    const receivedAt = Date.now();
    let points: TelemetryPoint[];
    try {
      this.checkRate(device);
      points = telemetryFromJson(body, { nowMs: receivedAt, maxFutureSkewMs: this.options.maxFutureSkewMs });
      this.checkTenantQuota(device, points.length, receivedAt);
    } catch (err) {
      throw this.reject(device, transport, err, raw ?? JSON.stringify(body));
    }
    return this.publish(device, transport, points, receivedAt);
  }

  private checkRate(device: DeviceIdentity): void {
    if (!this.limiter.take(device.deviceId)) {
      throw new PayloadError('rate_limited', `device exceeds ${this.options.deviceRateLimitPerSec} messages per second`);
    }
  }

  private checkTenantQuota(device: DeviceIdentity, points: number, nowMs: number): void {
    if (this.tenantQuota && !this.tenantQuota.admit(device.tenantId, points, nowMs)) {
      throw new PayloadError('rate_limited', `tenant exceeds its quota of ${this.tenantQuota.limitOf(device.tenantId)} points per second`);
    }
  }

  private async publish(device: DeviceIdentity, transport: Transport, points: TelemetryPoint[], receivedAt: number): Promise<number> {
    const batch: PointBatch = { tenantId: device.tenantId, deviceId: device.deviceId, transport, receivedAt, points };
    let seq: number;
    try {
      seq = await this.bus.publish(TELEMETRY_SUBJECT, encodeBatch(batch));
    } catch (err) {
      // Not the device's fault and not acknowledged: a 503 tells it to send the data again.
      if (err instanceof AppError) throw err;
      this.log.error({ err }, 'ingest log write failed');
      throw new AppError('UNAVAILABLE', 503, 'telemetry could not be stored durably; retry later', undefined, { cause: err });
    }
    this.accepted?.remember(seq, batch);
    this.metrics.pointsAccepted.inc({ transport }, points.length);
    this.metrics.batchPoints.observe({ transport }, points.length);
    this.metrics.acceptLatency.observe({ transport }, (Date.now() - receivedAt) / 1000);
    for (const listener of this.listeners) {
      try {
        listener(batch);
      } catch (err) {
        this.log.error({ err }, 'accepted-batch listener failed');
      }
    }
    return points.length;
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
