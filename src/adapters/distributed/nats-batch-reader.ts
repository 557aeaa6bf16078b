// Turns JetStream's message-at-a-time consume() stream into handler batches: whatever has
// arrived when the handler is free (up to maxBatch) goes in one call, so one message is handed
// over at once and a burst is handed over in large batches. At most maxBatch messages wait
// here; past that the reader stops pulling and JetStream keeps the rest.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';

export type BatchProcessor = (batch: JsMsg[]) => Promise<void>;

export class NatsBatchReader {
  private readonly queue: JsMsg[] = [];
  private stopping = false;
  private pumpDone = false;
  private wakeWorker: (() => void) | null = null;
  private wakePump: (() => void) | null = null;
  private pump: Promise<void> | null = null;
  private worker: Promise<void> | null = null;

  constructor(
    private readonly messages: ConsumerMessages,
    private readonly maxBatch: number,
    private readonly process: BatchProcessor,
    /** Receives every message that arrived but will not be processed because the reader stopped. */
    private readonly leftOver: (message: JsMsg) => void,
  ) {}

  start(): void {
    this.pump = this.runPump();
    this.worker = this.runWorker();
  }

  private async runPump(): Promise<void> {
    try {
      for await (const m of this.messages) {
        if (this.stopping) {
          this.leftOver(m);
          continue;
        }
        this.queue.push(m);
        this.wake();
        while (this.queue.length >= this.maxBatch && !this.stopping) {
          await new Promise<void>((r) => (this.wakePump = r));
        }
      }
    } finally {
      this.pumpDone = true;
      this.wake();
    }
  }

  private wake(): void {
    const w = this.wakeWorker;
    this.wakeWorker = null;
    w?.();
  }

  private async runWorker(): Promise<void> {
    for (;;) {
      if (this.stopping) break;
      if (this.queue.length === 0) {
        if (this.pumpDone) break;
        await new Promise<void>((r) => (this.wakeWorker = r));
        continue;
      }
      // The rest of a burst that is already in the socket buffer joins this batch.
      if (this.queue.length < this.maxBatch) await new Promise<void>((r) => setImmediate(r));
      if (this.stopping) break;
      const batch = this.queue.splice(0, this.maxBatch);
      const p = this.wakePump;
      this.wakePump = null;
      p?.();
      await this.process(batch);
    }
  }

  /** Finishes the batch in hand, stops pulling, and hands every other message to leftOver. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    this.wakePump?.();
    await this.worker;
    await this.messages.close();
    await this.pump;
    for (const m of this.queue.splice(0)) this.leftOver(m);
  }
}
