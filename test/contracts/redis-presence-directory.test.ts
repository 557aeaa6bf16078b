// RedisPresenceDirectory on this machine's Redis (skipped with a reason where it is missing): two
// directories with one key prefix stand for two nodes. What a node records, the other reads; a
// node's release never removes the entry of the node the device moved to; an entry its node
// stops refreshing (a killed node) disappears on its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisPresenceDirectory, type RedisPresenceDirectory } from '../../src/adapters/distributed/redis-presence-directory.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';
import { waitFor } from '../helpers/harness.js';

describe('RedisPresenceDirectory', { skip: await skipUnless('redis') }, () => {
  let nodeA: RedisPresenceDirectory;
  let nodeB: RedisPresenceDirectory;

  before(async () => {
    const keyPrefix = `${uniqueName('vt')}:`;
    nodeA = await createRedisPresenceDirectory(serviceUrls.redis, { keyPrefix, ttlMs: 1_000 });
    nodeB = await createRedisPresenceDirectory(serviceUrls.redis, { keyPrefix, ttlMs: 1_000 });
  });
  after(async () => {
    await nodeA?.close();
    await nodeB?.close();
  });

  test('presence - a connection recorded by one node is read by the other, with its node and start', async () => {
    await nodeA.hold('t1', 'dev-1', 1_700_000_000_000);
    const found = await nodeB.lookup(['dev-1', 'dev-unknown']);
    assert.deepEqual([...found], [['dev-1', { node: nodeA.node, tenantId: 't1', since: 1_700_000_000_000 }]]);
    await nodeA.release('dev-1');
    assert.equal((await nodeB.lookup(['dev-1'])).size, 0);
  });

  test('presence - the old node releasing a device that reconnected to another node leaves the new entry', async () => {
    await nodeA.hold('t1', 'dev-2', 1);
    await nodeB.hold('t1', 'dev-2', 2); // the device reconnected through the balancer to node B
    await nodeA.release('dev-2'); // node A notices its old session closed
    assert.equal((await nodeA.lookup(['dev-2'])).get('dev-2')?.node, nodeB.node);
    await nodeB.release('dev-2');
  });

  test('presence - refreshed entries stay; an entry whose node stopped refreshing expires', async () => {
    await nodeA.hold('t1', 'kept', 1);
    await nodeA.hold('t1', 'abandoned', 1);
    await nodeB.hold('t1', 'taken-over', 1);
    // Node A refreshes what it holds; it cannot extend node B's entry.
    const refresher = setInterval(() => void nodeA.refresh(['kept', 'taken-over']), nodeA.refreshIntervalMs);
    try {
      await waitFor(async () => (await nodeB.lookup(['abandoned', 'taken-over'])).size === 0, 'the unrefreshed entries expire', 10_000);
      assert.equal((await nodeB.lookup(['kept'])).get('kept')?.node, nodeA.node);
    } finally {
      clearInterval(refresher);
      await nodeA.release('kept');
    }
  });
});
