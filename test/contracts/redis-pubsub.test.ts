import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisPubSub } from '../../src/adapters/distributed/redis-pubsub.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { pubSubContract } from './pubsub.contract.js';

describe('RedisPubSub (Redis)', { skip: await skipUnless('redis') }, () => {
  pubSubContract('RedisPubSub', async () => {
    // Every node of one fixture shares the channel prefix; fixtures (and runs) do not.
    const channelPrefix = `${uniqueName('vt')}:`;
    return {
      open: () => createRedisPubSub({ url: serviceUrls.redis, channelPrefix, onError: () => undefined }),
      subject: (name) => name,
    };
  });

  test('RedisPubSub - while Redis is unreachable publish rejects; after it returns, subscriptions work again', async (t) => {
    const redisUrl = new URL(serviceUrls.redis);
    const proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port));
    const proxied = new URL(serviceUrls.redis);
    proxied.port = String(proxy.port);
    const channelPrefix = `${uniqueName('vt')}:`;
    const node = await createRedisPubSub({ url: proxied.toString(), channelPrefix, onError: () => undefined });
    const direct = await createRedisPubSub({ url: serviceUrls.redis, channelPrefix, onError: () => undefined });
    try {
      const got: string[] = [];
      await node.subscribe('device.updated', (data) => void got.push(Buffer.from(data).toString()));
      const cutAt = Date.now();
      await proxy.cut();
      await assert.rejects(async () => {
        // The first command after the cut may still find the socket open for a moment.
        for (;;) {
          await node.publish('device.updated', Buffer.from('lost'));
          await new Promise((r) => setTimeout(r, 5));
        }
      });
      t.diagnostic(`publish rejected ${Date.now() - cutAt} ms after the cut`);
      const restoredAt = Date.now();
      await proxy.restore();
      // Resubscribed after the reconnect: a message from another node arrives again.
      const deadline = Date.now() + 20_000;
      while (!got.includes('back')) {
        if (Date.now() > deadline) throw new Error('no delivery after Redis came back');
        await direct.publish('device.updated', Buffer.from('back'));
        await new Promise((r) => setTimeout(r, 50));
      }
      t.diagnostic(`subscription delivering again ${Date.now() - restoredAt} ms after Redis came back`);
    } finally {
      await node.close();
      await direct.close();
      await proxy.close();
    }
  });

  test('RedisPubSub - an unreachable Redis fails fast with a message naming the URL', async () => {
    await assert.rejects(createRedisPubSub({ url: 'redis://127.0.0.1:1' }), /Redis not reachable at redis:\/\/127\.0\.0\.1:1/);
  });
});
