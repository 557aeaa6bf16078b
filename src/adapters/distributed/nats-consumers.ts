// The two kinds of Bus subscription on JetStream.
// The JetStream side of Bus subscriptions: creating durable consumers (the subscription
// itself is NatsDurableSubscription) and ephemeral ones (ordered consumers, no acks).
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
import { NatsBatchReader } from './nats-batch-reader.js';
import type { StreamPlace } from './nats-streams.js';

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
export const PULL_MAX_BYTES = 8 * 1024 * 1024;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5_000;

/** Redelivery delay after a handler failure: 100 ms doubling per delivery, at most 5 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, deliveryCount - 1), LAST_RETRY_MS);
}

export async function ensureDurable(jsm: JetStreamManager, place: StreamPlace, name: string, tuning: ConsumerTuning): Promise<void> {
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
        // A root-subject durable reads the whole stream once the bus is partitioned.
        filter_subject: config.filter_subject!,
      });
    } catch (updateErr) {
      throw new Error(`durable consumer ${name} of stream ${place.stream} exists with settings Vigil cannot change (${(err as Error).message})`, {
        cause: updateErr,
      });
    }
  }
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
