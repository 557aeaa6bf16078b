// Credentials that end on one node must end on every node: each node caches which sessions are
// active and which tenants are suspended (every request asks), and holds live sockets opened with
// those sessions. A revocation is applied here at once and published on PubSub; every other
// node applies it on receipt (Redis pub/sub: milliseconds). A node disconnected from Redis at
// that moment misses it; its cached "active" then lives until the node restarts, which the
// store-backed checks at refresh and login bound to one access-token lifetime.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { PubSub, Unsubscribe } from '../../ports/pubsub.js';

export const INVALIDATIONS_SUBJECT = 'auth.invalidated';

export type Invalidation =
  /** Sessions revoked: logout, user disabled/deleted/role changed, password changed or reset. */
  | { kind: 'sessions'; ids: string[] }
  /** A tenant suspended (or deleted) or resumed. */
  | { kind: 'tenant'; tenantId: string; suspended: boolean }
  /** Something a principal's permissions derive from changed (a custom role, tenant limits): drop caches. */
  | { kind: 'tenant-settings'; tenantId: string }
  /** A custom role's permissions changed or it was deleted. */
  | { kind: 'custom-role'; roleId: string };

type Listener = (invalidation: Invalidation) => void;

export class Invalidations {
  private readonly node = randomUUID();
  private readonly listeners: Listener[] = [];
  private pubsub: PubSub | null = null;
  private log: Logger | null = null;

  /** Listeners run for this node's own invalidations and for those of every other node. */
  on(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Applies an invalidation here and tells the other nodes. Never throws: a failed publish is logged. */
  announce(invalidation: Invalidation): void {
    this.apply(invalidation);
    if (!this.pubsub) return;
    const message = Buffer.from(JSON.stringify({ from: this.node, ...invalidation }));
    this.pubsub.publish(INVALIDATIONS_SUBJECT, message).catch((err) => {
      this.log?.error({ err, invalidation }, 'could not tell the other nodes about a revocation; they honour it only after their caches expire');
    });
  }

  /** Starts relaying over PubSub (one subscription per node). */
  async connect(pubsub: PubSub, log: Logger): Promise<Unsubscribe> {
    this.pubsub = pubsub;
    this.log = log;
    return pubsub.subscribe(INVALIDATIONS_SUBJECT, (data) => {
      let message: Invalidation & { from?: string };
      try {
        message = JSON.parse(Buffer.from(data).toString('utf8'));
      } catch (err) {
        log.warn({ err }, 'ignoring an unreadable invalidation message');
        return;
      }
      if (message.from === this.node) return; // applied when announced
      const { from: _from, ...invalidation } = message;
      this.apply(invalidation as Invalidation);
    });
  }

  private apply(invalidation: Invalidation): void {
    for (const listener of this.listeners) {
      try {
        listener(invalidation);
      } catch (err) {
        this.log?.error({ err, invalidation }, 'an invalidation listener failed');
      }
    }
  }
}
