// Batches accepted on this node, by bus sequence number, until every consumer that reads them
// (the storage writer, the rules engine) has taken them: those consumers then skip decoding the
// write-ahead record they read, which the ingest path had just encoded from this very object.
// Bounded: when a consumer falls behind, the oldest entries go and it decodes those from the log
// as usual.
import type { PointBatch } from '../../ports/telemetry.js';

interface Held {
  batch: PointBatch;
  /** Consumers that have not taken it yet. */
  left: number;
}

export class AcceptedBatches {
  private readonly bySeq = new Map<number, Held>();

  /** `readers`: how many consumers take each batch (the entry goes when the last one has). */
  constructor(
    private readonly capacity = 50_000,
    private readonly readers = 1,
  ) {}

  remember(seq: number, batch: PointBatch): void {
    this.bySeq.set(seq, { batch, left: this.readers });
    if (this.bySeq.size > this.capacity) {
      const oldest = this.bySeq.keys().next().value as number;
      this.bySeq.delete(oldest);
    }
  }

  /** The batch for seq if still held; this consumer will not get it again. Read-only to consumers. */
  take(seq: number): PointBatch | undefined {
    const held = this.bySeq.get(seq);
    if (!held) return undefined;
    if (--held.left <= 0) this.bySeq.delete(seq);
    return held.batch;
  }
}
