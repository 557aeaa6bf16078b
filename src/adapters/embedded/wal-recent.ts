// The most recent durable records of one write-ahead log, kept in memory so a consumer that
// follows the tail (storage, rules) takes them from here instead of opening, reading and
// checksumming the segment it was just written to. Bounded by bytes: a consumer that falls
// further behind reads from the files as before. Holds nothing that is not durable.
export interface RecentRecord {
  seq: number;
  data: Uint8Array;
  /** Where the record lies: its segment and the byte offset just past it. */
  segmentFirstSeq: number;
  end: number;
  bytes: number;
}

export class RecentRecords {
  private items: RecentRecord[] = [];
  private head = 0;
  private heldBytes = 0;
  /** Every durable record with a seq at or above this one is held. */
  private startSeq: number;

  constructor(
    firstUnwrittenSeq: number,
    private readonly maxBytes: number,
  ) {
    this.startSeq = firstUnwrittenSeq;
  }

  /** Called with each record once it is durable, in seq order. */
  add(record: RecentRecord): void {
    this.items.push(record);
    this.heldBytes += record.bytes;
    while (this.heldBytes > this.maxBytes && this.head < this.items.length) {
      const old = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as RecentRecord;
      this.heldBytes -= old.bytes;
      this.startSeq = old.seq + 1;
    }
    // Drop the evicted slots now and then instead of shifting on every eviction.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Up to limit durable records after seq, oldest first; null when some of them are no longer
   * held (read the files then). An empty array: nothing durable after seq.
   */
  after(seq: number, limit: number): RecentRecord[] | null {
    if (seq + 1 < this.startSeq) return null;
    const items = this.items;
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return items.slice(lo, Math.min(items.length, lo + limit));
  }
}
