// Device presence shared through Redis: two `vigil start` processes on PostgreSQL, NATS and Redis.
// A device connected to node A shows as online through node B's API for as long as the connection
// lasts (not only while its last activity is recent), a non-persistent command sent through node B
// is accepted and reaches the device on node A, and once the device disconnects node B sees it
// offline. The inactivity timeout is 1 s, so "online" on node B cannot come from the last-seen time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { createDevice, login, request, waitFor } from '../helpers/harness.js';
import { createCluster, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { skipUnless } from '../helpers/services.js';

async function skipReason(): Promise<false | string> {
  for (const service of ['postgres', 'nats', 'redis'] as const) {
    const reason = await skipUnless(service);
    if (reason) return reason;
  }
  return false;
}

describe('device presence shared by two nodes through Redis', { skip: await skipReason() }, () => {
  let cluster: Cluster;
  let nodeA: ClusterNode;
  let nodeB: ClusterNode;
  let tokenB: string;

  before(async () => {
    cluster = createCluster({ env: { VIGIL_DEVICE_INACTIVITY_TIMEOUT_MS: '1000' } });
    nodeA = await cluster.startNode();
    nodeB = await cluster.startNode();
    tokenB = await login(nodeB.http);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('shared presence - node B shows a device connected to node A as online and sends it a non-persistent command; offline after it disconnects', async () => {
    const device = await createDevice(nodeB.http, tokenB, 'held-by-a');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${nodeA.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0, connectTimeout: 15_000 });
    try {
      const command = new Promise<{ topic: string; body: unknown }>((resolve) =>
        client.on('message', (topic, payload) => topic.startsWith('v1/devices/me/rpc/request/') && resolve({ topic, body: JSON.parse(payload.toString()) })),
      );
      await client.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
      // Past the inactivity timeout since the device's last activity, as node B reads it.
      const view = await waitFor(async () => {
        const r = await request(nodeB.http, 'GET', `/api/v1/devices/${device.id}`, { token: tokenB });
        return r.body.lastSeenAt !== null && Date.now() - r.body.lastSeenAt > 1_500 && r.body;
      }, 'node B reads a last-seen time older than the inactivity timeout', 30_000);
      assert.equal(view.status, 'online', 'connected to node A, so online on node B');
      const listed = await request(nodeB.http, 'GET', '/api/v1/devices?status=online', { token: tokenB });
      assert.ok((listed.body.items as { id: string }[]).some((d) => d.id === device.id), 'listed as online on node B');

      // A two-way call: node B answers the API request with the device's reply.
      const sent = request(nodeB.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token: tokenB, body: { method: 'blink', params: { times: 2 }, timeoutMs: 30_000 } });
      const got = await command;
      assert.deepEqual(got.body, { method: 'blink', params: { times: 2 } });
      await client.publishAsync(got.topic.replace('/request/', '/response/'), '"blinked"', { qos: 1 });
      const answered = await sent;
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      assert.equal(answered.body.response, 'blinked');
    } finally {
      await client.endAsync();
    }
    await waitFor(async () => {
      const r = await request(nodeB.http, 'GET', `/api/v1/devices/${device.id}`, { token: tokenB });
      return r.body.status === 'offline';
    }, 'node B sees the device offline once it disconnected from node A', 30_000);
    const refused = await request(nodeB.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token: tokenB, body: { method: 'blink' } });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
  });
});
