// In-process PubSub. Instances made on one MemoryPubSubHub see each other's messages, like
// nodes on one Redis, which lets a test run several apps in one process; by default each
// instance has a hub of its own (a single node). Delivery is asynchronous (a microtask later),
// as over a network, so callers never come to rely on the handler running inside publish().
import type { PubSub, PubSubHandler, Unsubscribe } from '../../ports/pubsub.js';

export class MemoryPubSubHub {
  readonly subjects = new Map<string, Set<PubSubHandler>>();
}

export class MemoryPubSub implements PubSub {
  private readonly own = new Set<{ subject: string; handler: PubSubHandler }>();
  private closed = false;

  constructor(
    private readonly hub = new MemoryPubSubHub(),
    private readonly onError: (err: unknown, context: string) => void = (err, context) => console.error(`pubsub: ${context}:`, err),
  ) {}

  async publish(subject: string, data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('pubsub is closed');
    const handlers = this.hub.subjects.get(subject);
    if (!handlers) return;
    // A private copy per message, as each Redis subscriber gets its own buffer.
    const bytes = Uint8Array.from(data);
    for (const handler of [...handlers]) {
      queueMicrotask(() => {
        // Unsubscribed in the meantime: as on Redis, nothing more arrives after unsubscribe.
        if (!handlers.has(handler)) return;
        try {
          handler(bytes, subject);
        } catch (err) {
          this.onError(err, `handler of ${subject}`);
        }
      });
    }
  }

  async subscribe(subject: string, handler: PubSubHandler): Promise<Unsubscribe> {
    if (this.closed) throw new Error('pubsub is closed');
    // The same function subscribed twice gets each message twice, as with Redis.
    const wrapped: PubSubHandler = (data, s) => handler(data, s);
    let handlers = this.hub.subjects.get(subject);
    if (!handlers) this.hub.subjects.set(subject, (handlers = new Set()));
    handlers.add(wrapped);
    const entry = { subject, handler: wrapped };
    this.own.add(entry);
    return async () => this.remove(entry);
  }

  private remove(entry: { subject: string; handler: PubSubHandler }): void {
    if (!this.own.delete(entry)) return;
    const handlers = this.hub.subjects.get(entry.subject);
    handlers?.delete(entry.handler);
    if (handlers?.size === 0) this.hub.subjects.delete(entry.subject);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of [...this.own]) this.remove(entry);
  }
}
