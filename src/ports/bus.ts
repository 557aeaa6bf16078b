// The durable ingest log. publish() resolves only once the message would survive a crash:
// that is the moment a device is acknowledged. Implemented by a write-ahead file (FileBus); NATS
// JetStream fits the same shape for the planned scaled-out mode. Delivery is at least once;
// consumers make their writes idempotent by seq.
export interface BusMessage {
  /** Monotonic per subject, assigned by the log. */
  seq: number;
  data: Uint8Array;
}

export interface SubscribeOptions {
  /** A durable consumer resumes after the last message it acknowledged, across restarts. */
  durable?: string;
  /** Most messages handed to one handler call. */
  maxBatch?: number;
  /**
   * Queue-group semantics for a durable consumer: every subscriber that names the same durable
   * with `group: true` shares its messages, each message handled by one of them (at least once),
   * so N nodes split the work. Members run side by side and a failed batch may come back after
   * later messages, so a group's handler must be idempotent per message, not by a high-water
   * mark of seq (an exclusive durable, the default, sees messages in seq order). NatsBus: all
   * members bind one JetStream durable consumer, across processes. FileBus is one process with
   * one reader per durable, so a second subscriber of the same durable is refused there.
   */
  group?: boolean;
  /**
   * Only the messages published into this partition of the subject (see Bus.partitions); a
   * subscription without it sees every partition. Used for exclusive durables, one per partition.
   */
  partition?: number;
}

export interface PublishOptions {
  /**
   * Messages with one key land in one partition (when the bus has partitions), in order; the
   * telemetry key is tenant/device, so one consumer of a partition sees all of a device's batches.
   */
  partitionKey?: string;
}

/** The partition of a key: FNV-1a (32 bit) of its UTF-8 bytes, modulo the count. */
export function partitionOf(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** The partition key of a device's telemetry. */
export function devicePartitionKey(tenantId: string, deviceId: string): string {
  return `${tenantId}/${deviceId}`;
}

/** Handles a batch of messages; resolving acknowledges all of them. */
export type BusHandler = (messages: BusMessage[]) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  /** Resolves with the message's sequence number once it is durable. */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<number>;
  /**
   * Partitions of keyed subjects (0 or absent: none, every message in one sequence for all).
   * Only the scaled-out bus has them: it is what lets one node at a time own a device's stream.
   */
  readonly partitions?: number;
  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** Stops intake, delivers what is pending to durable consumers, releases files/connections. */
  close(): Promise<void>;
}
