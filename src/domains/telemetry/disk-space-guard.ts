// Refuses telemetry while the data dir's file system has less free space than a floor, so the
// disk never fills under ingest: what was accepted can still be stored, and queries, logins and
// device management keep working. Free space is measured periodically (statfs), not per message.
import { statfs } from 'node:fs/promises';
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from '../../observability/logger.js';

/** Free bytes an unprivileged writer may still use on the file system holding path. */
export type FreeBytesProbe = (path: string) => Promise<number>;

export const statfsFreeBytes: FreeBytesProbe = async (path) => {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
};

export interface DiskSpaceGuardOptions {
  dir: string;
  /** 0 disables the guard. */
  minFreeBytes: number;
  checkIntervalMs: number;
  probe?: FreeBytesProbe;
}

const MIB = 1024 * 1024;

export class DiskSpaceGuard {
  private freeBytes: number | null = null;
  private low = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly probe: FreeBytesProbe;

  constructor(
    private readonly options: DiskSpaceGuardOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.probe = options.probe ?? statfsFreeBytes;
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  /** Measures free space once; logs when the state changes. */
  async check(): Promise<void> {
    let free: number;
    try {
      free = await this.probe(this.options.dir);
    } catch (err) {
      this.log.warn({ err, dir: this.options.dir }, 'could not measure free disk space; keeping the last state');
      return;
    }
    this.freeBytes = free;
    this.metrics.diskFreeBytes.set(free);
    const low = this.options.minFreeBytes > 0 && free < this.options.minFreeBytes;
    if (low !== this.low) {
      if (low) this.log.error({ freeBytes: free, minFreeBytes: this.options.minFreeBytes }, `disk space low: ${this.describe()}; refusing telemetry until space is freed`);
      else this.log.warn({ freeBytes: free, minFreeBytes: this.options.minFreeBytes }, 'disk space back above the floor; accepting telemetry again');
    }
    this.low = low;
    this.metrics.diskSpaceLow.set(low ? 1 : 0);
  }

  private describe(): string {
    const free = ((this.freeBytes ?? 0) / MIB).toFixed(1);
    const floor = (this.options.minFreeBytes / MIB).toFixed(1);
    return `${free} MiB free in ${this.options.dir}, below the floor of ${floor} MiB (VIGIL_MIN_FREE_DISK_BYTES)`;
  }

  /** Why ingest must refuse now, or null. */
  problem(): string | null {
    return this.low ? `disk space low: ${this.describe()}` : null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
