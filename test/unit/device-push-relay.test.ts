// Server-to-device messages across nodes: two "nodes" in one process on one PubSub hub (as two
// processes on one Redis) and one device-state store (as PostgreSQL would be shared). Node A takes
// the API call; the device is connected to node B only (B's channel stands for its MQTT session).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryPubSub, MemoryPubSubHub } from '../../src/adapters/embedded/memory-pubsub.js';
import { DuckDbDeviceStateStore } from '../../src/adapters/embedded/duckdb-device-state-store.js';
import type { DuckDbDatabase } from '../../src/adapters/embedded/duckdb-database.js';
import { AttributeService, type SharedUpdate } from '../../src/domains/device-api/attributes.service.js';
import { RpcService } from '../../src/domains/device-api/rpc.service.js';
import { relayDevicePushes } from '../../src/domains/device-api/device-push-relay.js';
import type { RpcCall } from '../../src/ports/device-state-store.js';
import { createLogger } from '../../src/observability/logger.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { waitFor } from '../helpers/harness.js';

const limits = { maxPayloadSize: 65536, maxInflightMessages: 100, messagesRateLimit: '100:1' };

describe('device pushes relayed between nodes', () => {
  let db: DuckDbDatabase;
  let store: DuckDbDeviceStateStore;
  const hub = new MemoryPubSubHub();
  const pubsubs: MemoryPubSub[] = [];
  const rpcs: RpcService[] = [];

  async function node(device: { tenantId: string; deviceId: string }, holdsDevice: boolean) {
    const pubsub = new MemoryPubSub(hub);
    pubsubs.push(pubsub);
    const attributes = new AttributeService(store);
    const rpc = new RpcService(store, limits);
    await rpc.start();
    rpcs.push(rpc);
    const pushedUpdates: SharedUpdate[] = [];
    const pushedCalls: RpcCall[] = [];
    // The transport's listener and channel, registered first as in the app.
    attributes.onSharedUpdate((d, update) => holdsDevice && d.deviceId === device.deviceId && pushedUpdates.push(update));
    rpc.useChannel((call, onAcked) => {
      if (!holdsDevice || call.deviceId !== device.deviceId) return false;
      pushedCalls.push(call);
      onAcked();
      return true;
    });
    await relayDevicePushes({ attributes, rpc }, pubsub, createLogger('silent'));
    return { attributes, rpc, pushedUpdates, pushedCalls };
  }

  before(async () => {
    db = await openTempDuckDb();
    store = new DuckDbDeviceStateStore(db);
    await store.init();
  });
  after(async () => {
    for (const rpc of rpcs) rpc.stop();
    for (const p of pubsubs) await p.close();
    await store.close();
    db.close();
  });

  test('a shared-attribute update made on node A is pushed once, by node B that holds the device', async () => {
    const device = { tenantId: 't1', deviceId: 'attribute-device' };
    const a = await node(device, false);
    const b = await node(device, true);
    await a.attributes.set(device, 'shared', { targetTemp: 21.5 }, 'user:u1');
    await waitFor(async () => b.pushedUpdates.length === 1, 'node B pushes the update');
    assert.deepEqual(b.pushedUpdates[0], { targetTemp: 21.5 });
    // Delivered once: B's own replay is not announced again, A ignores its own announcement.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(b.pushedUpdates.length, 1);
    assert.equal(a.pushedUpdates.length, 0);
  });

  test('an RPC call made on node A is delivered by node B from the shared store and marked delivered', async () => {
    const device = { tenantId: 't1', deviceId: 'rpc-device' };
    const [a, b] = [await node(device, false), await node(device, true)];
    const call = await a.rpc.send(device, { method: 'reboot', params: { delay: 1 }, persistent: true });
    await waitFor(async () => b.pushedCalls.some((c) => c.id === call.id), 'node B pushes the call');
    assert.equal(b.pushedCalls.filter((c) => c.id === call.id).length, 1, 'pushed once');
    const stored = await waitFor(async () => {
      const now = await a.rpc.get(device.tenantId, call.id);
      return now?.status === 'delivered' ? now : null;
    }, 'the call marked delivered');
    assert.equal(stored.method, 'reboot');
  });

  // Without the relay's word the caller on node A would wait for the call's deadline (a day here),
  // so the test's own timeout is what fails it.
  test('a two-way RPC call made on node A and answered by the device on node B returns the answer to the caller on node A', { timeout: 60_000 }, async () => {
    const device = { tenantId: 't1', deviceId: 'rpc-answer-device' };
    const [a, b] = [await node(device, false), await node(device, true)];
    const call = await a.rpc.send(device, { method: 'read', params: { register: 7 }, timeoutMs: 24 * 3600_000 });
    const answered = a.rpc.waitForFinal(call);
    await waitFor(async () => b.pushedCalls.some((c) => c.id === call.id), 'node B pushes the call');
    await b.rpc.respond(device, call.requestId, { value: 42 });
    const final = await answered;
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.response, { value: 42 });
  });
});
