// The live path takes a message of one timestamp (the common case) without building a record per
// sample; a message of several timestamps goes through the general grouping. Both must leave the
// models exactly as the same points would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelRecord } from '../../src/ports/model-store.js';
import type { PointBatch, TelemetryPoint } from '../../src/ports/telemetry.js';
import { LiveDetectionService } from '../../src/domains/analytics/live-detection.service.js';
import { createLogger } from '../../src/observability/logger.js';

function service() {
  const saved = new Map<string, ModelRecord>();
  const store = {
    listModelSummaries: async () => [],
    loadModelStates: async () => [],
    saveModels: async (records: ModelRecord[]) => {
      for (const r of records) saved.set(`${r.deviceId}/${r.key}`, structuredClone(r));
    },
  };
  const alarms = { onChange: () => undefined, raise: async () => ({}) };
  const detection = new LiveDetectionService(
    store as never,
    { listDetectorPolicies: async () => [] } as never,
    {} as never,
    { getDevice: async () => null } as never,
    alarms as never,
    createLogger('silent'),
    { univariateKind: 'auto', saveIntervalMs: 300_000, memoryBudgetBytes: 1 << 30, shutdownSaveMs: 1000, retrainIntervalMs: 86_400_000, retrainHistoryMs: 86_400_000 },
  );
  return { detection, saved };
}

const KEYS = ['vibration', 'current', 'temp'];
const T0 = Date.UTC(2026, 0, 1);

function sample(i: number, ts: number): TelemetryPoint[] {
  const on = Math.floor(i / 50) % 2;
  // A string value and a key outside the relation's first sample ride along: both are skipped or ignored alike.
  return [
    ...KEYS.map((key, k) => ({ key, ts, value: on * (10 + k) + Math.sin(i / 7 + k) + (i === 700 && k === 1 ? 40 : 0) })),
    { key: 'status', ts, value: on ? 'run' : 'stop' },
  ];
}

const batch = (deviceId: string, points: TelemetryPoint[]): PointBatch => ({ tenantId: 't', deviceId, transport: 'mqtt', receivedAt: T0, points });

test('live detection - one-timestamp messages and multi-timestamp messages train identical models', async () => {
  const { detection, saved } = service();
  await detection.start();
  for (let i = 0; i < 900; i += 2) {
    const a = sample(i, T0 + i * 1000);
    const b = sample(i + 1, T0 + (i + 1) * 1000);
    detection.observe(batch('single', a));
    detection.observe(batch('single', b));
    detection.observe(batch('grouped', [...a, ...b]));
  }
  await detection.save();
  const models = [...saved.values()].filter((r) => r.deviceId === 'single');
  assert.equal(models.length, KEYS.length + 1, 'one model per key and the relational one');
  for (const m of models) {
    const twin = saved.get(`grouped/${m.key}`);
    assert.ok(twin, `grouped has ${m.key}`);
    assert.deepEqual(twin.state, m.state, `${m.key}: same state`);
    assert.equal(twin.points, m.points);
  }
  assert.ok(models.some((m) => m.key.startsWith('relations(')), 'a relational model was made');
  await detection.stop();
});
