// One subject's append-only write-ahead log: segment files <dir>/<firstSeq>.wal.
// publish() groups every message that arrives while the previous fsync runs into one write +
// fdatasync (group commit). A publish resolves only after every byte of its record was written
// (short writes are continued) and the fdatasync that follows succeeded; any failure rejects the
// whole group, cuts the file back to its last durable byte and lets later publishes try again,
// so a full disk refuses data while it lasts and ingest resumes by itself when space returns.
import { basename, dirname, join } from 'node:path';
import type { BusMessage } from '../../ports/bus.js';
import { Errors } from '../../errors.js';
import { writeFully, type LogFile, type LogFs } from './log-fs.js';
import { encodeRecordInto, findNextRecord, HEADER_BYTES, parseSegmentName, scanSegment, segmentName, type DamagedRange } from './wal-segment.js';
import type { DurableConsumer } from './wal-consumer.js';
import { RecentRecords } from './wal-recent.js';

/** Durable records kept in memory for consumers that follow the tail (wal-recent.ts). */
const RECENT_BYTES = 8 * 1024 * 1024;

export interface Segment {
  firstSeq: number;
  path: string;
  /** Bytes known durable (the readers' high-water mark). */
  size: number;
  /** Stretches without a valid record, kept aside in quarantine; readers jump over them. */
  damaged: DamagedRange[];
  /** Starts with old-format records (see wal-segment.ts). */
  legacy?: boolean;
}

export type FileBusEvent =
  | { kind: 'write-failed'; subject: string; stage: 'write' | 'fsync' | 'repair'; error: unknown }
  | { kind: 'write-recovered'; subject: string; failedForMs: number }
  | { kind: 'quarantined'; subject: string; segment: string; offset: number; bytes: number; file: string | null }
  | { kind: 'torn-tail'; subject: string; segment: string; bytes: number };

export interface LogContext {
  subject: string;
  fs: LogFs;
  segmentBytes: number;
  /** How often a log whose last write failed tries, on its own, to repair itself and write again. */
  retryIntervalMs: number;
  onError: (err: unknown, context: string) => void;
  onEvent: (event: FileBusEvent) => void;
}

/**
 * The records waiting for the next commit (consecutive seqs from firstSeq) and the one promise
 * they all wait on: a publish costs a `then` on it, not a promise, its resolvers and two objects
 * of its own (issue #9).
 */
interface Pending {
  firstSeq: number;
  data: Uint8Array[];
  durable: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function pendingFrom(firstSeq: number): Pending {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const durable = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { firstSeq, data: [], durable, resolve, reject };
}

export interface WriteFailure {
  stage: 'write' | 'fsync' | 'repair';
  message: string;
  sinceMs: number;
}

export class SubjectLog {
  readonly segments: Segment[] = [];
  nextSeq = 1;
  /** Highest sequence number whose record is durable. */
  durableSeq = 0;
  /** Set while the last write failed and none has succeeded since. */
  failure: WriteFailure | null = null;
  /** Quarantine files of this subject, this run and earlier ones. */
  readonly quarantineFiles = new Set<string>();
  private fd: LogFile | null = null;
  private pending: Pending | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** The active file may hold bytes past the durable size (a failed write): cut them before writing. */
  private needsRepair = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Bumped on every durable write, so a reader can tell whether it missed a wake-up. */
  version = 0;
  private readonly waiters = new Set<() => void>();
  readonly ephemeral = new Set<(messages: BusMessage[]) => void>();
  readonly consumers = new Map<string, DurableConsumer>();
  /** The latest durable records, for consumers at the tail; empty until the first write. */
  recent = new RecentRecords(1, 0);

  constructor(
    readonly dir: string,
    readonly ctx: LogContext,
  ) {}

  get quarantineDir(): string {
    return join(this.dir, 'quarantine');
  }

  async open(): Promise<void> {
    const fs = this.ctx.fs;
    await fs.mkdir(join(this.dir, 'consumers'));
    await fs.mkdir(this.quarantineDir);
    // The subject's directory itself must survive a power loss, not just the files in it.
    await fs.syncDir(dirname(this.dir));
    await fs.syncDir(dirname(dirname(this.dir)));
    for (const name of await fs.readdir(this.quarantineDir)) this.quarantineFiles.add(join(this.quarantineDir, name));
    const names = (await fs.readdir(this.dir)).map((n) => ({ n, seq: parseSegmentName(n) })).filter((x) => x.seq !== null);
    names.sort((a, b) => a.seq! - b.seq!);
    for (const { n, seq } of names) this.segments.push({ firstSeq: seq!, path: join(this.dir, n), size: 0, damaged: [] });
    for (const [index, segment] of this.segments.entries()) {
      const buf = await fs.readFile(segment.path);
      const scan = scanSegment(buf);
      segment.size = scan.validEnd;
      segment.legacy = scan.legacy;
      if (scan.lastSeq !== null) this.nextSeq = scan.lastSeq + 1;
      else this.nextSeq = Math.max(this.nextSeq, segment.firstSeq);
      for (const range of scan.damaged) await this.quarantine(segment, range, buf.subarray(range.start, range.end));
      if (scan.validEnd < buf.length) {
        // A torn tail can only come from a crash or failed write before the fsync that would
        // have acknowledged it: nothing acknowledged is lost by cutting it off.
        this.ctx.onEvent({ kind: 'torn-tail', subject: this.ctx.subject, segment: segment.path, bytes: buf.length - scan.validEnd });
        if (index === this.segments.length - 1) this.needsRepair = true;
      }
    }
    this.durableSeq = this.nextSeq - 1;
    this.recent = new RecentRecords(this.nextSeq, RECENT_BYTES);
    const last = this.segments[this.segments.length - 1];
    if (last) {
      this.fd = await fs.open(last.path, 'write');
      if (this.needsRepair) await this.repair().catch((err) => this.writeFailed('repair', err));
    } else await this.startSegment();
  }

  /** Keeps a damaged stretch aside (best effort: the bytes also stay in the segment until compaction). */
  async quarantine(segment: Segment, range: DamagedRange, bytes: Buffer): Promise<void> {
    if (!segment.damaged.some((d) => d.start === range.start)) {
      segment.damaged.push(range);
      segment.damaged.sort((a, b) => a.start - b.start);
    }
    const base = basename(segment.path, '.wal');
    const file = join(this.quarantineDir, `${base}-at-${range.start}.bad`);
    if (this.quarantineFiles.has(file)) return; // found again after a restart; already kept and reported
    let kept: string | null = file;
    try {
      await this.ctx.fs.writeFile(file, bytes, { flag: 'wx' });
      this.quarantineFiles.add(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') this.quarantineFiles.add(file);
      else {
        kept = null;
        this.ctx.onError(err, `copying a damaged write-ahead record to ${file}`);
      }
    }
    this.ctx.onEvent({ kind: 'quarantined', subject: this.ctx.subject, segment: segment.path, offset: range.start, bytes: bytes.length, file: kept });
  }

  /**
   * Damage found by a reader after open (the disk changed under us): finds the next intact
   * record, quarantines what lies between and returns where reading continues.
   */
  async damageFoundAt(segment: Segment, offset: number): Promise<number> {
    const known = segment.damaged.find((d) => d.start <= offset && offset < d.end);
    if (known) return known.end;
    const length = segment.size - offset;
    const buf = Buffer.allocUnsafe(length);
    const file = await this.ctx.fs.open(segment.path, 'read');
    try {
      const { bytesRead } = await file.read(buf, 0, length, offset);
      const data = buf.subarray(0, bytesRead);
      const next = findNextRecord(data, 0, 0, segment.legacy);
      const end = next === null ? offset + bytesRead : offset + next;
      if (end <= offset) throw new Error(`could not read ${segment.path} at ${offset}`);
      await this.quarantine(segment, { start: offset, end }, data.subarray(0, end - offset));
      return end;
    } finally {
      await file.close();
    }
  }

  private async startSegment(): Promise<void> {
    const path = join(this.dir, segmentName(this.nextSeq));
    const fd = await this.ctx.fs.open(path, 'write');
    try {
      // Records acknowledged in this file must not vanish with its name after a power loss.
      await this.ctx.fs.syncDir(this.dir);
    } catch (err) {
      await fd.close().catch(() => undefined);
      await this.ctx.fs.rm(path).catch(() => undefined);
      throw err;
    }
    await this.fd?.close().catch((err) => this.ctx.onError(err, 'closing a write-ahead segment'));
    this.fd = fd;
    this.segments.push({ firstSeq: this.nextSeq, path, size: 0, damaged: [] });
  }

  publish(data: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(Errors.unavailable('ingest log is closed'));
    const seq = this.nextSeq++;
    const pending = (this.pending ??= pendingFrom(seq));
    pending.data.push(data);
    if (!this.flushing) this.flushing = this.flushLoop();
    return pending.durable.then(() => seq);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private async flushLoop(): Promise<void> {
    // Let the current tick's publishes join this group before writing.
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending) {
      const group = this.pending;
      this.pending = null;
      const records = group.data;
      const segment = this.active;
      // The whole group framed into one buffer, written with one call: cheaper than a gathered
      // write of one small buffer per record, whose cost grows with the number of buffers.
      let bytes = 0;
      for (const data of records) bytes += HEADER_BYTES + data.length;
      const framed = Buffer.allocUnsafe(bytes);
      const seqs = new Float64Array(records.length);
      const ends = new Uint32Array(records.length);
      const lengths = new Uint32Array(records.length);
      let at = 0;
      for (let i = 0; i < records.length; i++) {
        const data = records[i]!;
        const seq = group.firstSeq + i;
        at = encodeRecordInto(framed, at, seq, data);
        seqs[i] = seq;
        ends[i] = at;
        lengths[i] = data.length;
      }
      let stage: WriteFailure['stage'] = 'repair';
      try {
        if (this.needsRepair) await this.repair();
        stage = 'write';
        await writeFully(this.fd!, framed, segment.size);
        stage = 'fsync';
        await this.fd!.datasync();
      } catch (err) {
        // Nothing of this group is acknowledged. Part of it may be on disk: cut it off before the
        // next write, or a restart would find a torn record with valid ones after it.
        this.needsRepair = true;
        const error = Errors.unavailable(`ingest log ${stage} failed: ${(err as Error).message}`);
        group.reject(Object.assign(error, { cause: err }));
        this.writeFailed(stage, err);
        await this.repair().catch(() => undefined);
        continue;
      }
      this.recent.addGroup(framed, seqs, ends, lengths, segment.firstSeq, segment.size);
      segment.size += bytes;
      this.durableSeq = group.firstSeq + records.length - 1;
      this.writeSucceeded();
      group.resolve();
      const messages: BusMessage[] = this.ephemeral.size > 0 ? records.map((data, i) => ({ seq: group.firstSeq + i, data })) : [];
      for (const listener of this.ephemeral) {
        try {
          listener(messages);
        } catch (err) {
          this.ctx.onError(err, 'ephemeral subscriber');
        }
      }
      this.wake();
      if (segment.size >= this.ctx.segmentBytes) {
        // A full disk may refuse a new file: keep appending to this one and try again later.
        await this.startSegment().catch((err) => this.ctx.onError(err, 'starting a new write-ahead segment'));
      }
    }
    this.flushing = null;
  }

  /** Cuts the active file back to its durable size and makes that durable. */
  private async repair(): Promise<void> {
    await this.fd!.truncate(this.active.size);
    await this.fd!.datasync();
    this.needsRepair = false;
  }

  private writeFailed(stage: WriteFailure['stage'], err: unknown): void {
    if (!this.failure) this.failure = { stage, message: (err as Error)?.message ?? String(err), sinceMs: Date.now() };
    else this.failure = { ...this.failure, stage, message: (err as Error)?.message ?? String(err) };
    this.ctx.onEvent({ kind: 'write-failed', subject: this.ctx.subject, stage, error: err });
    if (!this.retryTimer && !this.closed) {
      this.retryTimer = setInterval(() => void this.retryOnItsOwn(), this.ctx.retryIntervalMs);
      this.retryTimer.unref();
    }
  }

  private writeSucceeded(): void {
    if (!this.failure) return;
    const failedForMs = Date.now() - this.failure.sinceMs;
    this.failure = null;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    this.ctx.onEvent({ kind: 'write-recovered', subject: this.ctx.subject, failedForMs });
  }

  /**
   * While no device retries (a refused device may back off for long), the log checks on its own
   * whether writing works again: repair, then write and sync a probe file beside the segments.
   */
  private async retryOnItsOwn(): Promise<void> {
    if (this.flushing || !this.failure || this.closed) return;
    this.flushing = (async () => {
      try {
        if (this.needsRepair) await this.repair();
        const probe = join(this.dir, 'write-probe.tmp');
        const file = await this.ctx.fs.open(probe, 'write');
        try {
          await writeFully(file, Buffer.alloc(4096), 0);
          await file.datasync();
        } finally {
          await file.close();
          await this.ctx.fs.rm(probe).catch(() => undefined);
        }
        this.writeSucceeded();
      } catch {
        // Still failing; the next tick tries again.
      }
    })();
    await this.flushing;
    this.flushing = null;
    // Publishes that arrived during the probe wait for a flush loop.
    if (this.pending && !this.flushing) this.flushing = this.flushLoop();
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
      await this.ctx.fs.rm(old.path);
    }
  }

  async drainAndClose(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    while (this.flushing) await this.flushing;
    await Promise.all([...this.consumers.values()].map((c) => c.stop(true)));
    this.ephemeral.clear();
    this.wake();
    await this.fd?.close();
    this.fd = null;
  }
}
