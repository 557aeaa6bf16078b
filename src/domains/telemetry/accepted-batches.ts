// Batches accepted on this node, by bus sequence number, until the storage writer takes them:
// the writer then skips decoding the write-ahead record it reads, which the ingest path had
// just encoded from this very object. Bounded: when storage falls behind, the oldest entries
// go and the writer decodes those from the log as usual.
import type { PointBatch } from '../../ports/telemetry.js';

export class AcceptedBatches {
  private readonly bySeq = new Map<number, PointBatch>();

  constructor(private readonly capacity = 50_000) {}

  remember(seq: number, batch: PointBatch): void {
    this.bySeq.set(seq, batch);
    if (this.bySeq.size > this.capacity) {
      const oldest = this.bySeq.keys().next().value as number;
      this.bySeq.delete(oldest);
    }
  }

  /** The batch for seq if still held; forgets it either way. */
  take(seq: number): PointBatch | undefined {
    const batch = this.bySeq.get(seq);
    if (batch) this.bySeq.delete(seq);
    return batch;
  }
}
