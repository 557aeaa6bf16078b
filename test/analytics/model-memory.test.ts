// ModelMemory against an in-memory store that can fail or be slow: the budget holds, spilled
// learning survives a failing store, and stop() gives up at its deadline instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelKey, ModelRecord, ModelStore } from '../../src/ports/model-store.js';
import { RegimeAwareDetector } from '../../src/domains/analytics/detectors/regimes.js';
import { univariateModel, type Series } from '../../src/domains/analytics/live-series.js';
import { ModelMemory } from '../../src/domains/analytics/model-memory.js';
import { createLogger } from '../../src/observability/logger.js';

class MemoryModelStore {
  readonly rows = new Map<string, ModelRecord>();
  failing = false;
  delayMs = 0;
  async saveModels(records: ModelRecord[]): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing) throw new Error('disk full');
    for (const m of records) this.rows.set(`${m.deviceId}/${m.key}`, JSON.parse(JSON.stringify(m)));
  }
  async loadModelStates(keys: readonly ModelKey[]): Promise<ModelRecord[]> {
    if (this.failing) throw new Error('disk full');
    return keys.flatMap((k) => this.rows.get(`${k.deviceId}/${k.key}`) ?? []);
  }
}

function series(key: string): Series {
  const detector = univariateModel(RegimeAwareDetector.create(key, 'auto', 400));
  return { tenantId: 't', deviceId: 'd', name: key, keys: [key], detector, kind: detector.describe(), version: 1, trainedFrom: null, trainedTo: null, points: 0, fitPoints: 400, dirty: false, stored: false, pending: null };
}

function setup(budgetBytes: number, shutdownSaveMs = 60_000) {
  const store = new MemoryModelStore();
  const replayed: number[] = [];
  const memory = new ModelMemory(
    store as unknown as ModelStore,
    createLogger('silent'),
    {
      freshModel: (s) => series(s.name).detector!,
      replay: (s, points) => {
        for (const p of points) feed(s, p.ts, p.values as number);
        replayed.push(points.length);
      },
    },
    { budgetBytes, saveIntervalMs: 60_000, shutdownSaveMs },
  );
  const feed = (s: Series, ts: number, value: number) => {
    if (!memory.acquire(s, ts, value)) return;
    s.detector!.update(ts, value);
    s.points++;
    memory.stepped(s);
  };
  return { store, memory, feed, replayed };
}

/** Waits until saves and the loads of spilled models that were fed have all finished. */
const settled = async (memory: ModelMemory) => {
  let last = -1;
  for (let i = 0; i < 2000; i++) {
    const { reloads, outboxModels } = memory.stats();
    if (outboxModels === 0 && reloads === last) return;
    last = reloads;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('model memory did not settle');
};

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
};

test('model memory - the budget holds, and a spilled model comes back from the store with its learning', async () => {
  const { store, memory, feed, replayed } = setup(200_000);
  const all = Array.from({ length: 40 }, (_, i) => series(`k${i}`));
  for (const s of all) memory.admit(s);
  for (let p = 0; p < 200; p++) for (const s of all) feed(s, 1e12 + p * 60_000, 20 + (p % 5) / 10);
  const stats = memory.stats();
  assert.ok(stats.residentBytes <= 200_000, `${stats.residentBytes} resident bytes`);
  assert.ok(stats.spills > 0 && stats.residentModels < 40);
  // Which series end up spilled depends on the models' sizes and the order loads finish in: take
  // any one that is out of memory and stored once the saves have settled.
  const spilledAndStored = () => all.find((s) => !s.detector && store.rows.has(`d/${s.name}`));
  await settled(memory);
  const spilled = spilledAndStored()!;
  assert.ok(spilled, 'some models are spilled and stored');
  const saved = store.rows.get(`d/${spilled.name}`)!.state as { seen: number };
  assert.ok(saved.seen > 0, 'the spilled state is in the store');

  feed(spilled, 1e12 + 200 * 60_000, 20);
  feed(spilled, 1e12 + 201 * 60_000, 20);
  await until(() => spilled.detector !== null);
  assert.deepEqual(replayed.slice(-1), [2], 'both points waited and were scored after the load');
  assert.equal((spilled.detector!.snapshot() as { seen: number }).seen, saved.seen + 2, 'learning continues from the stored state');
  assert.ok(memory.stats().reloads >= 1);
  await memory.stop();
});

test('model memory - when the store fails, spilled learning stays in memory and is written once it works', async () => {
  const { store, memory, feed } = setup(50_000);
  store.failing = true;
  const all = Array.from({ length: 20 }, (_, i) => series(`k${i}`));
  for (const s of all) memory.admit(s);
  for (let p = 0; p < 100; p++) for (const s of all) feed(s, 1e12 + p * 60_000, 20);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(memory.stats().outboxModels > 0, 'spilled models wait in the outbox');
  assert.equal(store.rows.size, 0);
  store.failing = false;
  await memory.saveAll();
  assert.equal(memory.stats().unsavedModels, 0);
  assert.equal(store.rows.size, 20, 'every model, spilled or resident, is stored');
  for (const s of all) assert.equal((store.rows.get(`d/${s.name}`)!.state as { seen: number }).seen, 100);
  await memory.stop();
});

test('model memory - stop gives up at its deadline and leaves the rest with their last save', async () => {
  const { store, memory, feed } = setup(1e12, 1);
  const all = Array.from({ length: 2500 }, (_, i) => series(`k${i}`));
  for (const s of all) {
    memory.admit(s);
    feed(s, 1e12, 20);
  }
  store.delayMs = 20;
  await memory.stop();
  assert.equal(store.rows.size, 2000, 'one chunk was written before the deadline passed');
  assert.equal(memory.stats().unsavedModels, 500);
});

test('model memory - feedback for a spilled model loads it back, changes it and stores the change', async () => {
  const { store, memory, feed } = setup(200_000);
  const all = Array.from({ length: 40 }, (_, i) => series(`k${i}`));
  for (const s of all) memory.admit(s);
  for (let p = 0; p < 200; p++) for (const s of all) feed(s, 1e12 + p * 60_000, 20 + (p % 5) / 10);
  const spilledAndStored = () => all.find((s) => !s.detector && store.rows.has(`d/${s.name}`));
  await settled(memory);
  const spilled = spilledAndStored()!;
  assert.ok(spilled, 'some models are spilled and stored');
  const before = spilled.sensitivity!;
  assert.equal(before.dismissals, 0);

  memory.withModel(spilled, (model) => model.dismissed(0.999));
  await until(() => spilled.detector !== null);
  const after = spilled.detector!.sensitivity();
  assert.equal(after.dismissals, 1);
  assert.ok(after.threshold > before.threshold, `threshold ${before.threshold} → ${after.threshold}`);
  await memory.saveAll();
  const stored = store.rows.get(`d/${spilled.name}`)!.state as { feedback?: { dismissals: number; threshold: number } };
  assert.equal(stored.feedback?.dismissals, 1, 'the dismissal is in the stored state');
  assert.equal(stored.feedback?.threshold, after.threshold);
  await memory.stop();
});
