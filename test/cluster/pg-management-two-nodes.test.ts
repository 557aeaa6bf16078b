// Device management, rules and notifications in scaled-out mode: two `vigil start` processes on
// one PostgreSQL schema (with NATS and Redis, as a cluster runs). What a user sets through one
// node is what the other node serves: attributes, rules, notification channels (their secret
// usable by both, with the shared VIGIL_SECRETS_KEY), OTA packages and their chunks. Neither node
// opens a management.duckdb of its own. A command queued on one node reaches its device on the other.
// MQTT basic credentials set through one node let the device in through the other, and disabling
// it through one node refuses it on the other. A device profile made on one node is used by the other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDevice, login, request, waitFor } from '../helpers/harness.js';
import { createCluster, skipUnlessCluster, type Cluster, type ClusterNode } from '../helpers/cluster.js';

describe('management state shared by two nodes on PostgreSQL', { skip: await skipUnlessCluster() }, () => {
  let cluster: Cluster;
  let node1: ClusterNode;
  let node2: ClusterNode;
  let token1: string;
  let token2: string;

  before(async () => {
    cluster = createCluster();
    cluster.env.VIGIL_SECRETS_KEY = 'cluster-secrets-key-of-at-least-32-characters';
    node1 = await cluster.startNode();
    node2 = await cluster.startNode();
    token1 = await login(node1.http);
    token2 = await login(node2.http);
  });
  after(async () => {
    await cluster?.stop();
  });

  test('two nodes - attributes, rules and channels set on one node are served by the other; no node-local management file', async () => {
    const device = await createDevice(node1.http, token1, 'shared-state');
    const set = await request(node1.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token: token1, body: { interval: 30, mode: 'eco' } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const attrs = await request(node2.http, 'GET', `/api/v1/devices/${device.id}/attributes?scope=shared`, { token: token2 });
    assert.equal(attrs.status, 200, JSON.stringify(attrs.body));
    assert.deepEqual(
      Object.fromEntries((attrs.body.items as { key: string; value: unknown }[]).map((a) => [a.key, a.value])),
      { interval: 30, mode: 'eco' },
    );

    const rule = await request(node1.http, 'POST', '/api/v1/rules', {
      token: token1,
      body: { name: 'pump hot', target: { deviceId: device.id }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, durationMs: '10m' } },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const rules = await request(node2.http, 'GET', '/api/v1/rules', { token: token2 });
    assert.deepEqual((rules.body.items as { id: string }[]).map((r) => r.id), [rule.body.id]);

    const channel = await request(node1.http, 'POST', '/api/v1/notifications/channels', {
      token: token1,
      body: { name: 'ops hook', type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'signing-secret' },
    });
    assert.equal(channel.status, 201, JSON.stringify(channel.body));
    const channels = await request(node2.http, 'GET', '/api/v1/notifications/channels', { token: token2 });
    assert.deepEqual((channels.body.items as { id: string; hasSecret: boolean }[]).map((c) => [c.id, c.hasSecret]), [[channel.body.id, true]]);

    for (const node of [node1, node2]) assert.equal(existsSync(join(node.dataDir, 'management.duckdb')), false, 'management state is in PostgreSQL only');
  });

  test('two nodes - a package uploaded through one node downloads in chunks through the other', async () => {
    const image = randomBytes(300_000);
    const uploaded = await fetch(`${node1.http}/api/v1/ota/packages?kind=firmware&title=gw-fw&version=1.0.0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token1}`, 'content-type': 'application/octet-stream' },
      body: image,
    });
    assert.equal(uploaded.status, 201, await uploaded.clone().text());
    const device = await createDevice(node2.http, token2, 'gw-1');
    const parts: Buffer[] = [];
    for (let n = 0; n < 40; n++) {
      const res = await fetch(`${node2.http}/api/v1/${device.accessToken}/firmware?title=gw-fw&version=1.0.0&size=16384&chunk=${n}`);
      assert.equal(res.status, 200);
      const part = Buffer.from(await res.arrayBuffer());
      if (part.length === 0) break;
      parts.push(part);
    }
    assert.ok(Buffer.concat(parts).equals(image), 'the chunks make up the uploaded image');
  });

  test('two nodes - a persistent command sent through one node reaches the device when it connects to the other; its reply is seen by both', async () => {
    const device = await createDevice(node1.http, token1, 'sleepy');
    const sent = await request(node1.http, 'POST', `/api/v1/devices/${device.id}/rpc`, {
      token: token1,
      body: { method: 'reboot', params: { delayS: 1 }, persistent: true, timeoutMs: 60_000 },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${node2.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0, connectTimeout: 15_000 });
    try {
      const command = new Promise<{ topic: string; body: unknown }>((resolve) =>
        client.on('message', (topic, payload) => topic.startsWith('v1/devices/me/rpc/request/') && resolve({ topic, body: JSON.parse(payload.toString()) })),
      );
      await client.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
      const got = await command;
      assert.equal(got.topic, `v1/devices/me/rpc/request/${sent.body.requestId}`);
      assert.deepEqual(got.body, { method: 'reboot', params: { delayS: 1 } });
      await client.publishAsync(`v1/devices/me/rpc/response/${sent.body.requestId}`, '"rebooting"', { qos: 1 });
      for (const [node, token] of [[node1, token1], [node2, token2]] as const) {
        const final = await waitFor(async () => {
          const r = await request(node.http, 'GET', `/api/v1/devices/${device.id}/rpc/${sent.body.id}`, { token });
          return r.body.status === 'succeeded' && r.body;
        }, 'the reply stored');
        assert.equal(final.response, 'rebooting');
      }
    } finally {
      await client.endAsync();
    }
  });

  test('two nodes - MQTT basic credentials set through one node let the device in through the other; disabled through one node, refused by the other', async () => {
    const device = await createDevice(node1.http, token1, 'basic-across');
    const credentials = { clientId: `cid-${device.id}`, username: 'meter-user', password: 'meter-pass-1' };
    const set = await request(node1.http, 'PUT', `/api/v1/devices/${device.id}/credentials/mqtt-basic`, { token: token1, body: credentials });
    assert.equal(set.status, 200, JSON.stringify(set.body));

    const connect = (options: IClientOptions): Promise<MqttClient> =>
      new Promise((resolve, reject) => {
        const client = mqtt.connect(`mqtt://127.0.0.1:${node2.mqttPort}`, { reconnectPeriod: 0, connectTimeout: 15_000, protocolVersion: 4, ...options });
        client.once('connect', () => resolve(client));
        client.once('error', (err) => {
          client.end(true);
          reject(err);
        });
      });
    const refused = (err: unknown) => (err as { code?: number }).code === 5;

    await assert.rejects(connect({ ...credentials, password: 'wrong' }), refused, 'the password is checked on the other node too');
    const client = await connect(credentials);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await client.publishAsync('v1/devices/me/telemetry', '{"across_nodes": 42}', { qos: 1 });
    const stored = await waitFor(async () => {
      const r = await request(node1.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=across_nodes`, { token: token1 });
      return r.body?.data?.across_nodes?.value;
    }, 'the point published through node 2 stored');
    assert.equal(stored, 42);

    assert.equal((await request(node1.http, 'POST', `/api/v1/devices/${device.id}/disable`, { token: token1 })).status, 204);
    await closed; // node 2 heard of it: its session of the device ended
    await assert.rejects(connect(credentials), refused, 'node 2 refuses the next CONNECT');
    assert.equal((await request(node2.http, 'GET', `/api/v1/devices/${device.id}`, { token: token2 })).body.disabled, true);

    assert.equal((await request(node1.http, 'POST', `/api/v1/devices/${device.id}/enable`, { token: token1 })).status, 204);
    const back = await waitFor(() => connect(credentials).catch(() => null), 'node 2 lets the enabled device back');
    await back.endAsync();
  });

  test('two nodes - a device profile created through one node is known to the other without a restart', async () => {
    const created = await request(node1.http, 'POST', '/api/v1/device-profiles', {
      token: token1,
      body: { name: 'cross-node-meter', telemetrySchema: { keys: { power: { type: 'number', min: 0 } }, unknownKeys: 'reject' }, inactivityTimeoutMs: 120_000 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const seen = await waitFor(async () => {
      const r = await request(node2.http, 'GET', `/api/v1/device-profiles/${created.body.id}`, { token: token2 });
      return r.status === 200 && r.body;
    }, 'node 2 knows the profile');
    assert.deepEqual(seen.telemetrySchema, created.body.telemetrySchema);
    const clash = await request(node2.http, 'POST', '/api/v1/device-profiles', { token: token2, body: { name: 'cross-node-meter' } });
    assert.equal(clash.status, 409, 'the name is taken on every node');
  });
});
