// Embedded Bus: one append-only write-ahead log per subject under <dataDir>/bus/<subject>/.
// publish() groups every message that arrives while the previous fsync runs into one write +
// fdatasync (group commit), so acknowledgement costs one disk sync per batch, not per message.
// Durable consumers tail the files from their saved position (at-least-once); ephemeral
// consumers get messages in memory right after they are durable.
import { mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus, BusHandler, BusMessage, SubscribeOptions, Subscription } from '../../ports/bus.js';
import { Errors } from '../../errors.js';
import { decodeRecords, encodeRecord, HEADER_BYTES, parseSegmentName, segmentName } from './wal-segment.js';

export interface FileBusOptions {
  dir: string;
  /** A segment is closed and a new one started past this size; acked segments are deleted. */
  segmentBytes?: number;
  onError?: (err: unknown, context: string) => void;
}

interface Pending {
  record: Buffer;
  message: BusMessage;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

interface Segment {
  firstSeq: number;
  path: string;
  /** Bytes known durable (the readers' high-water mark). */
  size: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

class SubjectLog {
  readonly segments: Segment[] = [];
  nextSeq = 1;
  private fd: FileHandle | null = null;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Set when the log could not be repaired after a failed write: no more acknowledgements. */
  private failed: unknown = null;
  /** Bumped on every durable write, so a reader can tell whether it missed a wake-up. */
  version = 0;
  private readonly waiters = new Set<() => void>();
  readonly ephemeral = new Set<(messages: BusMessage[]) => void>();
  readonly consumers = new Map<string, DurableConsumer>();

  constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  async open(): Promise<void> {
    await mkdir(join(this.dir, 'consumers'), { recursive: true });
    const names = (await readdir(this.dir)).map((n) => ({ n, seq: parseSegmentName(n) })).filter((x) => x.seq !== null);
    names.sort((a, b) => a.seq! - b.seq!);
    for (const { n, seq } of names) this.segments.push({ firstSeq: seq!, path: join(this.dir, n), size: 0 });
    for (const segment of this.segments) {
      const buf = await readFile(segment.path);
      const { records, end } = decodeRecords(buf, 0);
      segment.size = end;
      if (records.length > 0) this.nextSeq = records[records.length - 1]!.seq + 1;
      else this.nextSeq = Math.max(this.nextSeq, segment.firstSeq);
      if (end < buf.length) {
        // A torn or corrupt tail can only come from a crash mid-write, before the fsync that
        // would have acknowledged it: nothing acknowledged is lost by cutting it off.
        const fh = await open(segment.path, 'r+');
        await fh.truncate(end);
        await fh.close();
      }
    }
    const last = this.segments[this.segments.length - 1];
    if (last) this.fd = await open(last.path, 'a');
    else await this.startSegment();
  }

  private async startSegment(): Promise<void> {
    if (this.fd) await this.fd.close();
    const path = join(this.dir, segmentName(this.nextSeq));
    this.fd = await open(path, 'a');
    this.segments.push({ firstSeq: this.nextSeq, path, size: 0 });
  }

  publish(data: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(Errors.unavailable('ingest log is closed'));
    if (this.failed) return Promise.reject(Errors.unavailable('ingest log is failing; see the server log'));
    const seq = this.nextSeq++;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ record: encodeRecord(seq, data), message: { seq, data }, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let the current tick's publishes join this group before writing.
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      try {
        const fd = this.fd!;
        await fd.writev(group.map((p) => p.record));
        await fd.datasync();
        const segment = this.segments[this.segments.length - 1]!;
        for (const p of group) segment.size += p.record.length;
        for (const p of group) p.resolve(p.message.seq);
        const messages = group.map((p) => p.message);
        for (const listener of this.ephemeral) {
          try {
            listener(messages);
          } catch (err) {
            this.onError(err, 'ephemeral subscriber');
          }
        }
        this.wake();
        if (segment.size >= this.segmentBytes) await this.startSegment();
      } catch (err) {
        for (const p of group) p.reject(err);
        this.onError(err, 'write-ahead log write');
        // A failed write may have left part of a record behind; later records appended after it
        // would be unreadable after a restart. Cut the file back to its last durable byte, and if
        // even that fails, refuse further publishes rather than acknowledge what cannot be read.
        const segment = this.segments[this.segments.length - 1]!;
        try {
          await this.fd!.truncate(segment.size);
        } catch (truncateErr) {
          this.failed = truncateErr;
          this.onError(truncateErr, 'write-ahead log repair');
        }
      }
    }
    this.flushing = null;
  }

  wake(): void {
    this.version++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves when durable data newer than `seenVersion` exists (or the log closes). */
  waitForData(seenVersion: number): Promise<void> {
    if (this.version !== seenVersion) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** Deletes whole segments every durable consumer has acknowledged; never the active one. */
  async compact(): Promise<void> {
    if (this.consumers.size === 0) return;
    const acked = Math.min(...[...this.consumers.values()].map((c) => c.ackedSeq));
    while (this.segments.length > 1 && this.segments[1]!.firstSeq - 1 <= acked) {
      const old = this.segments.shift()!;
      await rm(old.path, { force: true });
    }
  }

  async drainAndClose(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await Promise.all([...this.consumers.values()].map((c) => c.stop(true)));
    this.ephemeral.clear();
    this.wake();
    await this.fd?.close();
    this.fd = null;
  }
}

/** Where a consumer's next unread record starts. */
interface ReadPosition {
  segmentFirstSeq: number;
  offset: number;
}

class DurableConsumer {
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
      this.ackedSeq = Number((await readFile(this.positionPath, 'utf8')).trim()) || 0;
    } catch {
      this.ackedSeq = 0;
    }
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (this.running || this.drainOnStop) {
      const seenVersion = this.log.version;
      const { messages, next } = await this.readNext(this.maxBatch);
      if (messages.length === 0) {
        if (next) this.position = next;
        if (!this.running) break;
        // Data written while we were reading bumped the version: read again instead of sleeping.
        await this.log.waitForData(seenVersion);
        continue;
      }
      try {
        await this.handler(messages);
        this.ackedSeq = messages[messages.length - 1]!.seq;
        this.position = next;
        backoffMs = 100;
        await this.savePosition(false);
      } catch (err) {
        // The handler (e.g. storage) failed: keep the messages and retry; they are durable.
        this.onError(err, `consumer ${this.name}`);
        if (!this.running) break;
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
    await this.savePosition(true);
  }

  private async savePosition(force: boolean): Promise<void> {
    // The position is a hint to skip re-reading; consumers dedupe by seq, so it is written at
    // most once a second without fsync.
    const now = Date.now();
    if (!force && now - this.lastSaved < 1000) return;
    this.lastSaved = now;
    const tmp = `${this.positionPath}.tmp`;
    await writeFile(tmp, String(this.ackedSeq));
    await rename(tmp, this.positionPath);
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
      if (out.length >= limit || read.messages.length === 0) return { messages: out, next: position };
    }
  }

  /** Decodes up to limit records of one segment starting at a record boundary. */
  private async readSegment(segment: Segment, offset: number, limit: number): Promise<{ messages: BusMessage[]; end: number }> {
    const fh = await open(segment.path, 'r');
    try {
      const length = Math.min(READ_CHUNK_BYTES, segment.size - offset);
      let buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      buf = buf.subarray(0, bytesRead);
      let { records } = decodeRecords(buf, 0, limit);
      if (records.length === 0 && buf.length >= HEADER_BYTES) {
        // A single record larger than the chunk: read it whole.
        const big = Buffer.allocUnsafe(buf.readUInt32LE(0) + HEADER_BYTES);
        await fh.read(big, 0, big.length, offset);
        records = decodeRecords(big, 0, 1).records;
      }
      const end = records.length ? offset + records[records.length - 1]!.end : offset;
      return { messages: records.map((r) => ({ seq: r.seq, data: r.body })), end };
    } finally {
      await fh.close();
    }
  }

  async stop(drain: boolean): Promise<void> {
    this.drainOnStop = drain;
    this.running = false;
    this.log.wake();
    await this.loop;
  }
}

export class FileBus implements Bus {
  private readonly logs = new Map<string, Promise<SubjectLog>>();
  private readonly segmentBytes: number;
  private readonly onError: (err: unknown, context: string) => void;

  constructor(private readonly options: FileBusOptions) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.onError = options.onError ?? ((err, context) => console.error(`bus: ${context}:`, err));
  }

  private log(subject: string): Promise<SubjectLog> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(subject)) throw new Error(`invalid subject ${subject}`);
    let log = this.logs.get(subject);
    if (!log) {
      const created = new SubjectLog(join(this.options.dir, subject), this.segmentBytes, this.onError);
      log = created.open().then(() => created);
      this.logs.set(subject, log);
    }
    return log;
  }

  async publish(subject: string, data: Uint8Array): Promise<number> {
    return (await this.log(subject)).publish(data);
  }

  async subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const log = await this.log(subject);
    if (options.durable) {
      if (log.consumers.has(options.durable)) throw new Error(`durable consumer ${options.durable} already running`);
      const consumer = new DurableConsumer(log, options.durable, handler, options.maxBatch ?? 1000, this.onError);
      log.consumers.set(options.durable, consumer);
      await consumer.start();
      return {
        close: async () => {
          await consumer.stop(false);
          log.consumers.delete(options.durable!);
        },
      };
    }
    const listener = (messages: BusMessage[]) => {
      handler(messages).catch((err) => this.onError(err, `subscriber of ${subject}`));
    };
    log.ephemeral.add(listener);
    return { close: async () => void log.ephemeral.delete(listener) };
  }

  async close(): Promise<void> {
    const logs = await Promise.all(this.logs.values());
    await Promise.all(logs.map((log) => log.drainAndClose()));
  }
}
