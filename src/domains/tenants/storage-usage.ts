// Telemetry storage per tenant, for the storage quota and the usage shown to admins. The store
// is asked every minute for each tenant's stored points and the bytes all telemetry takes on disk;
// a tenant's bytes are its share of the points times the measured bytes per point. Between asks,
// points accepted on this node are added, so a tenant over its quota is refused within one message
// of crossing it here and within a minute on every node. An estimate: compression differs by
// series, and the PostgreSQL store counts points once they are rolled up.
import type { Logger } from '../../observability/logger.js';

export interface StorageUsageSource {
  storageUsage(): Promise<{ totalBytes: number; pointsByTenant: { tenantId: string; points: number }[] }>;
}

/** Until a store has points to measure: about what a point takes in the PostgreSQL store with its index. */
const UNMEASURED_BYTES_PER_POINT = 64;

export class StorageUsage {
  private readonly points = new Map<string, number>();
  private bytesPerPoint = UNMEASURED_BYTES_PER_POINT;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly source: StorageUsageSource,
    private readonly log: Logger,
    private readonly refreshIntervalMs = 60_000,
  ) {}

  /** First measurement in the background (a large store takes a while to count), then every interval. */
  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.refreshing;
  }

  /** Re-reads the store's counts (also what tests call instead of waiting a minute). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { totalBytes, pointsByTenant } = await this.source.storageUsage();
        const total = pointsByTenant.reduce((sum, t) => sum + t.points, 0);
        if (total > 0 && totalBytes > 0) this.bytesPerPoint = totalBytes / total;
        this.points.clear();
        for (const t of pointsByTenant) this.points.set(t.tenantId, t.points);
      } catch (err) {
        this.log.warn({ err }, 'measuring telemetry storage per tenant failed; storage quotas use the last measurement');
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Points accepted on this node since the last measurement. */
  add(tenantId: string, points: number): void {
    this.points.set(tenantId, (this.points.get(tenantId) ?? 0) + points);
  }

  bytesOf(tenantId: string): number {
    return Math.round((this.points.get(tenantId) ?? 0) * this.bytesPerPoint);
  }

  pointsOf(tenantId: string): number {
    return this.points.get(tenantId) ?? 0;
  }
}
