// What this node knows of the batches it just accepted, by bus sequence number, for the consumers
// that read them back from the log.
//
// The batch objects themselves go only to the rules engine, which follows the log's tail and
// takes each one within moments: it then skips decoding the record the ingest path had just
// encoded from this very object. Entries are few (the rules engine takes them at once; a lagging
// reader decodes from the log as usual), so the per-point objects die young, in a scavenge,
// instead of being copied to the old heap and collected by a full mark-compact later.
//
// The storage writer, which reads seconds behind, needs no objects (stores take the encoded
// records): it only reads each batch's point count and receipt time, kept here in typed arrays.
import type { PointBatch } from '../../ports/telemetry.js';

/** Point count and receipt time of one accepted batch. */
export interface BatchStamp {
  points: number;
  receivedAt: number;
}

export class AcceptedBatches {
  // Held batches in a ring indexed by seq (the log numbers batches one by one, so a slot is reused
  // exactly when its batch becomes the oldest past `capacity`): no map entry or wrapper object per
  // message, which showed in profiles of the ingest path.
  private readonly heldSeqs: Float64Array;
  private readonly heldBatches: (PointBatch | undefined)[];
  /** Consumers that have not taken the slot's batch yet. */
  private readonly heldLeft: Uint8Array;
  private readonly stampSeqs: Float64Array;
  private readonly stampTimes: Float64Array;
  private readonly stampPoints: Uint32Array;

  /**
   * `capacity`: batch objects held at most (the oldest go first); `readers`: how many consumers
   * take each (the entry goes when the last one has); `stamps`: how many recent batches' counts
   * and times are kept for the storage writer.
   */
  constructor(
    private readonly capacity = 4096,
    private readonly readers = 1,
    private readonly stamps = 1 << 17,
  ) {
    this.stampSeqs = new Float64Array(stamps);
    this.stampTimes = new Float64Array(stamps);
    this.stampPoints = new Uint32Array(stamps);
    if (readers > 255) throw new RangeError('at most 255 readers of accepted batches (a byte counts them)');
    this.heldSeqs = new Float64Array(readers > 0 ? capacity : 0);
    this.heldBatches = new Array<PointBatch | undefined>(readers > 0 ? capacity : 0).fill(undefined);
    this.heldLeft = new Uint8Array(readers > 0 ? capacity : 0);
  }

  remember(seq: number, batch: PointBatch): void {
    const slot = seq % this.stamps;
    this.stampSeqs[slot] = seq;
    this.stampTimes[slot] = batch.receivedAt;
    this.stampPoints[slot] = batch.points.length;
    if (this.readers === 0) return;
    const at = seq % this.capacity;
    this.heldSeqs[at] = seq;
    this.heldBatches[at] = batch;
    this.heldLeft[at] = this.readers;
  }

  /** The batch for seq if still held; this consumer will not get it again. Read-only to consumers. */
  take(seq: number): PointBatch | undefined {
    if (this.readers === 0) return undefined;
    const at = seq % this.capacity;
    const batch = this.heldBatches[at];
    if (batch === undefined || this.heldSeqs[at] !== seq) return undefined;
    if (--this.heldLeft[at]! === 0) this.heldBatches[at] = undefined;
    return batch;
  }

  /** Point count and receipt time of seq's batch if still known (written into `into`), else false. */
  stamp(seq: number, into: BatchStamp): boolean {
    const slot = seq % this.stamps;
    if (this.stampSeqs[slot] !== seq) return false;
    into.points = this.stampPoints[slot]!;
    into.receivedAt = this.stampTimes[slot]!;
    return true;
  }
}
