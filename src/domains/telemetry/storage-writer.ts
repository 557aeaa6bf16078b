// The durable consumer that moves accepted batches from the bus into the telemetry store, in
// large transactions. Idempotent: batches at or below the store's recorded position are
// skipped, so redelivery after a crash never duplicates a point. A store that is idempotent per
// point (PostgreSQL's primary key) needs no skip, and must not have it: shared by several nodes
// (a queue group on NATS) batches arrive out of seq order, and a store that outlives its log (a
// new data dir, another stream) holds a position the new log's seqs start far below.
import type { Bus, Subscription } from '../../ports/bus.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { TelemetryLifecycle } from '../../ports/telemetry-lifecycle.js';
import type { EncodedBatch } from '../../ports/telemetry.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Logger } from '../../observability/logger.js';
import { decodeBatch, TELEMETRY_SUBJECT } from './batch-codec.js';
import type { AcceptedBatches, BatchStamp } from './accepted-batches.js';
import type { StorageHealth } from './storage-health.js';

export const STORAGE_CONSUMER = 'storage';

export interface StorageSharing {
  /** Several nodes share the consumer as a queue group (needs skipStoredSeqs false). */
  group: boolean;
  /** Skip messages at or below the store's recorded position (off for a store idempotent per point). */
  skipStoredSeqs: boolean;
}

export class StorageWriter {
  private subscription: Subscription | null = null;
  private applied = 0;
  private rollupTimer: NodeJS.Timeout | null = null;
  private rolling: Promise<void> | null = null;
  private health: StorageHealth | null = null;
  /** Reused for every batch's count and receipt time. */
  private readonly stamp: BatchStamp = { points: 0, receivedAt: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly store: TelemetryStore,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly maxBatchMessages = 5000,
    /** How often stored points are folded into the rollups that long-range aggregates read. */
    private readonly rollupIntervalMs = 60_000,
    private readonly accepted?: AcceptedBatches,
    private readonly sharing: StorageSharing = { group: false, skipStoredSeqs: true },
    /** Folds stored points into the rollups every rollupIntervalMs; absent: no roll-up passes. */
    private readonly lifecycle?: TelemetryLifecycle,
  ) {}

  /** Reports every stored batch and every failure, so a stall is seen (call before start). */
  reportTo(health: StorageHealth): void {
    this.health = health;
  }

  async start(): Promise<void> {
    this.applied = await this.store.lastAppliedSeq(STORAGE_CONSUMER);
    this.health?.start(this.applied);
    this.subscription = await this.bus.subscribe(
      TELEMETRY_SUBJECT,
      async (messages) => {
        // The records go to the store as the log holds them: no batch or point objects here.
        const batches: EncodedBatch[] = [];
        for (const m of messages) {
          if (this.sharing.skipStoredSeqs && m.seq <= this.applied) continue;
          batches.push(m);
        }
        const lastSeq = messages[messages.length - 1]!.seq;
        if (batches.length === 0) {
          this.health?.progressed(lastSeq);
          return;
        }
        try {
          await this.store.appendEncoded(STORAGE_CONSUMER, batches);
        } catch (err) {
          this.metrics.storageErrors.inc();
          this.health?.failed(err);
          this.log.error({ err }, 'storage write failed; will retry from the ingest log');
          throw err;
        }
        let points = 0;
        const now = Date.now();
        const stamp = this.stamp;
        for (const b of batches) {
          // Accepted on this node a moment ago: counted at intake. Otherwise (another node's, or
          // from before a restart) the record says.
          if (!this.accepted?.stamp(b.seq, stamp)) {
            const decoded = decodeBatch(b.seq, b.data);
            stamp.points = decoded.points.length;
            stamp.receivedAt = decoded.receivedAt;
          }
          points += stamp.points;
          this.metrics.storeLatency.observe((now - stamp.receivedAt) / 1000);
        }
        this.metrics.storageWrites.observe(points);
        this.applied = batches[batches.length - 1]!.seq;
        this.health?.progressed(lastSeq);
      },
      { durable: STORAGE_CONSUMER, maxBatch: this.maxBatchMessages, group: this.sharing.group },
    );
    if (this.lifecycle) this.rollupTimer = setInterval(() => void this.rollUp(), this.rollupIntervalMs);
    this.rollupTimer?.unref();
  }

  /** One roll-up pass at a time; a failure is logged and retried on the next tick. */
  rollUp(): Promise<void> {
    if (!this.lifecycle) return Promise.resolve();
    this.rolling ??= this.lifecycle
      .rollUp()
      .catch((err) => this.log.error({ err }, 'rollup pass failed'))
      .finally(() => (this.rolling = null));
    return this.rolling;
  }

  get appliedSeq(): number {
    return this.applied;
  }

  async stop(): Promise<void> {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    this.health?.stop();
    await this.rolling;
    await this.subscription?.close();
    this.subscription = null;
  }
}
