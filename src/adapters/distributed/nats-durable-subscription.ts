// A durable Bus subscription: a JetStream durable pull consumer with explicit acks, shared by
// every subscriber that binds it (in this process or another), which is what makes a queue
// group. A batch is acked after the handler resolves, so nothing is dropped.
//
// Exclusive (the default, one subscriber, as FileBus has it) keeps the handler's view in stream
// order, so a consumer may keep a high-water mark of sequence numbers as the storage writer
// does. JetStream redelivers an unacknowledged message only after its ack wait, and serves due
// redeliveries before new messages. So: a failed batch is retried here until it succeeds; and
// whenever messages may be out in limbo (held by a killed predecessor, or in flight when the
// connection dropped), pulling starts only once they are all due, so they come first, in order.
// Shared (a queue group) hands a failed batch back to the group with a delay and guarantees no
// order across redeliveries.
import type { Consumer, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { BusHandler } from '../../ports/bus.js';
import { NatsBatchReader, type Batch } from './nats-batch-reader.js';
import { ensureDurable, PULL_MAX_BYTES, retryDelayMs, type ConsumerTuning } from './nats-consumers.js';
import { checkDurableName, type StreamPlace } from './nats-streams.js';

export interface DurableOptions {
  maxBatch: number;
  shared: boolean;
}

export class NatsDurableSubscription {
  private reader: NatsBatchReader | null = null;
  /** Start, suspend and resume run one after another, in the order the events came. */
  private lifecycle: Promise<void> = Promise.resolve();
  private stopping = false;
  private onStop: () => void = () => undefined;
  private readonly stopped = new Promise<void>((r) => (this.onStop = r));

  constructor(
    private readonly consumer: Consumer,
    private readonly jsm: JetStreamManager,
    private readonly place: StreamPlace,
    private readonly name: string,
    private readonly handler: BusHandler,
    private readonly options: DurableOptions,
    private readonly tuning: ConsumerTuning,
  ) {}

  private pause(ms: number): Promise<unknown> {
    return Promise.race([new Promise((r) => setTimeout(r, ms)), this.stopped]);
  }

  /** Resolves once pulling, or (exclusive, messages in limbo) once a deferred start is scheduled. */
  async start(): Promise<void> {
    if (this.options.shared) return this.startReading();
    const dueInMs = await this.limboDueInMs();
    if (dueInMs === 0) return this.startReading();
    this.lifecycle = this.startWhenDue(dueInMs);
  }

  /** 0 when nothing is unacknowledged; else how long until all of it is due for redelivery. */
  private async limboDueInMs(): Promise<number> {
    const info = await this.jsm.consumers.info(this.place.stream, this.name);
    if (info.num_ack_pending === 0) return 0;
    // Typed as nanoseconds by the client, sent by the server as an RFC 3339 time.
    const lastDeliveryMs = Date.parse(String(info.delivered.last_active ?? ''));
    const dueInMs = Number.isNaN(lastDeliveryMs) ? this.tuning.ackWaitMs : lastDeliveryMs + this.tuning.ackWaitMs - Date.now();
    return Math.min(this.tuning.ackWaitMs, Math.max(0, dueInMs)) + 100;
  }

  private async startWhenDue(knownDueInMs: number | null): Promise<void> {
    while (!this.stopping) {
      try {
        const dueInMs = knownDueInMs ?? (await this.limboDueInMs());
        knownDueInMs = null;
        if (dueInMs > 0) await this.pause(dueInMs);
        if (this.stopping) return;
        return await this.startReading();
      } catch (err) {
        this.tuning.onError(err, `consumer ${this.name} start`);
        await this.pause(1000);
      }
    }
  }

  private async startReading(): Promise<void> {
    const messages = await this.consumer.consume({ max_bytes: PULL_MAX_BYTES });
    // Messages pulled but not handled when the subscription closes go back at once, not after ackWaitMs.
    this.reader = new NatsBatchReader(messages, this.options.maxBatch, (batch) => this.process(batch), (m) => m.nak(), this.tuning.onError);
    this.reader.start();
  }

  /** The connection dropped: an exclusive subscription stops pulling until it is back. */
  suspend(): void {
    if (this.options.shared || this.stopping) return;
    this.lifecycle = this.lifecycle.then(async () => {
      const reader = this.reader;
      this.reader = null;
      // Not handed back: they become due together with whatever was lost in flight.
      await reader?.stop({ handBack: false });
    });
  }

  /** The connection is back: pull again once everything in limbo is due. */
  resume(): void {
    if (this.options.shared || this.stopping) return;
    this.lifecycle = this.lifecycle.then(() => (this.reader || this.stopping ? undefined : this.startWhenDue(null)));
  }

  private async process({ messages: batch, touched, completed }: Batch): Promise<boolean> {
    // A slow but live handler keeps its messages: tell JetStream it is still working on them.
    const keepAlive = setInterval(() => touched.forEach((m) => m.working()), Math.max(100, this.tuning.ackWaitMs / 3));
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.handler(batch);
          for (const m of completed) m.ack();
          return true;
        } catch (err) {
          this.tuning.onError(err, `consumer ${this.name}`);
          const shared = this.options.shared;
          const delayMs = retryDelayMs(shared ? Math.max(...touched.map((m) => m.info.deliveryCount)) : attempt);
          if (shared || this.stopping) {
            // Back to the group after a delay (at once when closing); pause here too, so a node
            // whose storage is failing leaves the work to healthy members.
            for (const m of touched) m.nak(this.stopping ? undefined : delayMs);
            if (!this.stopping) await this.pause(delayMs);
            return false;
          }
          await this.pause(delayMs);
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.onStop();
    await this.lifecycle;
    await this.reader?.stop({ handBack: true });
    this.reader = null;
  }
}

/** Creates (or updates) the durable consumer and starts a subscription on it. */
export async function openDurableSubscription(
  js: JetStreamClient,
  jsm: JetStreamManager,
  place: StreamPlace,
  durable: string,
  handler: BusHandler,
  options: DurableOptions,
  tuning: ConsumerTuning,
): Promise<NatsDurableSubscription> {
  const name = checkDurableName(durable);
  await ensureDurable(jsm, place, name, tuning);
  const consumer = await js.consumers.get(place.stream, name);
  const subscription = new NatsDurableSubscription(consumer, jsm, place, name, handler, options, tuning);
  await subscription.start();
  return subscription;
}
