import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commandTopic,
  configTopic,
  parseIndustrialMessage,
  parseIndustrialTopic,
} from '../../src/domains/telemetry/formats/industrial-message.js';
import { PayloadError } from '../../src/domains/telemetry/payload.js';

const limits = { nowMs: Date.parse('2026-12-01T12:00:00Z'), maxFutureSkewMs: 60_000 };
const own = new Set(['pump-7', 'c0ffee-id']);

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PayloadError);
    return err.reason;
  }
  return 'accepted';
}

describe('industrial per-device topic layout', () => {
  test('topics: telemetry, telemetry/{key}, status, platform topics; others are not in the layout', () => {
    assert.deepEqual(parseIndustrialTopic('plant1/devices/pump-7/telemetry', 'plant1'), { kind: 'telemetry', deviceId: 'pump-7' });
    assert.deepEqual(parseIndustrialTopic('plant1/devices/pump-7/telemetry/temp', 'plant1/'), { kind: 'telemetry-key', deviceId: 'pump-7', key: 'temp' });
    assert.deepEqual(parseIndustrialTopic('devices/pump-7/status', ''), { kind: 'status', deviceId: 'pump-7' });
    assert.deepEqual(parseIndustrialTopic('plant1/devices/pump-7/command', 'plant1'), { kind: 'command', deviceId: 'pump-7' });
    assert.equal(parseIndustrialTopic('v1/devices/me/telemetry', 'plant1'), null);
    assert.equal(parseIndustrialTopic('plant1/devices/pump-7/telemetry/a/b', 'plant1'), null);
    assert.equal(parseIndustrialTopic('plant1/devices/+/telemetry', 'plant1'), null);
    assert.equal(configTopic('plant1', 'pump-7'), 'plant1/devices/pump-7/config');
    assert.equal(commandTopic('', 'pump-7'), 'devices/pump-7/command');
  });

  test('full message: values with units, timestamp, quality and source kept', () => {
    const topic = parseIndustrialTopic('plant1/devices/pump-7/telemetry', 'plant1')!;
    const message = {
      timestamp: '2026-12-01T11:59:00.500Z',
      device_id: 'pump-7',
      telemetry: { temperature: { value: 25.5, unit: 'C' }, running: { value: true }, pressure: 3.2 },
      metadata: { quality: 'good', source: 'plc-2' },
    };
    const result = parseIndustrialMessage(topic, JSON.stringify(message), own, limits);
    assert.equal(result.kind, 'telemetry');
    if (result.kind !== 'telemetry') return;
    const ts = Date.parse('2026-12-01T11:59:00.500Z');
    assert.deepEqual(result.points, [
      { key: 'temperature', ts, value: 25.5 },
      { key: 'running', ts, value: true },
      { key: 'pressure', ts, value: 3.2 },
      { key: 'metadata.quality', ts, value: 'good' },
      { key: 'metadata.source', ts, value: 'plc-2' },
    ]);
    assert.deepEqual([...result.units], [['temperature', 'C']]);
  });

  test('single-key topic: {"value", "unit"} at server time, per-entry quality', () => {
    const topic = parseIndustrialTopic('plant1/devices/pump-7/telemetry/temp', 'plant1')!;
    const result = parseIndustrialMessage(topic, '{"value": 25.5, "unit": "C", "quality": 192}', own, limits);
    assert.deepEqual(result, {
      kind: 'telemetry',
      points: [
        { key: 'temp', ts: limits.nowMs, value: 25.5 },
        { key: 'temp.quality', ts: limits.nowMs, value: 192 },
      ],
      units: new Map([['temp', 'C']]),
    });
  });

  test('status as a string or an object', () => {
    const topic = parseIndustrialTopic('plant1/devices/pump-7/status', 'plant1')!;
    assert.deepEqual(parseIndustrialMessage(topic, 'online', own, limits), { kind: 'status', status: 'online', ts: limits.nowMs });
    assert.deepEqual(parseIndustrialMessage(topic, '{"status":"offline","timestamp":"2026-12-01T11:00:00Z"}', own, limits), {
      kind: 'status',
      status: 'offline',
      ts: Date.parse('2026-12-01T11:00:00Z'),
    });
  });

  test("a device may only use its own device_id, and never the platform's topics", () => {
    const other = parseIndustrialTopic('plant1/devices/pump-8/telemetry', 'plant1')!;
    assert.equal(reason(() => parseIndustrialMessage(other, '{"telemetry":{"a":1}}', own, limits)), 'unauthorized');
    const mine = parseIndustrialTopic('plant1/devices/pump-7/telemetry', 'plant1')!;
    assert.equal(reason(() => parseIndustrialMessage(mine, '{"device_id":"pump-8","telemetry":{"a":1}}', own, limits)), 'unauthorized');
    const command = parseIndustrialTopic('plant1/devices/pump-7/command', 'plant1')!;
    assert.equal(reason(() => parseIndustrialMessage(command, '{}', own, limits)), 'unauthorized');
  });

  test('bad messages are rejected with a reason', () => {
    const topic = parseIndustrialTopic('plant1/devices/pump-7/telemetry', 'plant1')!;
    const parse = (body: string) => reason(() => parseIndustrialMessage(topic, body, own, limits));
    assert.equal(parse('{oops'), 'invalid_json');
    assert.equal(parse('{"telemetry": 5}'), 'invalid_shape');
    assert.equal(parse('{"telemetry": {"a": {"unit": "C"}}}'), 'invalid_shape');
    assert.equal(parse('{"telemetry": {"a": {"value": null}}}'), 'invalid_value');
    assert.equal(parse('{"timestamp": "2026-12-01 11:00", "telemetry": {"a": 1}}'), 'invalid_timestamp');
    assert.equal(parse('{"timestamp": "2026-12-02T11:00:00Z", "telemetry": {"a": 1}}'), 'future_timestamp');
    assert.equal(parse('{"telemetry": {}}'), 'empty');
  });
});

describe('acceptIndustrialMessage (the entry an MQTT handler calls)', async () => {
  const { acceptIndustrialMessage } = await import('../../src/domains/telemetry/formats/accept-formats.js');
  const { IngestService } = await import('../../src/domains/telemetry/ingest.service.js');
  const { RejectedLog } = await import('../../src/domains/telemetry/rejected-log.js');
  const { KeyUnits } = await import('../../src/domains/telemetry/key-units.js');
  const { createMetrics } = await import('../../src/observability/metrics.js');
  const { createLogger } = await import('../../src/observability/logger.js');

  test('telemetry is published durably with units remembered; another device_id lands in the dead-letter log', async () => {
    const published: unknown[] = [];
    const bus = { publish: async (_s: string, b: unknown) => published.push(b) } as never;
    const rejected = new RejectedLog(10);
    const ingest = new IngestService(bus, rejected, createMetrics(), createLogger('silent'), { maxFutureSkewMs: 60_000, deviceRateLimitPerSec: 100 });
    const saved: [string, string][] = [];
    const units = new KeyUnits({ setUnits: async (_t: string, _d: string, m: Map<string, string>) => void saved.push(...m) } as never, createLogger('silent'));
    const device = { tenantId: 't', deviceId: 'c0ffee-id' };
    const topic = parseIndustrialTopic('plant1/devices/pump-7/telemetry/temp', 'plant1')!;
    assert.deepEqual(await acceptIndustrialMessage(ingest, units, device, own, topic, Buffer.from('{"value":1,"unit":"C"}')), { kind: 'telemetry', count: 1 });
    await units.settled();
    assert.equal(published.length, 1);
    assert.deepEqual(saved, [['temp', 'C']]);
    const foreign = parseIndustrialTopic('plant1/devices/pump-8/telemetry/temp', 'plant1')!;
    await assert.rejects(acceptIndustrialMessage(ingest, units, device, own, foreign, Buffer.from('{"value":1}')), (err: unknown) => err instanceof PayloadError && err.reason === 'unauthorized');
    assert.equal(rejected.list({ tenantId: 't', includeUnattributed: true, limit: 10 })[0]!.reason, 'unauthorized');
  });
});
