// Fire-and-forget fan-out between the parts of one node (embedded) or across nodes (Redis).
// Nothing here is durable: durability is the Bus's job.
export type PubSubHandler = (message: unknown) => void;

export interface PubSub {
  publish(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, handler: PubSubHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
