// What the parent of the multi-node idle-connections benchmark (bench/idle-scaled-out.ts) and its
// client processes (bench/idle-client-worker.ts) tell each other, and how a client picks its ports.

export interface ClientPlan {
  /** This process's place among `workers`: it opens the global indices i with i % workers === index. */
  index: number;
  workers: number;
  /** Connections over all workers. */
  total: number;
  /** MQTT port of each node; connection i goes to node i % nodePorts.length. */
  nodePorts: number[];
  /** Device credentials of each node's connections (a device's connections all go to one node). */
  tokensByNode: string[][];
  /**
   * Source addresses, connection i from sources[i % sources.length], from local port
   * firstPort + floor(i / sources.length): each connection has its own (address, port) over all
   * the client processes. Chosen here because bind() to port 0 makes the kernel search for a free
   * port, which grows slow with tens of thousands bound (Node cannot set IP_BIND_ADDRESS_NO_PORT).
   */
  sources: string[];
  firstPort: number;
  /** Connects per second this process starts. */
  ratePerSec: number;
  /** Connects in flight at most. */
  concurrency: number;
  keepaliveSec: number;
  clientPrefix: string;
}

export type ToWorker = { type: 'open'; plan: ClientPlan } | { type: 'ping'; timeoutMs: number } | { type: 'close' };
export type FromWorker =
  | { type: 'progress'; opened: number; errors: number; lastError: string | null; done: boolean }
  | { type: 'pinged'; alivePerNode: number[]; openPerNode: number[] };

/** Ports past every planned one, SPARE_PORTS per process, for a planned port found taken. */
export const SPARE_PORTS = 200;

/** The n-th spare port of this process. */
export function sparePort(p: ClientPlan, n: number): number {
  const planned = Math.ceil(p.total / p.sources.length);
  return p.firstPort + planned + p.index * SPARE_PORTS + (n % SPARE_PORTS);
}
