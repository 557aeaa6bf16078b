// Watches the storage writer so it never stalls silently: failing repeatedly, or making no
// progress while the ingest log holds messages it has not stored, is reported as a problem
// (readiness, metric, log line) until it catches up. The writer itself keeps retrying.
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from '../../observability/logger.js';

export interface StorageHealthOptions {
  /** Highest durable sequence number in the ingest log. */
  durableSeq: () => number;
  /** Consecutive failed storage transactions that count as a stall (one failure is a blip). */
  failuresBeforeStalled?: number;
  /** Time without progress, with messages pending, that counts as a stall. A healthy writer
   *  stores every few hundred ms; 30 s leaves room for a slow checkpoint or a large backlog batch. */
  stallAfterMs?: number;
  checkIntervalMs?: number;
}

export class StorageHealth {
  private handledSeq = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastProgressMs = Date.now();
  private current: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly failuresBeforeStalled: number;
  private readonly stallAfterMs: number;

  constructor(
    private readonly options: StorageHealthOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.failuresBeforeStalled = options.failuresBeforeStalled ?? 3;
    this.stallAfterMs = options.stallAfterMs ?? 30_000;
  }

  start(appliedSeq: number): void {
    this.handledSeq = appliedSeq;
    this.lastProgressMs = Date.now();
    this.timer = setInterval(() => this.problem(), this.options.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Messages up to seq are stored (or were already). */
  progressed(seq: number): void {
    this.handledSeq = Math.max(this.handledSeq, seq);
    this.consecutiveFailures = 0;
    this.lastProgressMs = Date.now();
    this.problem();
  }

  failed(err: unknown): void {
    this.consecutiveFailures++;
    this.lastError = (err as Error)?.message ?? String(err);
    this.problem();
  }

  get pending(): number {
    return Math.max(0, this.options.durableSeq() - this.handledSeq);
  }

  /** Why storage is unhealthy now, or null; updates the metrics and logs changes. */
  problem(): string | null {
    const pending = this.pending;
    const now = Date.now();
    // Nothing waiting is not a stall, however long ago the last write was.
    if (pending === 0 && this.consecutiveFailures === 0) this.lastProgressMs = now;
    let problem: string | null = null;
    if (this.consecutiveFailures >= this.failuresBeforeStalled) {
      problem = `storage writes failing (${this.consecutiveFailures} in a row, ${pending} messages pending): ${this.lastError}`;
    } else if (pending > 0 && now - this.lastProgressMs > this.stallAfterMs) {
      problem = `storage made no progress for ${Math.round((now - this.lastProgressMs) / 1000)} s with ${pending} messages pending`;
    }
    this.metrics.storagePendingMessages.set(pending);
    this.metrics.storageStalled.set(problem ? 1 : 0);
    if (problem && !this.current) this.log.error({ pending, lastError: this.lastError }, `storage stalled: ${problem}`);
    if (!problem && this.current) this.log.warn({ pending }, 'storage writer recovered; catching up from the ingest log');
    this.current = problem;
    return problem;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
