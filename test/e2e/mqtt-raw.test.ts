// The MQTT transport at the byte level: malformed, truncated and oversize packets, unsupported
// protocol levels, QoS 2 exactly-once by packet id, keep-alive. Each bad connection is closed and
// nothing else is affected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IConnackPacket, IDisconnectPacket, IPubrecPacket, Packet } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { RawClient } from '../helpers/raw-mqtt-client.js';

describe('MQTT transport at the byte level', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  let bystander: RawClient;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'raw-device');
    // A healthy connection that must survive every bad one below.
    bystander = await RawClient.open(vigil.mqttPort);
    await bystander.connect(device.accessToken, { clientId: 'bystander' });
  });
  after(async () => {
    bystander.end();
    await vigil.stop();
  });

  async function bystanderStillWorks(): Promise<void> {
    bystander.send({ cmd: 'pingreq' });
    await bystander.next('pingresp');
  }

  test('a packet with a malformed body closes that connection only', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    await c.connect(device.accessToken);
    // PUBLISH, remaining length 4, topic length claims 200 bytes.
    c.write([0x30, 4, 0, 200, 0x61, 0x62]);
    await c.waitClosed();
    await bystanderStillWorks();
  });

  test('a connection cut in the middle of a packet is cleaned up', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    await c.connect(device.accessToken);
    c.write([0x32, 100, 0, 23]); // a QoS 1 PUBLISH announcing 100 bytes, then nothing
    c.socket.end();
    await c.waitClosed();
    await bystanderStillWorks();
  });

  test('a remaining length over four bytes is malformed', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    await c.connect(device.accessToken);
    c.write([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    await c.waitClosed();
    await bystanderStillWorks();
  });

  test('an oversize packet is refused from its header, before its body is sent (v5: DISCONNECT 0x95)', async () => {
    const c = await RawClient.open(vigil.mqttPort, 5);
    const connack = (await c.connect(device.accessToken, { version: 5 })) as IConnackPacket;
    assert.equal(connack.reasonCode, 0);
    // PUBLISH announcing 50 MB: varint of 52428800.
    c.write([0x30, 0x80, 0x80, 0x80, 0x19]);
    const disconnect = (await c.next('disconnect')) as IDisconnectPacket;
    assert.equal(disconnect.reasonCode, 0x95);
    await c.waitClosed();
    await bystanderStillWorks();
  });

  test('an oversize packet on MQTT 3.1.1 closes the connection', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    await c.connect(device.accessToken);
    c.write([0x30, 0x80, 0x80, 0x80, 0x19]);
    await c.waitClosed();
  });

  test('the first packet must be CONNECT', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    c.send({ cmd: 'pingreq' });
    await c.waitClosed();
  });

  test('an unsupported protocol level gets CONNACK return code 1', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    // CONNECT "MQTT" level 6, clean, keepalive 60, client id "x".
    c.write([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 0x02, 0, 60, 0, 1, 0x78]);
    const connack = (await c.next('connack')) as IConnackPacket;
    assert.equal(connack.returnCode, 1);
    await c.waitClosed();
  });

  test('MQTT 3.1.1 CONNACK return codes 4 (no token) and 5 (wrong token)', async () => {
    const a = await RawClient.open(vigil.mqttPort);
    a.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'a', clean: true, keepalive: 60 } as Packet);
    assert.equal(((await a.next('connack')) as IConnackPacket).returnCode, 4);
    const b = await RawClient.open(vigil.mqttPort);
    assert.equal(((await b.connect('not-a-token')) as IConnackPacket).returnCode, 5);
  });

  for (const version of [4, 5] as const) {
    test(`v${version} - QoS 2 is stored exactly once per packet id, resends included`, async () => {
      const c = await RawClient.open(vigil.mqttPort, version);
      await c.connect(device.accessToken, { version });
      const key = `exactly_once_v${version}`;
      const publish = (dup: boolean, value: number) =>
        c.send({ cmd: 'publish', topic: 'v1/devices/me/telemetry', qos: 2, messageId: 7, dup, retain: false, payload: JSON.stringify({ [key]: value }) }, version);
      publish(false, 1);
      assert.equal(((await c.next('pubrec')) as IPubrecPacket).messageId, 7);
      publish(true, 1); // the device did not see our PUBREC and resends
      assert.equal(((await c.next('pubrec')) as IPubrecPacket).messageId, 7);
      c.send({ cmd: 'pubrel', messageId: 7 }, version);
      assert.equal((await c.next('pubcomp')).messageId, 7);
      // After PUBCOMP the id is free again: a new message with it is new data.
      publish(false, 2);
      await c.next('pubrec');
      c.send({ cmd: 'pubrel', messageId: 7 }, version);
      await c.next('pubcomp');
      const count = async () => {
        const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=0&keys=${key}`, { token });
        return (r.body.data[key] ?? []).length as number;
      };
      await waitFor(async () => (await count()) === 2, 'two points');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await count(), 2);
      c.end();
    });
  }

  test('v5 - PUBREL for an unknown packet id gets PUBCOMP 0x92', async () => {
    const c = await RawClient.open(vigil.mqttPort, 5);
    await c.connect(device.accessToken, { version: 5 });
    c.send({ cmd: 'pubrel', messageId: 999 }, 5);
    assert.equal(((await c.next('pubcomp')) as { reasonCode?: number }).reasonCode, 0x92);
    c.end();
  });

  test('v5 - more unacknowledged QoS 1 publishes than the receive maximum is DISCONNECT 0x93; up to it all are acknowledged', async () => {
    const within = await RawClient.open(vigil.mqttPort, 5);
    const connack = (await within.connect(device.accessToken, { version: 5 })) as IConnackPacket;
    const receiveMaximum = connack.properties?.receiveMaximum;
    assert.ok(receiveMaximum && receiveMaximum < 1000, 'the server announces its receive maximum');
    const burst = (c: RawClient, n: number) => {
      // All in one write: none can be acknowledged before the server has read them all.
      const frames = Array.from({ length: n }, (_, i) =>
        mqttPacket.generate({ cmd: 'publish', topic: 'v1/devices/me/telemetry', qos: 1, messageId: i + 1, dup: false, retain: false, payload: `{"rm":${i}}` }, { protocolVersion: 5 }),
      );
      c.write(Buffer.concat(frames));
    };
    burst(within, receiveMaximum);
    for (let i = 0; i < receiveMaximum; i++) assert.equal(((await within.next('puback')) as { reasonCode?: number }).reasonCode ?? 0, 0);
    assert.equal(within.closed, false);
    within.end();

    const over = await RawClient.open(vigil.mqttPort, 5);
    await over.connect(device.accessToken, { version: 5 });
    burst(over, receiveMaximum + 1);
    assert.equal(((await over.next('disconnect')) as IDisconnectPacket).reasonCode, 0x93);
    await over.waitClosed();
    await bystanderStillWorks();
  });

  test('MQTT 3.1.1 has no receive maximum: a burst over it is read with backpressure and every publish acknowledged', async () => {
    const c = await RawClient.open(vigil.mqttPort);
    await c.connect(device.accessToken);
    const n = 250;
    const frames = Array.from({ length: n }, (_, i) =>
      mqttPacket.generate({ cmd: 'publish', topic: 'v1/devices/me/telemetry', qos: 1, messageId: i + 1, dup: false, retain: false, payload: `{"burst":${i}}` }, { protocolVersion: 4 }),
    );
    c.write(Buffer.concat(frames));
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push((await c.next('puback')).messageId!);
    assert.deepEqual(ids, frames.map((_, i) => i + 1), 'acknowledged in the order sent');
    c.end();
  });

  test('v5 - an out-of-range topic alias is a protocol error (DISCONNECT 0x94)', async () => {
    const c = await RawClient.open(vigil.mqttPort, 5);
    await c.connect(device.accessToken, { version: 5 });
    c.send({ cmd: 'publish', topic: 'v2/t', qos: 0, dup: false, retain: false, payload: '{"a":1}', properties: { topicAlias: 60000 } }, 5);
    assert.equal(((await c.next('disconnect')) as IDisconnectPacket).reasonCode, 0x94);
    await c.waitClosed();
  });

  test('a silent connection is closed after 1.5 keep-alive intervals (v5: DISCONNECT 0x8D)', async () => {
    const c = await RawClient.open(vigil.mqttPort, 5);
    await c.connect(device.accessToken, { version: 5, keepalive: 1 });
    assert.equal(((await c.next('disconnect', 15_000)) as IDisconnectPacket).reasonCode, 0x8d);
    await c.waitClosed();
    await bystanderStillWorks();
  });
});
