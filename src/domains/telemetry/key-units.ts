// Units of telemetry keys as devices declare them (SenML `u`/`bu`, the industrial message form).
// Units rarely change, so the store is written only when a device's unit for a key differs from
// the one last seen, and off the acknowledgement path: a lost write (crash) is repaired by the
// next message that carries the unit, since a restarted node starts with an empty memory.
import type { KeyUnitsStore } from '../../ports/key-units-store.js';
import type { Logger } from '../../observability/logger.js';
import type { DeviceIdentity } from './ingest.service.js';

/** Past this many remembered (device, key) units the memory is cleared and refills. */
const REMEMBERED_MAX = 200_000;

export class KeyUnits {
  private readonly seen = new Map<string, Map<string, string>>();
  private remembered = 0;
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly store: KeyUnitsStore,
    private readonly log: Logger,
  ) {}

  /** Records the units carried by accepted data. Never throws; never delays the caller. */
  remember(device: DeviceIdentity, units: ReadonlyMap<string, string>): void {
    const id = `${device.tenantId}\u0000${device.deviceId}`;
    let known = this.seen.get(id);
    const changed = new Map<string, string>();
    for (const [key, unit] of units) if (known?.get(key) !== unit) changed.set(key, unit);
    if (changed.size === 0) return;
    if (this.remembered + changed.size > REMEMBERED_MAX) {
      this.seen.clear();
      this.remembered = 0;
      known = undefined;
    }
    if (!known) this.seen.set(id, (known = new Map()));
    for (const [key, unit] of changed) {
      if (!known.has(key)) this.remembered++;
      known.set(key, unit);
    }
    const write = this.store.setUnits(device.tenantId, device.deviceId, changed).catch((err) => {
      // Forget them so the next message carrying these units tries again.
      for (const key of changed.keys()) known.delete(key);
      this.log.error({ err, deviceId: device.deviceId }, 'saving key units failed');
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  async units(tenantId: string, deviceId: string): Promise<Map<string, string>> {
    await this.settled();
    return this.store.units(tenantId, deviceId);
  }

  async forgetDevice(tenantId: string, deviceId: string): Promise<void> {
    this.seen.delete(`${tenantId}\u0000${deviceId}`);
    await this.settled();
    await this.store.deleteDevice(tenantId, deviceId);
  }

  /** Waits for unit writes in flight (read-your-writes for the keys API, and shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
