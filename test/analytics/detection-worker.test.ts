// Live detection in its worker thread, driven the way app.ts drives it: batches go in without
// waiting, queries see every batch observed before them, the worker's store and alarm calls are
// served on this thread, models are saved at stop, a worker that dies is replaced, and a worker
// that falls too far behind skips (and counts) points instead of queueing them without bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelKey, ModelRecord } from '../../src/ports/model-store.js';
import type { PointBatch } from '../../src/ports/telemetry.js';
import { DetectionWorkerClient } from '../../src/domains/analytics/detection-worker-client.js';
import { createLogger } from '../../src/observability/logger.js';

const T0 = Date.UTC(2026, 0, 1);

function ports() {
  const saved = new Map<string, ModelRecord>();
  const raised: { deviceId: string; key: string | null; details: { value: number } }[] = [];
  const store = {
    listModelSummaries: async () => [...saved.values()].map((r) => ({ ...r, state: null })),
    loadModelStates: async (keys: ModelKey[]) => keys.map((k) => saved.get(`${k.deviceId}/${k.key}`)).filter((r): r is ModelRecord => !!r),
    saveModels: async (records: ModelRecord[]) => {
      for (const r of records) saved.set(`${r.deviceId}/${r.key}`, structuredClone(r));
    },
  };
  const alarms = {
    onChange: () => undefined,
    raise: async (input: { deviceId: string; key: string | null; details: { value: number } }) => (raised.push(input), { id: String(raised.length) }),
  };
  const all = { store, policyStore: { listDetectorPolicies: async () => [] }, telemetry: {}, metadata: { getDevice: async () => null }, alarms };
  return { all: all as never, saved, raised };
}

function client(p: ReturnType<typeof ports>, maxBacklogPoints = 1_000_000) {
  return new DetectionWorkerClient(p.all, createLogger('silent'), {
    univariateKind: 'auto',
    saveIntervalMs: 300_000,
    memoryBudgetBytes: 64 * 1024 * 1024,
    shutdownSaveMs: 5000,
    retrainIntervalMs: 86_400_000,
    retrainHistoryMs: 86_400_000,
    maxBacklogPoints,
    restartDelayMs: 50,
  });
}

/** A steady temperature with a little noise; `spike` adds a jump at that index. */
function batch(deviceId: string, i: number, spike = -1): PointBatch {
  const value = 20 + Math.sin(i / 5) * 0.3 + (i === spike ? 25 : 0);
  return { tenantId: 't', deviceId, transport: 'http', receivedAt: T0, points: [{ key: 'temperature', ts: T0 + i * 60_000, value }, { key: 'status', ts: T0 + i * 60_000, value: 'ok' }] };
}

async function until<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('detection worker - scores every batch off this thread, answers queries in order, raises alarms here and saves at stop', async () => {
  const p = ports();
  const d = client(p);
  await d.start();
  for (let i = 0; i < 600; i++) d.observe(batch('pump-1', i, 550));
  const [model] = await d.models('t', 'pump-1');
  assert.equal(model!.record.key, 'temperature');
  assert.equal(model!.record.points, 600, 'the query saw every batch observed before it');
  assert.equal(model!.learning, false);
  const alarm = await until(() => p.raised[0], 'the spike raised an alarm');
  assert.equal(alarm.deviceId, 'pump-1');
  assert.equal(alarm.key, 'temperature');
  assert.ok(Math.abs(alarm.details.value - (20 + Math.sin(110) * 0.3 + 25)) < 1e-9);
  assert.deepEqual(await d.models('other-tenant'), [], 'tenants see only their own models');
  await d.stop();
  assert.equal(p.saved.get('pump-1/temperature')?.points, 600, 'stop saved the model');
  assert.deepEqual(d.workerStats(), { backlogPoints: 0, skippedPoints: 0, restarts: 0 });
});

test('detection worker - a worker that dies is replaced and goes on from the last saved models', async () => {
  const p = ports();
  const d = client(p);
  await d.start();
  for (let i = 0; i < 450; i++) d.observe(batch('pump-2', i));
  await d.save();
  // Fault injection: the worker thread ends without a word.
  await (d as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  await until(() => d.workerStats().restarts === 1, 'the restart');
  const [m] = await until(async () => (await d.models('t').catch(() => []))[0] ? await d.models('t') : false, 'the new worker answering');
  assert.equal(m!.record.points, 450, 'the saved model is known to the new worker');
  for (let i = 450; i < 470; i++) d.observe(batch('pump-2', i, 460));
  await until(() => p.raised.length > 0, 'an alarm from the reloaded model (a fresh one would still be learning)');
  assert.equal((await d.models('t', 'pump-2'))[0]!.record.points, 470);
  await d.stop();
});

test('detection worker - a worker far behind skips and counts points instead of queueing without bound', async () => {
  const p = ports();
  const d = client(p, 100);
  await d.start();
  // All in one turn of the event loop: nothing is posted before the bound is reached.
  for (let i = 0; i < 300; i++) d.observe(batch('pump-3', i));
  const stats = d.workerStats();
  assert.equal(stats.skippedPoints, 200, 'numeric points beyond the bound are skipped (the string status is not a point to score)');
  const [m] = await d.models('t', 'pump-3');
  assert.equal(m!.record.points, 100);
  assert.equal(d.workerStats().backlogPoints, 0);
  await d.stop();
});

test('detection worker - the packer numbers strings once, and starting over keeps every batch intact', async () => {
  const { BatchPacker, StringTable, unpackBatches, packerLimits } = await import('../../src/domains/analytics/detection-worker-protocol.js');
  const saved = packerLimits.maxStrings;
  packerLimits.maxStrings = 12;
  try {
    const packer = new BatchPacker();
    const table = new StringTable();
    const sent: PointBatch[] = [];
    const got: PointBatch[] = [];
    const receive = () => {
      const packed = packer.take();
      if (!packed) return;
      // What postMessage with a transfer does to the typed array.
      const copy = structuredClone(packed, { transfer: [packed.data.buffer as ArrayBuffer] });
      got.push(...unpackBatches(copy, table.apply(copy)));
    };
    for (let i = 0; i < 40; i++) {
      const b: PointBatch = { tenantId: 't', deviceId: `d${i % 7}`, transport: 'mqtt', receivedAt: i, points: [{ key: `k${i % 3}`, ts: i, value: i / 3 }, { key: 'note', ts: i, value: 'text' }] };
      packer.pack(b);
      sent.push({ ...b, points: b.points.filter((p) => typeof p.value === 'number') });
      if (i % 5 === 4) receive();
    }
    receive();
    assert.deepEqual(got, sent);
  } finally {
    packerLimits.maxStrings = saved;
  }
});
