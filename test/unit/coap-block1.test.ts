// Block-wise request bodies (RFC 7959 Block1) at the datagram level: what a client sees for each
// block, in order, repeated, skipped and over the cap.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { createCoapTransport, type CoapTransport } from '../../src/transports/coap/coap-server.js';
import { encodeBlock, parseBlock } from '../../src/transports/coap/block1.js';
import { IngestService } from '../../src/domains/telemetry/ingest.service.js';
import { RejectedLog } from '../../src/domains/telemetry/rejected-log.js';
import { KeyUnits } from '../../src/domains/telemetry/key-units.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Bus } from '../../src/ports/bus.js';
import type { DeviceService } from '../../src/domains/devices/devices.service.js';
import type { KeyUnitsStore } from '../../src/ports/key-units-store.js';

const log = createLogger('silent');
const MAX_BYTES = 256;

describe('CoAP Block1 intake', () => {
  let transport: CoapTransport;
  let port: number;
  let client: Socket;
  const published: string[] = [];
  let messageId = 1;

  before(async () => {
    const bus = { publish: async (_s: string, b: Buffer) => published.push(b.toString('latin1')) } as unknown as Bus;
    const ingest = new IngestService(bus, new RejectedLog(10), createMetrics(), log, { maxFutureSkewMs: 60_000, deviceRateLimitPerSec: 1000 });
    const devices = { authenticate: async () => ({ id: 'd', tenantId: 't' }) } as unknown as DeviceService;
    const units = new KeyUnits({ setUnits: async () => undefined } as unknown as KeyUnitsStore, log);
    transport = createCoapTransport({ devices, ingest, units, log, maxPayloadBytes: MAX_BYTES });
    port = await transport.listen(0, '127.0.0.1');
    client = createSocket('udp4');
    await new Promise<void>((ok) => client.bind(0, '127.0.0.1', () => ok()));
  });
  after(async () => {
    client.close();
    await transport.close();
  });

  /** Sends one confirmable block and waits for the non-empty answer to it. */
  function block(num: number, more: boolean, payload: string, extra: { name: string; value: Buffer }[] = [], tag = 'aa'): Promise<ParsedPacket> {
    const id = messageId++;
    const token = Buffer.from([num, id & 0xff]);
    const datagram = generate({
      code: 'POST',
      confirmable: true,
      messageId: id,
      token,
      options: [
        { name: 'Uri-Path', value: Buffer.from('api') },
        { name: 'Uri-Path', value: Buffer.from('v1') },
        { name: 'Uri-Path', value: Buffer.from('tok') },
        { name: 'Uri-Path', value: Buffer.from('telemetry') },
        { name: 'Block1', value: encodeBlock({ num, more, szx: 0 }) },
        { name: 292 as unknown as 'Block1', value: Buffer.from(tag, 'hex') }, // Request-Tag
        ...(extra as { name: 'Size1'; value: Buffer }[]),
      ],
      payload: Buffer.from(payload),
    });
    return new Promise((resolve) => {
      const onMessage = (msg: Buffer) => {
        const packet = parse(msg);
        if (packet.code === '0.00') return; // an empty ACK; the response follows
        if (packet.confirmable) client.send(generate({ code: '0.00', ack: true, messageId: packet.messageId }), port, '127.0.0.1');
        if (!packet.token.equals(token)) return;
        client.off('message', onMessage);
        resolve(packet);
      };
      client.on('message', onMessage);
      client.send(datagram, port, '127.0.0.1');
    });
  }

  const body = '{"key":"' + 'a'.repeat(30) + '"}'; // 40 bytes: three 16-byte blocks (SZX 0)
  const parts = [body.slice(0, 16), body.slice(16, 32), body.slice(32)];

  test('blocks in order get 2.31 Continue echoing Block1, the last one 2.04 with the whole body stored', async () => {
    const before = published.length;
    const first = await block(0, true, parts[0]!);
    assert.equal(first.code, '2.31');
    assert.deepEqual(parseBlock(first.options.find((o) => o.name === 'Block1')!.value), { num: 0, more: true, szx: 0 });
    assert.equal((await block(1, true, parts[1]!)).code, '2.31');
    const last = await block(2, false, parts[2]!);
    assert.equal(last.code, '2.04', last.payload.toString());
    assert.equal(published.length, before + 1);
  });

  test('a repeated block is acknowledged again; a skipped one is 4.08 and ends the transfer', async () => {
    assert.equal((await block(0, true, parts[0]!, [], 'bb')).code, '2.31');
    assert.equal((await block(1, true, parts[1]!, [], 'bb')).code, '2.31');
    assert.equal((await block(1, true, parts[1]!, [], 'bb')).code, '2.31', 'repeat of the last block');
    assert.equal((await block(3, false, 'x', [], 'bb')).code, '4.08', 'block 2 skipped');
    assert.equal((await block(2, false, parts[2]!, [], 'bb')).code, '4.08', 'the transfer is gone');
  });

  test('over the cap: 4.13 with Size1 = the cap, from a declared Size1 or from a block past it', async () => {
    const declared = await block(0, true, parts[0]!, [{ name: 'Size1', value: Buffer.from([0x10, 0x00]) }], 'cc');
    assert.equal(declared.code, '4.13');
    assert.equal(declared.options.find((o) => o.name === 'Size1')!.value.readUInt16BE(0), MAX_BYTES);
    const far = await block(16, true, 'x'.repeat(16), [], 'dd');
    assert.equal(far.code, '4.13');
  });
});
