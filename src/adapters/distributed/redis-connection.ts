// One way to open a Redis connection for Vigil: connect now and fail with one line naming the
// URL, then reconnect forever in the background. Commands issued while disconnected fail at
// once instead of queueing (a rate-limit check or an event must not hang a device's request).
import { Redis } from 'ioredis';

export interface RedisConnectOptions {
  /** Shown in CLIENT LIST, to tell Vigil's connections apart. */
  name: string;
  connectTimeoutMs?: number;
  /** A subscriber connection keeps the offline queue so it resubscribes cleanly after a reconnect. */
  queueWhileDisconnected?: boolean;
}

const MAX_RECONNECT_DELAY_MS = 2_000;

export async function connectRedis(url: string, options: RedisConnectOptions): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: options.name,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    enableOfflineQueue: options.queueWhileDisconnected ?? false,
    maxRetriesPerRequest: options.queueWhileDisconnected ? null : 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Connection errors are reported through the commands that fail; an 'error' event without a
  // listener would crash the process.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis not reachable at ${redactPassword(url)}: ${(err as Error).message}`, { cause: err });
  }
  return redis;
}

function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
