// The Socket.IO Redis adapter: a broadcast on one node (io.to(room).emit) is published on Redis
// and every node emits it to its own clients in that room, so a dashboard connected to node B
// sees what node A accepted. Two connections (a subscriber connection can do nothing else).
import { createAdapter } from '@socket.io/redis-adapter';
import type { ServerOptions } from 'socket.io';
import { connectRedis } from './redis-connection.js';

export interface LiveRedisAdapter {
  adapter: ServerOptions['adapter'];
  close(): Promise<void>;
}

export async function createLiveRedisAdapter(url: string, channelKey: string): Promise<LiveRedisAdapter> {
  const pub = await connectRedis(url, { name: 'vigil-live-pub' });
  let sub;
  try {
    sub = await connectRedis(url, { name: 'vigil-live-sub', queueWhileDisconnected: true });
  } catch (err) {
    pub.disconnect();
    throw err;
  }
  // The adapter publishes without handling the promise; while Redis is down that rejection would
  // be unhandled and end the process. Live data is at most once: a lost broadcast is dropped.
  const publish = pub.publish.bind(pub) as (channel: string | Buffer, message: string | Buffer) => Promise<number>;
  (pub as unknown as { publish: typeof publish }).publish = (channel, message) => publish(channel, message).catch(() => 0);
  return {
    adapter: createAdapter(pub, sub, { key: channelKey }),
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
