// The two kinds of Bus subscription on JetStream.
// Durable: a durable pull consumer with explicit acks, shared by every subscriber that binds it
// (in this process or another), which is what makes a queue group. A batch is acked after the
// handler resolves, so nothing is dropped; see subscribeDurable for what a failure does.
// Ephemeral: an ordered consumer starting after the stream's last message, no acks.
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { BusHandler } from '../../ports/bus.js';
import { NatsBatchReader, type Batch } from './nats-batch-reader.js';
import { checkDurableName, type StreamPlace } from './nats-streams.js';

export interface ConsumerTuning {
  ackWaitMs: number;
  maxAckPending: number;
  onError: (err: unknown, context: string) => void;
}

export interface InnerSubscription {
  close(): Promise<void>;
}

/**
 * What one subscription pulls ahead, in bytes rather than messages: a JetStream message may be
 * a single Bus message or a frame of hundreds. Above NATS's largest max_payload setting in use.
 */
const PULL_MAX_BYTES = 8 * 1024 * 1024;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

/** Redelivery delay after a handler failure: 100 ms doubling per delivery, at most 5 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, deliveryCount - 1), LAST_RETRY_MS);
}

async function ensureDurable(jsm: JetStreamManager, place: StreamPlace, name: string, tuning: ConsumerTuning): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    // A new durable starts at the oldest message the stream holds, as the embedded log's does.
    deliver_policy: DeliverPolicy.All,
    filter_subject: place.natsSubject,
    ack_wait: nanos(tuning.ackWaitMs),
    max_ack_pending: tuning.maxAckPending,
    // Never give up on a message: a poison batch shows up as repeated errors, not silent loss.
    max_deliver: -1,
  };
  try {
    await jsm.consumers.add(place.stream, config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    // It exists with other settings (e.g. a changed ack wait): bring those up to date.
    try {
      await jsm.consumers.update(place.stream, name, {
        ack_wait: config.ack_wait!,
        max_ack_pending: config.max_ack_pending!,
        max_deliver: config.max_deliver!,
      });
    } catch (updateErr) {
      throw new Error(`durable consumer ${name} of stream ${place.stream} exists with settings Vigil cannot change (${(err as Error).message})`, {
        cause: updateErr,
      });
    }
  }
}

/**
 * A durable subscription. Exclusive (the default, one subscriber, as FileBus has it) keeps the
 * handler's view in stream order, so a consumer may track a high-water mark of sequence numbers
 * as the storage writer does: a failed batch is retried here until it succeeds, and after a
 * restart the messages a killed predecessor held come before newer ones. Shared (a queue group)
 * hands a failed batch back to the group and guarantees no order across redeliveries.
 */
export async function subscribeDurable(
  js: JetStreamClient,
  jsm: JetStreamManager,
  place: StreamPlace,
  durable: string,
  handler: BusHandler,
  options: { maxBatch: number; shared: boolean },
  tuning: ConsumerTuning,
): Promise<InnerSubscription> {
  const name = checkDurableName(durable);
  await ensureDurable(jsm, place, name, tuning);
  const consumer = await js.consumers.get(place.stream, name);
  let stopping = false;
  let onStop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (onStop = r));
  const pause = (ms: number) => Promise.race([new Promise((r) => setTimeout(r, ms)), stopped]);

  const process = async ({ messages: batch, touched, completed }: Batch): Promise<boolean> => {
    // A slow but live handler keeps its messages: tell JetStream it is still working on them.
    const keepAlive = setInterval(() => touched.forEach((m) => m.working()), Math.max(100, tuning.ackWaitMs / 3));
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await handler(batch);
          for (const m of completed) m.ack();
          return true;
        } catch (err) {
          tuning.onError(err, `consumer ${name}`);
          const delayMs = retryDelayMs(options.shared ? Math.max(...touched.map((m) => m.info.deliveryCount)) : attempt);
          if (options.shared || stopping) {
            // Back to the group after a delay (now, when closing); pause here too, so a node
            // whose storage is failing leaves the work to healthy members.
            for (const m of touched) m.nak(stopping ? undefined : delayMs);
            if (!stopping) await pause(delayMs);
            return false;
          }
          await pause(delayMs);
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
  };

  let reader: NatsBatchReader | null = null;
  const startReading = async () => {
    const messages = await consumer.consume({ max_bytes: PULL_MAX_BYTES });
    // Messages pulled but not handled when the subscription closes go back at once, not after ackWaitMs.
    reader = new NatsBatchReader(messages, options.maxBatch, process, (m) => m.nak(), tuning.onError);
    reader.start();
  };
  let starting: Promise<void> = Promise.resolve();
  const info = await jsm.consumers.info(place.stream, name);
  if (options.shared || info.num_ack_pending === 0) {
    await startReading();
  } else {
    // Messages a killed predecessor held are redelivered once their ack wait runs out, and
    // JetStream serves due redeliveries before new messages: pull only from then on, so the
    // handler sees them first, in order. Meanwhile subscribe() has returned; start-up goes on.
    starting = (async () => {
      await pause(tuning.ackWaitMs + 100);
      while (!stopping) {
        try {
          return await startReading();
        } catch (err) {
          tuning.onError(err, `consumer ${name} start`);
          await pause(1000);
        }
      }
    })();
  }
  return {
    close: async () => {
      stopping = true;
      onStop();
      await starting;
      await reader?.stop();
    },
  };
}

export async function subscribeEphemeral(
  js: JetStreamClient,
  jsm: JetStreamManager,
  place: StreamPlace,
  handler: BusHandler,
  maxBatch: number,
  onError: (err: unknown, context: string) => void,
): Promise<InnerSubscription> {
  // Start right after what the stream holds now, so every message published after subscribe()
  // resolves is seen even though the server-side consumer is created a moment later.
  const info = await jsm.streams.info(place.stream);
  const consumer = await js.consumers.get(place.stream, {
    filter_subjects: place.natsSubject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: info.state.last_seq + 1,
  });
  const messages = await consumer.consume({ max_bytes: PULL_MAX_BYTES });
  const reader = new NatsBatchReader(
    messages,
    maxBatch,
    async ({ messages: batch }) => {
      try {
        await handler(batch);
      } catch (err) {
        onError(err, `subscriber of ${place.natsSubject}`);
      }
      return true;
    },
    () => undefined,
    onError,
  );
  reader.start();
  return { close: () => reader.stop() };
}
