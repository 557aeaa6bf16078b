// The dead-letter log: the most recent rejected payloads, so a user can see why a device's data
// is missing. A bounded ring in memory serves reads; new entries are written to the dead-letter
// store about once a second (never per rejection, so a flood of bad messages costs no I/O per
// message) and reloaded at start, so the log survives restarts. Entries keep only the first
// bytes of the payload.
import type { DeadLetterLog, RejectedEntry } from '../../ports/dead-letter-log.js';
import type { Transport } from '../../ports/telemetry.js';
import type { RejectReason } from './payload.js';

export type { RejectedEntry };

const HEAD_BYTES = 256;
const FLUSH_INTERVAL_MS = 1000;

export class RejectedLog {
  /** Ring of the newest entries; `next` is where the next one goes. */
  private readonly ring: RejectedEntry[] = [];
  private next = 0;
  private nextId = 1;
  private pending: RejectedEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly capacity: number,
    private readonly store?: DeadLetterLog,
  ) {}

  /** Reloads the persisted entries and starts the periodic write. */
  async start(): Promise<void> {
    if (!this.store) return;
    for (const e of await this.store.recentRejected(this.capacity)) this.push(e);
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  private push(entry: RejectedEntry): void {
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    this.nextId = Math.max(this.nextId, entry.id + 1);
  }

  add(
    entry: { tenantId: string | null; deviceId: string | null; transport: Transport; reason: RejectReason; message: string },
    payload: Buffer | string | undefined,
  ): void {
    const buf = payload === undefined ? Buffer.alloc(0) : typeof payload === 'string' ? Buffer.from(payload) : payload;
    const full: RejectedEntry = {
      ...entry,
      id: this.nextId,
      at: Date.now(),
      payloadHead: buf.subarray(0, HEAD_BYTES).toString('utf8'),
      payloadBytes: buf.length,
    };
    this.push(full);
    if (this.store) {
      this.pending.push(full);
      // Under a flood only the newest `capacity` entries can survive the trim anyway.
      if (this.pending.length > this.capacity) this.pending.splice(0, this.pending.length - this.capacity);
    }
  }

  /** Newest first. includeUnattributed adds entries whose device could not be identified. */
  list(filter: { tenantId: string; deviceId?: string; includeUnattributed: boolean; limit: number }): RejectedEntry[] {
    const out: RejectedEntry[] = [];
    const n = this.ring.length;
    for (let k = 1; k <= n && out.length < filter.limit; k++) {
      const e = this.ring[(this.next - k + n) % n]!;
      const visible = e.tenantId === filter.tenantId || (e.tenantId === null && filter.includeUnattributed);
      if (visible && (!filter.deviceId || e.deviceId === filter.deviceId)) out.push(e);
    }
    return out;
  }

  /** Writes pending entries; on failure they are kept for the next attempt. */
  flush(): Promise<void> {
    if (!this.store || this.pending.length === 0) return this.flushing ?? Promise.resolve();
    this.flushing ??= (async () => {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store!.appendRejected(batch, this.capacity);
      } catch {
        this.pending = batch.concat(this.pending).slice(-this.capacity);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }
}
