// The dead-letter log: the most recent rejected payloads, so a user can see why a device's data
// is missing. Bounded ring buffer; entries keep only the first bytes of the payload.
import type { Transport } from '../../ports/telemetry.js';
import type { RejectReason } from './payload.js';

export interface RejectedEntry {
  id: number;
  at: number;
  /** null when the device could not be identified (unknown token). */
  tenantId: string | null;
  deviceId: string | null;
  transport: Transport;
  reason: RejectReason;
  message: string;
  /** The first bytes of the payload, as UTF-8 text (invalid bytes replaced). */
  payloadHead: string;
  payloadBytes: number;
}

const HEAD_BYTES = 256;

export class RejectedLog {
  private readonly entries: RejectedEntry[] = [];
  private nextId = 1;

  constructor(private readonly capacity: number) {}

  add(entry: Omit<RejectedEntry, 'id' | 'at' | 'payloadHead' | 'payloadBytes'>, payload: Buffer | string | undefined): void {
    const buf = payload === undefined ? Buffer.alloc(0) : typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.entries.push({
      ...entry,
      id: this.nextId++,
      at: Date.now(),
      payloadHead: buf.subarray(0, HEAD_BYTES).toString('utf8'),
      payloadBytes: buf.length,
    });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Newest first. includeUnattributed adds entries whose device could not be identified. */
  list(filter: { tenantId: string; deviceId?: string; includeUnattributed: boolean; limit: number }): RejectedEntry[] {
    const out: RejectedEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const e = this.entries[i]!;
      const visible = e.tenantId === filter.tenantId || (e.tenantId === null && filter.includeUnattributed);
      if (visible && (!filter.deviceId || e.deviceId === filter.deviceId)) out.push(e);
    }
    return out;
  }
}
