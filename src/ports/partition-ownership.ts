// Which partitions of the telemetry stream this node owns (scaled-out mode). A partition's
// detector and rule state live on its owner only; when the owner dies a survivor takes the
// partition over and restores the saved state. One process owns nothing through this port: with
// the embedded log the engine reads the whole stream itself.
export interface PartitionHandlers {
  /** This node now owns the partition: restore its state and start consuming it. */
  acquire(partition: number): Promise<void>;
  /** The node is losing the partition (or lost it): stop consuming, save its state, drop it. */
  release(partition: number): Promise<void>;
}

export interface PartitionOwnership {
  /** How many partitions the stream has (the bus's count). */
  readonly count: number;
  /** Begins claiming partitions; handlers are called one at a time, in order. */
  start(handlers: PartitionHandlers): void;
  /** The partitions owned right now. */
  owned(): ReadonlySet<number>;
  /** Releases every partition (handlers told first) and stops claiming. */
  stop(): Promise<void>;
}
