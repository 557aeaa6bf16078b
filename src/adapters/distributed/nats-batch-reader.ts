// Turns JetStream's message-at-a-time consume() stream into handler batches: whatever has
// arrived when the handler is free (up to maxBatch Bus messages) goes in one call, so a lone
// message is handed over at once and a burst in large batches. Frames are unpacked here; a
// frame larger than what is left of a batch is split across calls, and its JetStream message
// is acknowledged with the call that handles its last part. At most about maxBatch messages
// wait here; past that the reader stops pulling and JetStream keeps the rest.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { BusMessage } from '../../ports/bus.js';
import { unpack } from './nats-frames.js';

export interface Batch {
  messages: BusMessage[];
  /** JetStream messages with at least one Bus message in this batch. */
  touched: JsMsg[];
  /** JetStream messages whose last Bus message is in this batch: ack these on success. */
  completed: JsMsg[];
}

/** Resolves true when the batch was handled; false when it must come again (its frames are dropped here). */
export type BatchProcessor = (batch: Batch) => Promise<boolean>;

interface Unit {
  msg: JsMsg;
  messages: BusMessage[];
  /** Index of the first message not yet handed to the handler. */
  next: number;
}

export class NatsBatchReader {
  private queue: Unit[] = [];
  private readonly lateArrivals: JsMsg[] = [];
  private queuedMessages = 0;
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
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  start(): void {
    this.pump = this.runPump();
    this.worker = this.runWorker();
  }

  private async runPump(): Promise<void> {
    try {
      for await (const m of this.messages) {
        if (this.stopping) {
          // Handed back only after the pull has ended: handed back now, JetStream could send
          // it straight back to this closing pull, which no one would answer.
          this.lateArrivals.push(m);
          continue;
        }
        let messages: BusMessage[];
        try {
          messages = unpack(m);
        } catch (err) {
          // Undecodable now means undecodable forever: take it out of the stream's way.
          this.onError(err, 'frame');
          m.term();
          continue;
        }
        this.queue.push({ msg: m, messages, next: 0 });
        this.queuedMessages += messages.length;
        this.wake();
        while (this.queuedMessages >= this.maxBatch && !this.stopping) {
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
      if (this.queuedMessages < this.maxBatch) await new Promise<void>((r) => setImmediate(r));
      if (this.stopping) break;
      const batch = this.take();
      this.resumePump();
      const handled = await this.process(batch);
      if (!handled) {
        this.drop(batch.touched);
        this.resumePump();
      }
    }
  }

  /** Room was made in the queue: the pump may pull again. */
  private resumePump(): void {
    const p = this.wakePump;
    this.wakePump = null;
    p?.();
  }

  private take(): Batch {
    const batch: Batch = { messages: [], touched: [], completed: [] };
    while (this.queue.length > 0 && batch.messages.length < this.maxBatch) {
      const unit = this.queue[0]!;
      const end = Math.min(unit.messages.length, unit.next + this.maxBatch - batch.messages.length);
      for (let i = unit.next; i < end; i++) batch.messages.push(unit.messages[i]!);
      this.queuedMessages -= end - unit.next;
      unit.next = end;
      batch.touched.push(unit.msg);
      if (end < unit.messages.length) break;
      this.queue.shift();
      batch.completed.push(unit.msg);
    }
    return batch;
  }

  /** Forgets what is left of frames that will be redelivered whole. */
  private drop(msgs: JsMsg[]): void {
    const gone = new Set(msgs);
    this.queue = this.queue.filter((unit) => {
      if (!gone.has(unit.msg)) return true;
      this.queuedMessages -= unit.messages.length - unit.next;
      return false;
    });
  }

  /**
   * Finishes the batch in hand and stops pulling. With handBack every other message goes to
   * leftOver; without, they are left to JetStream's ack wait.
   */
  async stop({ handBack }: { handBack: boolean } = { handBack: true }): Promise<void> {
    this.stopping = true;
    this.wake();
    this.wakePump?.();
    await this.worker;
    await this.messages.close();
    await this.pump;
    const left = [...this.queue.splice(0).map((unit) => unit.msg), ...this.lateArrivals.splice(0)];
    if (handBack) for (const m of left) this.leftOver(m);
    this.queuedMessages = 0;
  }
}
