// A topic handler answering a device request (MQTT 5 request/response and the ThingsBoard way),
// with the transport built on stand-ins for the domain services.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { MqttTransport } from '../../src/transports/mqtt/transport.js';
import type { TopicHandler } from '../../src/transports/mqtt/handlers/handler.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

const noop = () => undefined;

describe('MQTT handlers replying to a device', () => {
  let transport: MqttTransport;
  let port: number;
  before(async () => {
    const rpc: TopicHandler = {
      handle(ctx) {
        const id = ctx.topic.split('/').pop();
        ctx.reply(`v1/devices/me/rpc/response/${id}`, JSON.stringify({ time: 42, user: ctx.properties?.userProperties?.origin ?? null }));
        return { reason: 0 };
      },
    };
    transport = new MqttTransport({
      devices: { authenticate: async (token: string) => (token === 'good' ? { id: 'd1', tenantId: 't1' } : null), onCredentialsRevoked: noop, onDeviceDeleted: noop } as never,
      ingest: { rateLimitWaitMs: () => 0, recordRejection: noop, acceptRaw: async () => 1 } as never,
      presence: { connected: noop, disconnected: noop } as never,
      metrics: createMetrics(),
      log: createLogger('silent'),
      maxPayloadBytes: 65536,
      handlers: { rpc },
    });
    port = (await transport.listen(0, '127.0.0.1')).mqttPort;
  });
  after(() => transport.close());

  test('MQTT 5: the reply goes to the response topic with the correlation data', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'good', protocolVersion: 5, reconnectPeriod: 0 });
    await client.subscribeAsync('v1/devices/me/rpc/response/+', { qos: 1 });
    const reply = new Promise<{ topic: string; body: string; correlation?: string }>((resolve) =>
      client.once('message', (topic, payload, packet) => resolve({ topic, body: payload.toString(), correlation: packet.properties?.correlationData?.toString() })),
    );
    await client.publishAsync('v1/devices/me/rpc/request/9', '{"method":"getCurrentTime","params":{}}', {
      qos: 1,
      properties: { responseTopic: 'v1/devices/me/rpc/response/abc', correlationData: Buffer.from('corr-1'), userProperties: { origin: 'fw' } },
    });
    assert.deepEqual(await reply, { topic: 'v1/devices/me/rpc/response/abc', body: '{"time":42,"user":"fw"}', correlation: 'corr-1' });
    await client.endAsync();
  });

  test('MQTT 3.1.1: the reply goes to the ThingsBoard response topic', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'good', protocolVersion: 4, reconnectPeriod: 0 });
    await client.subscribeAsync('v1/devices/me/rpc/response/+', { qos: 1 });
    const reply = new Promise<string>((resolve) => client.once('message', (topic, payload) => resolve(`${topic} ${payload}`)));
    await client.publishAsync('v1/devices/me/rpc/request/5', '{"method":"getCurrentTime","params":{}}', { qos: 1 });
    assert.equal(await reply, 'v1/devices/me/rpc/response/5 {"time":42,"user":null}');
    await client.endAsync();
  });

  test('no reply reaches a device that did not subscribe to it', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'good', protocolVersion: 5, reconnectPeriod: 0 });
    let got = 0;
    client.on('message', () => got++);
    await client.publishAsync('v1/devices/me/rpc/request/6', '{}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got, 0);
    await client.endAsync();
  });
});
