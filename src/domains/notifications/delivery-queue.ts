// Delivers notifications off every other path: a bounded number of attempts run at once, each
// with its own timeout; a failure is retried with exponential backoff and dead-lettered after
// maxAttempts. Every attempt is written to the delivery log, and unfinished deliveries are
// resumed at start. A slow or failing receiver therefore delays only its own deliveries.
import type { NotificationStore } from '../../ports/notification-store.js';
import type { Delivery } from './notification.js';
import { DeliveryError } from './senders.js';

export interface DeliveryQueueOptions {
  maxAttempts: number;
  /** First retry after this long; each next one waits twice as long (capped at 10 min). */
  backoffMs: number;
  /** Attempts in flight at once. */
  concurrency: number;
  clock: () => number;
  onError: (err: unknown, context: string) => void;
}

const MAX_BACKOFF_MS = 10 * 60_000;

export class DeliveryQueue {
  private readonly ready: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly store: NotificationStore,
    private readonly attempt: (delivery: Delivery) => Promise<number | null>,
    private readonly options: DeliveryQueueOptions,
  ) {}

  /** Deliveries that were pending or retrying when the process stopped. */
  async resume(): Promise<void> {
    for (const d of await this.store.unfinishedDeliveries()) this.ready.push(d);
    this.pump();
  }

  /** Records the delivery, then sends it when a slot is free. */
  async enqueue(delivery: Delivery): Promise<void> {
    // Not awaited before sending: the store writes in order, so the outcome of the attempt still
    // lands after this record, and the first attempt does not wait for a disk commit.
    const recorded = this.store.putDelivery(delivery).catch((err) => this.options.onError(err, 'notifications: recording a delivery'));
    if (delivery.status !== 'pending') return recorded;
    this.ready.push(delivery);
    this.pump();
  }

  /** Deliveries waiting, in flight or waiting for a retry. */
  get backlog(): number {
    return this.ready.length + this.inFlight.size + this.timers.size;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.options.concurrency && this.ready.length > 0) {
      const run = this.run(this.ready.shift()!).catch((err) => this.options.onError(err, 'notifications: delivery'));
      this.inFlight.add(run);
      void run.finally(() => {
        this.inFlight.delete(run);
        this.pump();
      });
    }
  }

  private async run(d: Delivery): Promise<void> {
    const attempts = d.attempts + 1;
    let next: Delivery;
    try {
      const responseStatus = await this.attempt(d);
      next = { ...d, attempts, status: 'delivered', lastError: null, responseStatus, updatedAt: this.options.clock() };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const responseStatus = err instanceof DeliveryError ? err.responseStatus : null;
      const dead = attempts >= this.options.maxAttempts;
      next = { ...d, attempts, status: dead ? 'dead' : 'retrying', lastError: message, responseStatus, updatedAt: this.options.clock() };
      if (!dead && !this.stopped) {
        const waitMs = Math.min(this.options.backoffMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.ready.push(next);
          this.pump();
        }, waitMs);
        timer.unref();
        this.timers.add(timer);
      }
    }
    await this.store.putDelivery(next);
  }

  /** Stops sending; attempts in flight finish (bounded by their timeouts); the rest resume at next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
