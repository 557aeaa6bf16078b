// Bounded cardinality: how many distinct keys each device has sent and how many series
// (device × key) each tenant holds, so that a device inventing key names cannot grow the
// server's memory without bound. Every series costs memory downstream (latest values, live
// detectors, fan-out), and storage keeps it forever; the limits stop new ones at the door.
//
// Rule: a message that would take its device past maxKeysPerDevice, or its tenant past
// maxSeriesPerTenant, is rejected whole (points for known keys included), so the device gets a
// clear error instead of silently losing part of every message.
//
// Memory: a device's keys are kept as 32-bit hashes in a HashSet32 (~8 bytes per key); a hash
// collision lets a new key pass as known, so a limit can be exceeded by a rare key, never by much.
// Restart: per-device counts come from the store at start; a device's key hashes are loaded from
// the store on its first message after start. Keys still in the ingest log at a restart (not yet
// stored) are counted when the device next sends them. Keys admitted for a message whose log write
// then fails stay counted: the device retries with the same keys, so nothing is counted twice.
import { hashString, HashSet32 } from '../../util/hash-set.js';
import { PayloadError } from './payload.js';

export interface SeriesLimits {
  maxKeysPerDevice: number;
  maxSeriesPerTenant: number;
}

/** What the registry reads from the telemetry store (a subset of TelemetryStore). */
export interface KnownSeriesSource {
  seriesCounts(): Promise<{ tenantId: string; deviceId: string; series: number }[]>;
  keys(tenantId: string, deviceId: string): Promise<string[]>;
}

interface DeviceKeys {
  /** Series stored for the device when counted at start; replaced by keys.size once loaded. */
  counted: number;
  keys: HashSet32 | null;
  loading: Promise<HashSet32> | null;
}

interface TenantSeries {
  total: number;
  devices: Map<string, DeviceKeys>;
}

export class KeyRegistry {
  private readonly tenants = new Map<string, TenantSeries>();
  /** A tenant's own series quota (tenant settings), when it has one; else limits.maxSeriesPerTenant. */
  private tenantSeriesLimit: (tenantId: string) => number | null | undefined = () => undefined;

  constructor(
    private readonly source: KnownSeriesSource,
    private readonly limits: SeriesLimits,
  ) {}

  /** Seeds the per-device and per-tenant counts from storage. */
  async start(): Promise<void> {
    for (const row of await this.source.seriesCounts()) {
      const tenant = this.tenant(row.tenantId);
      tenant.devices.set(row.deviceId, { counted: row.series, keys: null, loading: null });
      tenant.total += row.series;
    }
  }

  /**
   * Checks the keys of one message against the limits and records the new ones. Synchronous once
   * the device's keys are loaded (returns undefined); a promise on its first message after start.
   * Throws PayloadError too_many_keys / too_many_series.
   */
  admit(tenantId: string, deviceId: string, points: readonly { key: string }[]): Promise<void> | undefined {
    const tenant = this.tenant(tenantId);
    let device = tenant.devices.get(deviceId);
    if (!device) {
      device = { counted: 0, keys: new HashSet32(), loading: null };
      tenant.devices.set(deviceId, device);
    }
    if (device.keys) return this.check(tenantId, tenant, device.keys, points);
    // Once loaded, start over: the device may have been deleted meanwhile (then it starts empty).
    return this.load(tenantId, deviceId, tenant, device).then(() => this.admit(tenantId, deviceId, points));
  }

  useTenantSeriesLimit(limit: (tenantId: string) => number | null | undefined): void {
    this.tenantSeriesLimit = limit;
  }

  /** A deleted device's series no longer count. */
  forgetDevice(tenantId: string, deviceId: string): void {
    const tenant = this.tenants.get(tenantId);
    const device = tenant?.devices.get(deviceId);
    if (!tenant || !device) return;
    tenant.total -= device.keys ? device.keys.size : device.counted;
    tenant.devices.delete(deviceId);
  }

  seriesOfTenant(tenantId: string): number {
    return this.tenants.get(tenantId)?.total ?? 0;
  }

  keysOfDevice(tenantId: string, deviceId: string): number {
    const device = this.tenants.get(tenantId)?.devices.get(deviceId);
    return device ? (device.keys ? device.keys.size : device.counted) : 0;
  }

  private tenant(tenantId: string): TenantSeries {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) this.tenants.set(tenantId, (tenant = { total: 0, devices: new Map() }));
    return tenant;
  }

  private load(tenantId: string, deviceId: string, tenant: TenantSeries, device: DeviceKeys): Promise<HashSet32> {
    device.loading ??= this.source.keys(tenantId, deviceId).then(
      (stored) => {
        const keys = new HashSet32();
        for (const key of stored) keys.add(hashString(key));
        // Still registered (not deleted meanwhile): swap the start-up count for the real set.
        if (tenant.devices.get(deviceId) === device) tenant.total += keys.size - device.counted;
        device.keys = keys;
        device.loading = null;
        return keys;
      },
      (err) => {
        device.loading = null;
        throw err;
      },
    );
    return device.loading;
  }

  private check(tenantId: string, tenant: TenantSeries, keys: HashSet32, points: readonly { key: string }[]): undefined {
    const room = this.limits.maxKeysPerDevice - keys.size;
    let fresh: Set<number> | null = null;
    for (let i = 0; i < points.length; i++) {
      const hash = hashString(points[i]!.key);
      if (keys.has(hash)) continue;
      (fresh ??= new Set()).add(hash);
      // Stop counting once over: a message of 100,000 new keys costs no more than the limit.
      if (fresh.size > room) {
        throw new PayloadError(
          'too_many_keys',
          `message adds more than ${Math.max(room, 0)} new key(s) to a device that has ${keys.size}; the limit is ${this.limits.maxKeysPerDevice} keys per device (maxKeysPerDevice)`,
          { limit: 'maxKeysPerDevice', max: this.limits.maxKeysPerDevice, keys: keys.size },
        );
      }
    }
    if (!fresh) return undefined;
    const own = this.tenantSeriesLimit(tenantId);
    const max = own ?? this.limits.maxSeriesPerTenant;
    if (tenant.total + fresh.size > max) {
      const which = own == null ? 'maxSeriesPerTenant' : "the tenant's series quota (maxSeries)";
      throw new PayloadError(
        'too_many_series',
        `message adds ${fresh.size} new series to a tenant that has ${tenant.total}; the limit is ${max} series per tenant (${which})`,
        { limit: own == null ? 'maxSeriesPerTenant' : 'maxSeries', max, series: tenant.total, newSeries: fresh.size },
      );
    }
    for (const hash of fresh) keys.add(hash);
    tenant.total += fresh.size;
    return undefined;
  }
}
