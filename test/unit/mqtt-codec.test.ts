// Framing and topic rules of the MQTT transport, table-driven.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { connectProtocolLevel, decodePlainPublish, decoder, encode, encodeAck, FRAME_INCOMPLETE, FRAME_MALFORMED, frameLength } from '../../src/transports/mqtt/codec.js';
import { mayDeviceSubscribe, topicFamily, topicMatches } from '../../src/transports/mqtt/topics.js';

describe('MQTT framing', () => {
  test('frame length - from the fixed header alone [MQTT-1.5.5]', () => {
    const cases: [number[], number][] = [
      [[0x30], FRAME_INCOMPLETE],
      [[0x30, 0], 2],
      [[0x30, 127], 129],
      [[0x30, 0x80], FRAME_INCOMPLETE],
      [[0x30, 0x80, 0x01], 131],
      [[0x30, 0xff, 0xff, 0xff, 0x7f], 1 + 4 + 268_435_455],
      [[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], FRAME_MALFORMED],
    ];
    for (const [bytes, expected] of cases) assert.equal(frameLength(Buffer.from(bytes), 0), expected, JSON.stringify(bytes));
  });

  test('protocol level - read before the parser sees the CONNECT', () => {
    const connect = (name: string, level: number) => Buffer.from([0x10, 2 + name.length + 1, 0, name.length, ...Buffer.from(name), level]);
    assert.equal(connectProtocolLevel(connect('MQTT', 4)), 4);
    assert.equal(connectProtocolLevel(connect('MQTT', 5)), 5);
    assert.equal(connectProtocolLevel(connect('MQIsdp', 3)), 3);
    assert.equal(connectProtocolLevel(Buffer.from([0x10, 1, 0])), -1);
  });

  test('acks - 3.1.1 and 5 forms decode back to what was meant', () => {
    const v4 = decoder.decode(encodeAck('puback', 513, 0, null, 4), 4) as { messageId: number };
    assert.equal(v4.messageId, 513);
    const v5 = decoder.decode(encodeAck('puback', 7, 0x97, null, 5), 5) as { messageId: number; reasonCode: number };
    assert.deepEqual([v5.messageId, v5.reasonCode], [7, 0x97]);
    const withText = decoder.decode(encodeAck('pubrec', 9, 0x99, 'bad json', 5), 5) as { reasonCode: number; properties: { reasonString: string } };
    assert.deepEqual([withText.reasonCode, withText.properties.reasonString], [0x99, 'bad json']);
  });

  test('a malformed frame is an error and the shared decoder still works after it', () => {
    assert.ok(decoder.decode(Buffer.from([0x30, 4, 0, 200, 0x61, 0x62]), 4) instanceof Error);
    const ok = decoder.decode(Buffer.from([0xc0, 0]), 4) as { cmd: string };
    assert.equal(ok.cmd, 'pingreq');
  });
});

describe('MQTT topics', () => {
  test('topic filters match like MQTT wildcards', () => {
    const cases: [string, string, boolean][] = [
      ['v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/request/12', true],
      ['v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/request/12/x', false],
      ['v1/gateway/#', 'v1/gateway/telemetry', true],
      ['v2/fw/response/+/chunk/+', 'v2/fw/response/3/chunk/0', true],
      ['v2/a', 'v2/a/res/1', false],
    ];
    for (const [filter, topic, expected] of cases) assert.equal(topicMatches(filter, topic), expected, `${filter} ~ ${topic}`);
  });

  test('each device topic belongs to one family', () => {
    const cases: [string, string | null][] = [
      ['v1/devices/me/telemetry', 'telemetry'],
      ['v2/t/j', 'telemetry'],
      ['v1/devices/me/attributes', 'attributes'],
      ['v1/devices/me/attributes/request/1', 'attributes'],
      ['v1/devices/me/rpc/response/4', 'rpc'],
      ['/provision/request', 'provision'],
      ['v1/devices/me/claim', 'claim'],
      ['v2/fw/request/1/chunk/0', 'firmware'],
      ['v1/gateway/connect', 'gateway'],
      ['v1/devices/other/telemetry', null],
    ];
    for (const [topic, family] of cases) assert.equal(topicFamily(topic), family, topic);
  });

  test('a device may subscribe to its own server-to-device topics only', () => {
    assert.equal(mayDeviceSubscribe('v1/devices/me/rpc/request/+'), true);
    assert.equal(mayDeviceSubscribe('v1/devices/me/telemetry'), false);
    assert.equal(mayDeviceSubscribe('#'), false);
    assert.equal(mayDeviceSubscribe('v1/devices/+/rpc/request/+'), false);
  });
});

describe('MQTT publish decoding', () => {
  /** What mqtt-packet's own parser makes of a frame (the reference for the hand-written fast path). */
  function reference(frame: Buffer, protocolVersion: 3 | 4 | 5): unknown {
    const parser = mqttPacket.parser({ protocolVersion });
    let out: unknown = null;
    parser.on('packet', (p) => (out = { ...p }));
    parser.on('error', (e) => (out = e));
    parser.parse(frame);
    return out;
  }

  test('the fast path decodes every plain PUBLISH exactly as mqtt-packet does, and leaves the rest to it', () => {
    let seed = 11;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const version = ([3, 4, 5] as const)[rand(3)]!;
      const qos = rand(3) as 0 | 1 | 2;
      const topic = ['v1/devices/me/telemetry', 'v2/t', 'a/ü/€', ''][rand(4)]!;
      const payload = Buffer.from('x'.repeat(rand(300)) + (rand(2) ? '{"t":1}' : ''));
      const properties = version === 5 && rand(3) === 0 ? { userProperties: { a: 'b' }, contentType: 'json' } : undefined;
      const packet = { cmd: 'publish', topic, payload, qos, dup: qos > 0 && rand(2) === 1, retain: rand(2) === 1, messageId: qos > 0 ? 1 + rand(65535) : undefined, ...(properties ? { properties } : {}) };
      let frame = encode(packet as never, version);
      // Damage some: cut the topic or the packet id short (lengths kept consistent), or set QoS 3.
      const damage = rand(8);
      if (damage === 0 && frame.length > 4) frame = Buffer.from([frame[0]!, 2, 0, 200]);
      if (damage === 1) frame = Buffer.from([(frame[0]! & 0xf0) | 0x06, ...frame.subarray(1)]);
      if (damage === 2) frame = Buffer.from([0x32, 3, 0, 1, 0x61]);
      const mine = decodePlainPublish(frame, version);
      if (mine) {
        fast++;
        assert.deepEqual({ ...mine }, reference(frame, version), `frame ${frame.toString('hex').slice(0, 80)}`);
      }
      const shared = decoder.decode(frame, version);
      const expected = reference(frame, version);
      if (expected instanceof Error) assert.ok(shared instanceof Error, 'an error stays an error');
      else assert.deepEqual({ ...(shared as object) }, expected);
    }
    assert.ok(fast > 1500, `${fast} frames took the fast path`);
  });
});

describe('MQTT configuration', () => {
  test('TLS needs both the certificate and the key', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.js');
    assert.throws(() => loadConfig({ VIGIL_MQTT_TLS_CERT_PATH: '/etc/vigil/cert.pem' }), ConfigError);
    const config = loadConfig({ VIGIL_MQTT_TLS_CERT_PATH: '/c.pem', VIGIL_MQTT_TLS_KEY_PATH: '/k.pem', VIGIL_MQTT_TLS_PORT: '8884' });
    assert.deepEqual([config.mqttTlsCertPath, config.mqttTlsKeyPath, config.mqttTlsPort], ['/c.pem', '/k.pem', 8884]);
  });
});
