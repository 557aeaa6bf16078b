// How an accepted batch reaches live clients. One node: straight to its own Socket.IO clients.
// Several nodes: the accepting node publishes the batch once on PubSub (Redis) and every node,
// itself included, hands it to its own clients in the rooms that watch it. Cheaper than a
// Socket.IO broadcast per room: one message per batch, and the per-key filtering stays local.
// At most once, as live data is: a node cut off from Redis misses what was sent meanwhile.
import type { PubSub } from '../../ports/pubsub.js';
import type { PointBatch } from '../../ports/telemetry.js';
import { LogThrottle, type Logger } from '../../observability/logger.js';
import { decodeBatch, encodeBatch } from '../../domains/telemetry/batch-codec.js';
import type { LiveStream } from './live.js';

export const LIVE_TELEMETRY_SUBJECT = 'live.telemetry';

/** Returns the function that fans one accepted batch out; `pubsub` null means this node only. */
export async function liveFanout(live: LiveStream, pubsub: PubSub | null, log: Logger): Promise<(batch: PointBatch) => void> {
  if (!pubsub) return (batch) => live.publishBatch(batch);
  await pubsub.subscribe(LIVE_TELEMETRY_SUBJECT, (data) => live.publishBatch(decodeBatch(0, data)));
  const throttle = new LogThrottle();
  return (batch) => {
    pubsub.publish(LIVE_TELEMETRY_SUBJECT, encodeBatch(batch)).catch((err) => {
      if (throttle.shouldLog('live fan-out')) log.warn({ err }, 'live fan-out to other nodes failed; dashboards miss these points');
    });
  };
}
