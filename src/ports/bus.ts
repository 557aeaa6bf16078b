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
}

/** Handles a batch of messages; resolving acknowledges all of them. */
export type BusHandler = (messages: BusMessage[]) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  /** Resolves with the message's sequence number once it is durable. */
  publish(subject: string, data: Uint8Array): Promise<number>;
  subscribe(subject: string, handler: BusHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** Stops intake, delivers what is pending to durable consumers, releases files/connections. */
  close(): Promise<void>;
}
