// PubSub on Redis pub/sub: every node subscribed to a channel gets each message once; one that
// is disconnected at that moment misses it (at most once, as the port says). Two connections,
// because a connection in subscriber mode can issue no other command. One Redis SUBSCRIBE per
// subject however many local handlers; ioredis resubscribes by itself after a reconnect.
import type { Redis } from 'ioredis';
import type { PubSub, PubSubHandler, Unsubscribe } from '../../ports/pubsub.js';
import { connectRedis } from './redis-connection.js';

export interface RedisPubSubOptions {
  url: string;
  /** Prepended to every subject to form the channel, so deployments (and tests) sharing a Redis stay apart. */
  channelPrefix?: string;
  onError?: (err: unknown, context: string) => void;
}

export async function createRedisPubSub(options: RedisPubSubOptions): Promise<RedisPubSub> {
  const publisher = await connectRedis(options.url, { name: 'vigil-pub' });
  try {
    const subscriber = await connectRedis(options.url, { name: 'vigil-sub', queueWhileDisconnected: true });
    return new RedisPubSub(publisher, subscriber, options);
  } catch (err) {
    publisher.disconnect();
    throw err;
  }
}

export class RedisPubSub implements PubSub {
  private readonly prefix: string;
  private readonly onError: (err: unknown, context: string) => void;
  /** Local handlers per subject; a subject is subscribed on Redis while it has any. */
  private readonly handlers = new Map<string, Set<PubSubHandler>>();
  /** Redis SUBSCRIBE / UNSUBSCRIBE of one channel run one after another, in call order. */
  private readonly channelOps = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    options: RedisPubSubOptions,
  ) {
    this.prefix = options.channelPrefix ?? 'vigil:';
    this.onError = options.onError ?? ((err, context) => console.error(`pubsub: ${context}:`, err));
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.deliver(channel.toString(), message));
  }

  private deliver(channel: string, message: Buffer): void {
    if (!channel.startsWith(this.prefix)) return;
    const subject = channel.slice(this.prefix.length);
    for (const handler of [...(this.handlers.get(subject) ?? [])]) {
      try {
        handler(message, subject);
      } catch (err) {
        this.onError(err, `handler of ${subject}`);
      }
    }
  }

  async publish(subject: string, data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('pubsub is closed');
    await this.publisher.publish(this.prefix + subject, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  private onChannel(subject: string, op: () => Promise<unknown>): Promise<void> {
    const next = (this.channelOps.get(subject) ?? Promise.resolve()).then(async () => void (await op()));
    const settled = next.catch(() => undefined);
    this.channelOps.set(subject, settled);
    void settled.then(() => {
      if (this.channelOps.get(subject) === settled) this.channelOps.delete(subject);
    });
    return next;
  }

  async subscribe(subject: string, handler: PubSubHandler): Promise<Unsubscribe> {
    if (this.closed) throw new Error('pubsub is closed');
    const wrapped: PubSubHandler = (data, s) => handler(data, s);
    let set = this.handlers.get(subject);
    const first = !set;
    if (!set) this.handlers.set(subject, (set = new Set()));
    set.add(wrapped);
    try {
      // Every caller waits for the SUBSCRIBE, including a second handler added while it runs.
      await this.onChannel(subject, async () => {
        if (first) await this.subscriber.subscribe(this.prefix + subject);
      });
    } catch (err) {
      await this.remove(subject, wrapped);
      throw err;
    }
    return () => this.remove(subject, wrapped);
  }

  private async remove(subject: string, handler: PubSubHandler): Promise<void> {
    const set = this.handlers.get(subject);
    if (!set?.delete(handler) || set.size > 0) return;
    this.handlers.delete(subject);
    await this.onChannel(subject, async () => {
      // Subscribed again meanwhile: that subscription owns the channel now.
      if (!this.handlers.has(subject) && !this.closed) await this.subscriber.unsubscribe(this.prefix + subject);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await Promise.allSettled([...this.channelOps.values()]);
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }
}
