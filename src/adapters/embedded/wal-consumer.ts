// A durable consumer of one subject's write-ahead log: tails the segment files from its saved
// position (at-least-once), retries a failing handler with backoff, and steps over damaged
// stretches (kept aside in quarantine) instead of stopping at them.
import { join } from 'node:path';
import type { BusHandler, BusMessage } from '../../ports/bus.js';
import type { Segment, SubjectLog } from './subject-log.js';
import { decodeRecords, recordAt } from './wal-segment.js';

const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_BACKOFF_MS = 5000;

/** Where a consumer's next unread record starts. */
interface ReadPosition {
  segmentFirstSeq: number;
  offset: number;
}

export class DurableConsumer {
  ackedSeq = 0;
  private running = true;
  private loop: Promise<void> | null = null;
  private drainOnStop = false;
  private lastSaved = 0;
  /**
   * Byte position of the next record after the acknowledged ones. It lets each read continue
   * where the previous one stopped instead of rescanning the segment from its start. Null until
   * the first read after start, which scans the segment for the saved sequence number once.
   */
  private position: ReadPosition | null = null;

  constructor(
    private readonly log: SubjectLog,
    private readonly name: string,
    private readonly handler: BusHandler,
    private readonly maxBatch: number,
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  private get positionPath(): string {
    return join(this.log.dir, 'consumers', `${this.name}.pos`);
  }

  async start(): Promise<void> {
    try {
      this.ackedSeq = Number((await this.log.ctx.fs.readFile(this.positionPath)).toString('utf8').trim()) || 0;
    } catch {
      this.ackedSeq = 0;
    }
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    const pause = async () => {
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    };
    while (this.running || this.drainOnStop) {
      const seenVersion = this.log.version;
      let read: { messages: BusMessage[]; next: ReadPosition | null };
      try {
        read = await this.readNext(this.maxBatch);
      } catch (err) {
        // Reading the log failed (I/O error): the records are still there; try again later.
        this.onError(err, `consumer ${this.name} reading the log`);
        if (!this.running) break;
        await pause();
        continue;
      }
      const { messages, next } = read;
      if (messages.length === 0) {
        if (next) this.position = next;
        if (!this.running) break;
        // Data written while we were reading bumped the version: read again instead of sleeping.
        await this.log.waitForData(seenVersion);
        continue;
      }
      try {
        await this.handler(messages);
      } catch (err) {
        // The handler (e.g. storage) failed: keep the messages and retry; they are durable.
        this.onError(err, `consumer ${this.name}`);
        if (!this.running) break;
        await pause();
        continue;
      }
      this.ackedSeq = messages[messages.length - 1]!.seq;
      this.position = next;
      backoffMs = 100;
      await this.savePosition(false);
    }
    await this.savePosition(true);
  }

  private async savePosition(force: boolean): Promise<void> {
    // The position is a hint to skip re-reading; consumers dedupe by seq, so it is written at
    // most once a second without fsync, and failing to write it (a full disk) only costs a
    // longer re-read after a restart.
    const now = Date.now();
    if (!force && now - this.lastSaved < 1000) return;
    this.lastSaved = now;
    const tmp = `${this.positionPath}.tmp`;
    try {
      await this.log.ctx.fs.writeFile(tmp, String(this.ackedSeq));
      await this.log.ctx.fs.rename(tmp, this.positionPath);
    } catch (err) {
      this.onError(err, `saving the position of consumer ${this.name}`);
      return;
    }
    await this.log.compact().catch((err) => this.onError(err, 'compaction'));
  }

  /** The segment holding seq, i.e. the last one starting at or before it. */
  private segmentFor(seq: number): Segment | undefined {
    const segments = this.log.segments;
    let found = segments[0];
    for (const s of segments) if (s.firstSeq <= seq) found = s;
    return found;
  }

  /**
   * Reads up to limit durable messages after ackedSeq, continuing from the byte position of the
   * previous read. Returns them with the position just past the last one.
   */
  private async readNext(limit: number): Promise<{ messages: BusMessage[]; next: ReadPosition | null }> {
    // At the tail, the records just written are still in memory. Not on the first read after
    // start: that one reads the files (and finds any damage there).
    const recent = this.position ? this.log.recent.after(this.ackedSeq, limit) : null;
    if (recent) {
      const last = recent[recent.length - 1];
      if (!last) return { messages: [], next: this.position };
      // A held record is a message as it is (seq and data): handed over without a copy per record.
      return { messages: recent, next: { segmentFirstSeq: last.segmentFirstSeq, offset: last.end } };
    }
    let position = this.position;
    if (!position) {
      const segment = this.segmentFor(this.ackedSeq + 1);
      if (!segment) return { messages: [], next: null };
      position = { segmentFirstSeq: segment.firstSeq, offset: 0 };
    }
    const out: BusMessage[] = [];
    for (;;) {
      const segments = this.log.segments;
      const wanted = position.segmentFirstSeq;
      const index = segments.findIndex((s) => s.firstSeq === wanted);
      if (index < 0) {
        // Our segment was compacted away (everything in it acknowledged): resume by sequence.
        const segment = this.segmentFor(this.ackedSeq + 1);
        if (!segment || segment.firstSeq === position.segmentFirstSeq) return { messages: out, next: null };
        position = { segmentFirstSeq: segment.firstSeq, offset: 0 };
        continue;
      }
      const segment = segments[index]!;
      if (position.offset >= segment.size) {
        const following = segments[index + 1];
        // A later segment exists only once this one is complete: move on to it.
        if (!following) return { messages: out, next: position };
        position = { segmentFirstSeq: following.firstSeq, offset: 0 };
        continue;
      }
      const read = await this.readSegment(segment, position.offset, limit - out.length);
      for (const m of read.messages) if (m.seq > this.ackedSeq) out.push(m);
      position = { segmentFirstSeq: segment.firstSeq, offset: read.end };
      if (out.length >= limit) return { messages: out, next: position };
    }
  }

  /**
   * Decodes up to limit records of one segment starting at a record boundary, or steps over a
   * damaged stretch there. Always returns an end past offset.
   */
  private async readSegment(segment: Segment, offset: number, limit: number): Promise<{ messages: BusMessage[]; end: number }> {
    const damage = segment.damaged.find((d) => d.start <= offset && offset < d.end);
    if (damage) return { messages: [], end: damage.end };
    // Read no further than the next damaged stretch, so the decoder stops at its start.
    const boundary = segment.damaged.find((d) => d.start > offset)?.start ?? segment.size;
    const file = await this.log.ctx.fs.open(segment.path, 'read');
    try {
      const length = Math.min(READ_CHUNK_BYTES, boundary - offset);
      let buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await file.read(buf, 0, length, offset);
      buf = buf.subarray(0, bytesRead);
      let { records } = decodeRecords(buf, 0, limit);
      if (records.length === 0) {
        const at = recordAt(buf, 0);
        if (at.kind === 'incomplete' && at.recordBytes !== null && offset + at.recordBytes <= boundary) {
          // A single record larger than the chunk: read it whole.
          const big = Buffer.allocUnsafe(at.recordBytes);
          await file.read(big, 0, big.length, offset);
          records = decodeRecords(big, 0, 1).records;
        }
      }
      if (records.length === 0) {
        // Neither a record nor a known damaged stretch: the file changed after it was opened.
        return { messages: [], end: await this.log.damageFoundAt(segment, offset) };
      }
      const end = offset + records[records.length - 1]!.end;
      return { messages: records.map((r) => ({ seq: r.seq, data: r.body })), end };
    } finally {
      await file.close();
    }
  }

  async stop(drain: boolean): Promise<void> {
    this.drainOnStop = drain;
    this.running = false;
    this.log.wake();
    await this.loop;
  }
}
