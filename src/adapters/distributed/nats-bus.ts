// Scaled-out Bus on NATS JetStream. publish() resolves with the stream sequence only once
// JetStream acknowledged the message (stored on its disk): that is the device's ack. Durable
// subscriptions are JetStream durable pull consumers with explicit acks, acknowledged after the
// handler resolves, so delivery is at least once and a crashed node's messages go to another
// member after ackWaitMs. While the connection is down publish() rejects at once (ingest
// answers 503); the client reconnects forever and consumers resume by themselves.
// Messages published together travel as one JetStream message (nats-frames.ts): JetStream's
// cost is per message, so this is what lets one node publish tens of thousands a second.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { partitionOf, type Bus, type BusHandler, type PublishOptions, type SubscribeOptions, type Subscription } from '../../ports/bus.js';
import { AppError, Errors } from '../../errors.js';
import { checkDurableName, checkPrefix, ensureStream, placeOf, streamConfig, type StreamLimits, type StreamPlace } from './nats-streams.js';
import { subscribeEphemeral, type ConsumerTuning } from './nats-consumers.js';
import { openDurableSubscription, type NatsDurableSubscription } from './nats-durable-subscription.js';
import { NatsFramePublisher } from './nats-frame-publisher.js';
import { FRAME_SLOTS } from './nats-frames.js';

export interface NatsBusOptions {
  /** e.g. nats://127.0.0.1:4222; several may be given comma-separated (a NATS cluster). */
  url: string;
  /** Prefix of stream names and NATS subjects, so several deployments or test runs share one NATS. */
  prefix?: string;
  /** Subjects whose streams are created or updated at start (others on first use). */
  subjects?: string[];
  /** A publish not acknowledged by JetStream within this is rejected (the device retries). */
  publishTimeoutMs?: number;
  /** Most Bus messages packed into one JetStream message (1 to 256; 1 turns framing off). */
  maxFrameMessages?: number;
  /** Frames per subject awaiting their ack at once; what arrives meanwhile joins the next frame. */
  maxInFlightFrames?: number;
  /** How long a delivered, unacknowledged message waits before JetStream gives it to another member. */
  ackWaitMs?: number;
  /** Unacknowledged messages a durable consumer may have out, across all its members. */
  maxAckPending?: number;
  reconnectTimeWaitMs?: number;
  /** Detects a silently dead connection (no FIN from a crashed host) after about twice this. */
  pingIntervalMs?: number;
  connectTimeoutMs?: number;
  limits?: Partial<StreamLimits>;
  /**
   * Partitions of keyed subjects (0: none). A keyed publish to `telemetry` goes to
   * `telemetry.p<N>` (same stream, same sequence numbers); an unpartitioned subscription to the
   * stream's root subject then reads every partition, a partitioned one only its own.
   */
  partitions?: number;
  onError?: (err: unknown, context: string) => void;
  /** Told when the connection to NATS drops and comes back (for logs and health). */
  onConnectionChange?: (connected: boolean, server: string) => void;
}

const DEFAULTS = {
  prefix: 'vigil',
  publishTimeoutMs: 5_000,
  maxFrameMessages: FRAME_SLOTS,
  maxInFlightFrames: 16,
  // A live handler extends it (working() every third of it), so it bounds only how long a
  // killed node's messages wait before another member (or its restarted self) gets them.
  ackWaitMs: 10_000,
  maxAckPending: 20_000,
  reconnectTimeWaitMs: 500,
  pingIntervalMs: 10_000,
  connectTimeoutMs: 5_000,
};

const DEFAULT_LIMITS: StreamLimits = {
  maxAgeMs: 7 * 24 * 3600_000,
  maxBytes: -1,
  duplicateWindowMs: 2 * 60_000,
  replicas: 1,
};

/** Connects and prepares the streams; fails with one line naming the URL when NATS is unreachable. */
export async function createNatsBus(options: NatsBusOptions): Promise<NatsBus> {
  const settings = { ...DEFAULTS, ...options };
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.url.split(','),
      name: 'vigil',
      timeout: settings.connectTimeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: settings.reconnectTimeWaitMs,
      pingInterval: settings.pingIntervalMs,
      // Keep to the configured address (a load balancer or proxy), not what the server advertises.
      ignoreClusterUpdates: true,
    });
  } catch (err) {
    throw new Error(`NATS not reachable at ${options.url}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const jsm = await jetstreamManager(nc);
    const bus = new NatsBus(nc, jsm, options);
    for (const subject of options.subjects ?? []) await bus.ensureStreamFor(subject);
    return bus;
  } catch (err) {
    await nc.close();
    throw new Error(`NATS JetStream unusable at ${options.url}: ${(err as Error).message}`, { cause: err });
  }
}

export class NatsBus implements Bus {
  private readonly js: JetStreamClient;
  private readonly prefix: string;
  private readonly limits: StreamLimits;
  private readonly tuning: ConsumerTuning;
  private readonly publishTimeoutMs: number;
  private readonly maxFrameMessages: number;
  private readonly maxInFlightFrames: number;
  readonly partitions: number;
  private readonly publishers = new Map<string, NatsFramePublisher>();
  /** Publishes not yet acknowledged or failed, which close() lets finish. */
  private readonly outstanding = new Set<Promise<number>>();
  private readonly onError: (err: unknown, context: string) => void;
  private readonly onConnectionChange: NatsBusOptions['onConnectionChange'];
  private readonly streams = new Map<string, Promise<void>>();
  private readonly subscriptions = new Set<Subscription>();
  /** Told when the connection drops and returns (exclusive ones stop pulling meanwhile). */
  private readonly durables = new Set<NatsDurableSubscription>();
  /** Members per local durable ("stream/durable"): a second one is allowed only as a group. */
  private readonly localDurables = new Map<string, number>();
  private connected = true;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    options: NatsBusOptions,
  ) {
    const settings = { ...DEFAULTS, ...options };
    this.js = jetstream(nc, { timeout: settings.publishTimeoutMs });
    this.prefix = checkPrefix(settings.prefix);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.publishTimeoutMs = settings.publishTimeoutMs;
    this.maxFrameMessages = Math.min(FRAME_SLOTS, Math.max(1, Math.floor(settings.maxFrameMessages)));
    this.maxInFlightFrames = Math.max(1, settings.maxInFlightFrames);
    this.partitions = Math.max(0, Math.floor(options.partitions ?? 0));
    this.onError = options.onError ?? ((err, context) => console.error(`nats bus: ${context}:`, err));
    this.onConnectionChange = options.onConnectionChange;
    this.tuning = { ackWaitMs: settings.ackWaitMs, maxAckPending: settings.maxAckPending, onError: this.onError };
    void this.watchConnection();
  }

  /** True while the connection to NATS is up (publishes can be acknowledged). */
  get isConnected(): boolean {
    return this.connected && !this.closed;
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        const error = Errors.unavailable('ingest log (NATS) connection lost; retry later');
        for (const publisher of this.publishers.values()) publisher.failAll(error);
        for (const durable of this.durables) durable.suspend();
        this.onConnectionChange?.(false, status.server);
      } else if (status.type === 'reconnect') {
        this.connected = true;
        for (const durable of this.durables) durable.resume();
        this.onConnectionChange?.(true, status.server);
      }
    }
  }

  ensureStreamFor(subject: string): Promise<void> {
    const { stream } = placeOf(this.prefix, subject);
    let ready = this.streams.get(stream);
    if (!ready) {
      ready = ensureStream(this.jsm, streamConfig(this.prefix, subject, this.limits));
      // A failure (NATS down at that moment) is retried by the next caller, not cached.
      ready.catch(() => this.streams.delete(stream));
      this.streams.set(stream, ready);
    }
    return ready;
  }

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<number> {
    if (this.closed) throw Errors.unavailable('ingest log is closed');
    if (!this.connected) throw Errors.unavailable('ingest log (NATS) is unreachable; retry later');
    const keyed = this.partitions > 0 && options.partitionKey !== undefined;
    const target = keyed ? partitionSubject(subject, partitionOf(options.partitionKey!, this.partitions)) : subject;
    const work = this.publishToStream(target, data);
    this.outstanding.add(work);
    const forget = () => void this.outstanding.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async publishToStream(subject: string, data: Uint8Array): Promise<number> {
    const { natsSubject } = placeOf(this.prefix, subject);
    try {
      await this.ensureStreamFor(subject);
    } catch (err) {
      throw unavailable(err);
    }
    let publisher = this.publishers.get(natsSubject);
    if (!publisher) {
      publisher = new NatsFramePublisher(this.js, {
        natsSubject,
        maxFrameMessages: this.maxFrameMessages,
        maxInFlightFrames: this.maxInFlightFrames,
        timeoutMs: this.publishTimeoutMs,
      });
      this.publishers.set(natsSubject, publisher);
    }
    return publisher.publish(data).catch((err) => {
      throw unavailable(err);
    });
  }

  async subscribe(subject: string, handler: BusHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    const place = this.placeToRead(subject, options.partition);
    await this.ensureStreamFor(subject);
    const maxBatch = options.maxBatch ?? 1000;
    const durableKey = options.durable ? `${place.stream}/${options.durable}` : null;
    if (durableKey && options.partition !== undefined && options.group) throw new Error('a partition is read by one exclusive durable, not a group');
    if (durableKey) {
      const members = this.localDurables.get(durableKey) ?? 0;
      if (members > 0 && !options.group) throw new Error(`durable consumer ${options.durable} already running (pass group: true to share it)`);
      this.localDurables.set(durableKey, members + 1);
    }
    const leave = () => {
      if (!durableKey) return;
      const left = (this.localDurables.get(durableKey) ?? 1) - 1;
      if (left > 0) this.localDurables.set(durableKey, left);
      else this.localDurables.delete(durableKey);
    };
    let inner: { close(): Promise<void> };
    let durable: NatsDurableSubscription | null = null;
    try {
      if (options.durable) {
        const shared = options.group === true;
        inner = durable = await openDurableSubscription(this.js, this.jsm, place, options.durable, handler, { maxBatch, shared }, this.tuning);
        this.durables.add(durable);
      } else {
        inner = await subscribeEphemeral(this.js, this.jsm, place, handler, maxBatch, this.onError);
      }
    } catch (err) {
      leave();
      throw err;
    }
    const subscription: Subscription = {
      close: async () => {
        if (!this.subscriptions.delete(subscription)) return;
        if (durable) this.durables.delete(durable);
        await inner.close();
        leave();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Deletes a durable consumer no longer used (nothing happens when there is none). */
  async removeDurable(subject: string, durable: string): Promise<void> {
    const { stream } = placeOf(this.prefix, subject);
    try {
      await this.jsm.consumers.delete(stream, checkDurableName(durable));
    } catch (err) {
      if (!(err instanceof JetStreamApiError)) throw err;
    }
  }

  /**
   * Where a subscription reads: one partition's subject; or, on a partitioned bus, the whole
   * stream of a root subject (`>`: the stream holds only the root and its partitions), so the
   * storage writer sees batches from before and after partitioning alike.
   */
  private placeToRead(subject: string, partition: number | undefined): StreamPlace {
    if (partition !== undefined) {
      if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) throw new Error(`no partition ${partition} (the bus has ${this.partitions})`);
      return placeOf(this.prefix, partitionSubject(subject, partition));
    }
    const place = placeOf(this.prefix, subject);
    return this.partitions > 0 && !subject.includes('.') ? { ...place, natsSubject: '>' } : place;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Publishes already accepted get their acks (or their failure) before the connection goes.
    await withTimeout(Promise.allSettled([...this.outstanding]), this.publishTimeoutMs * 2);
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    // Acks and naks are plain publishes: make sure the server has them before the socket goes.
    if (this.connected) await withTimeout(this.nc.flush(), 2000);
    await this.nc.close();
  }
}

function partitionSubject(subject: string, partition: number): string {
  return `${subject}.p${partition}`;
}

/** Waits for work at most timeoutMs; its failure or lateness is not the caller's problem. */
async function withTimeout(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([work.then(() => undefined, () => undefined), late]);
  clearTimeout(timer);
}

function unavailable(err: unknown): Error {
  if (err instanceof AppError) return err;
  return Object.assign(Errors.unavailable(`ingest log (NATS) did not acknowledge: ${(err as Error)?.message ?? err}`), { cause: err });
}
