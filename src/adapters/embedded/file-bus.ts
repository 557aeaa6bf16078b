// Embedded Bus: one append-only write-ahead log per subject under <dataDir>/bus/<subject>/
// (subject-log.ts: group commit, checked writes, self-repair), read by durable consumers
// (wal-consumer.ts: at-least-once from a saved position) and by ephemeral subscribers, which get
// messages in memory right after they are durable.
import { join } from 'node:path';
import type { Bus, BusHandler, BusMessage, SubscribeOptions, Subscription } from '../../ports/bus.js';
import { nodeLogFs, type LogFs } from './log-fs.js';
import { SubjectLog, type FileBusEvent, type WriteFailure } from './subject-log.js';
import { DurableConsumer } from './wal-consumer.js';

export type { FileBusEvent } from './subject-log.js';

export interface FileBusOptions {
  dir: string;
  /** A segment is closed and a new one started past this size; acked segments are deleted. */
  segmentBytes?: number;
  onError?: (err: unknown, context: string) => void;
  /** Write failures, recoveries, torn tails and quarantined records, for metrics and logs. */
  onEvent?: (event: FileBusEvent) => void;
  /** File-system calls; tests inject faults here. */
  fs?: LogFs;
  /** While writes fail, how often a log probes on its own whether writing works again. */
  retryIntervalMs?: number;
}

export interface FileBusStatus {
  /** Subjects whose last write failed, with why and since when. */
  failing: Array<{ subject: string } & WriteFailure>;
  /** Damaged records kept aside, per file. */
  quarantineFiles: string[];
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_RETRY_INTERVAL_MS = 2000;

export class FileBus implements Bus {
  private readonly logs = new Map<string, Promise<SubjectLog>>();
  private readonly opened = new Map<string, SubjectLog>();
  private readonly onError: (err: unknown, context: string) => void;

  constructor(private readonly options: FileBusOptions) {
    this.onError = options.onError ?? ((err, context) => console.error(`bus: ${context}:`, err));
  }

  private log(subject: string): Promise<SubjectLog> {
    if (!/^[a-zA-Z0-9_.-]+$/.test(subject)) throw new Error(`invalid subject ${subject}`);
    let log = this.logs.get(subject);
    if (!log) {
      const created = new SubjectLog(join(this.options.dir, subject), {
        subject,
        fs: this.options.fs ?? nodeLogFs,
        segmentBytes: this.options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
        retryIntervalMs: this.options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
        onError: this.onError,
        onEvent: this.options.onEvent ?? (() => undefined),
      });
      log = created.open().then(() => {
        this.opened.set(subject, created);
        return created;
      });
      // A failed open (e.g. an unreadable directory) is retried on the next call.
      log.catch(() => this.logs.delete(subject));
      this.logs.set(subject, log);
    }
    return log;
  }

  publish(subject: string, data: Uint8Array): Promise<number> {
    // An open log takes the record at once: no extra promise and turn per message on the hot path.
    const open = this.opened.get(subject);
    if (open) return open.publish(data);
    try {
      return this.log(subject).then((log) => log.publish(data));
    } catch (err) {
      return Promise.reject(err); // an invalid subject
    }
  }

  /** Highest durable sequence number of a subject (0 when nothing was written or it is not open). */
  durableSeq(subject: string): number {
    return this.opened.get(subject)?.durableSeq ?? 0;
  }

  status(): FileBusStatus {
    const failing: FileBusStatus['failing'] = [];
    const quarantineFiles: string[] = [];
    for (const [subject, log] of this.opened) {
      if (log.failure) failing.push({ subject, ...log.failure });
      quarantineFiles.push(...log.quarantineFiles);
    }
    return { failing, quarantineFiles };
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
    const logs = await Promise.allSettled(this.logs.values());
    await Promise.all(logs.flatMap((l) => (l.status === 'fulfilled' ? [l.value.drainAndClose()] : [])));
  }
}
