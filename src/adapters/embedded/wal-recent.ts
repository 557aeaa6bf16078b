// The most recent durable records of one write-ahead log, kept in memory so a consumer that
// follows the tail (storage, rules) takes them from here instead of opening, reading and
// checksumming the segment it was just written to. Bounded by bytes: a consumer that falls
// further behind reads from the files as before. Holds nothing that is not durable.
//
// Held as the commit groups were written (one framed buffer and typed arrays per group), not as
// an object per record: the cache spans seconds of traffic, and tens of thousands of small
// objects living that long are promoted to the old heap and cost full collections. A reader gets
// its records as objects made when it asks (they die young, with its batch).
export interface RecentRecord {
  seq: number;
  data: Uint8Array;
  /** Where the record lies: its segment and the byte offset just past it. */
  segmentFirstSeq: number;
  end: number;
}

/** One commit group: its records framed back to back, as written at segmentStart of its segment. */
interface RecentGroup {
  framed: Buffer;
  seqs: Float64Array;
  /** Offset in framed just past each record (its body ends there). */
  ends: Uint32Array;
  /** Body length of each record (it starts at its end minus this). */
  lengths: Uint32Array;
  segmentFirstSeq: number;
  segmentStart: number;
}

export class RecentRecords {
  private groups: RecentGroup[] = [];
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

  /**
   * Called with each commit group once it is durable, in seq order: `framed` holds the records
   * back to back, record i ending at ends[i] with a body of lengths[i] bytes; the group was
   * written at byte segmentStart of segment segmentFirstSeq. The cache keeps `framed`: the caller
   * must not reuse it.
   */
  addGroup(framed: Buffer, seqs: Float64Array, ends: Uint32Array, lengths: Uint32Array, segmentFirstSeq: number, segmentStart: number): void {
    if (seqs.length === 0) return;
    this.groups.push({ framed, seqs, ends, lengths, segmentFirstSeq, segmentStart });
    this.heldBytes += framed.length;
    while (this.heldBytes > this.maxBytes && this.head < this.groups.length) {
      const old = this.groups[this.head]!;
      this.groups[this.head++] = undefined as unknown as RecentGroup;
      this.heldBytes -= old.framed.length;
      this.startSeq = old.seqs[old.seqs.length - 1]! + 1;
    }
    // Drop the evicted slots now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.groups.length) {
      this.groups = this.groups.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Up to limit durable records after seq, oldest first; null when some of them are no longer
   * held (read the files then). An empty array: nothing durable after seq.
   */
  after(seq: number, limit: number): RecentRecord[] | null {
    if (seq + 1 < this.startSeq) return null;
    const groups = this.groups;
    // The first group whose last seq is above seq.
    let lo = this.head;
    let hi = groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = groups[mid]!.seqs;
      if (s[s.length - 1]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    const out: RecentRecord[] = [];
    for (let g = lo; g < groups.length && out.length < limit; g++) {
      const group = groups[g]!;
      const { seqs, ends, lengths, framed } = group;
      let i = 0;
      if (g === lo) while (seqs[i]! <= seq) i++;
      for (; i < seqs.length && out.length < limit; i++) {
        const end = ends[i]!;
        out.push({
          seq: seqs[i]!,
          data: framed.subarray(end - lengths[i]!, end),
          segmentFirstSeq: group.segmentFirstSeq,
          end: group.segmentStart + end,
        });
      }
    }
    return out;
  }
}
