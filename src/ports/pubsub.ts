// Cross-node events, at most once: a credential was revoked, a device or alarm changed, points
// for live fan-out. Every node subscribed to a subject when a message is published receives it
// once; a node that is down or disconnected at that moment misses it (durable work goes on the
// Bus instead). Embedded: in process; scaled out: Redis pub/sub.

/** Gets each message's bytes and the subject it was published on. */
export type PubSubHandler = (data: Uint8Array, subject: string) => void;

/** Stops delivery to the handler it was returned for. */
export type Unsubscribe = () => Promise<void>;

export interface PubSub {
  /**
   * Hands the message to every current subscriber of the subject, on every node, this one
   * included. Resolves once the transport took it; rejects when it cannot (e.g. Redis down).
   */
  publish(subject: string, data: Uint8Array): Promise<void>;
  /** Resolves once subscribed: every message published after that reaches the handler. */
  subscribe(subject: string, handler: PubSubHandler): Promise<Unsubscribe>;
  /** Drops this node's subscriptions and releases connections. */
  close(): Promise<void>;
}
