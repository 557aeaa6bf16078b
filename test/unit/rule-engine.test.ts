// The engine over a real file bus and rule store: history is not news on a first start, and a
// saved position makes redelivered batches count once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FileBus } from '../../src/adapters/embedded/file-bus.js';
import { DuckDbRuleStore } from '../../src/adapters/embedded/duckdb-rule-store.js';
import { encodeBatch, TELEMETRY_SUBJECT } from '../../src/domains/telemetry/batch-codec.js';
import { RuleEngine, type RuleFiring } from '../../src/domains/rules/rule-engine.js';
import type { Rule } from '../../src/domains/rules/rule.js';
import type { MetadataStore } from '../../src/ports/metadata-store.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { tempDir, waitFor } from '../helpers/harness.js';

const metadata = {
  getDevice: async () => ({ type: 'boiler' }),
  listDevices: async () => ({ items: [], total: 0 }),
} as unknown as MetadataStore;

const rule: Rule = {
  id: 'r1', tenantId: 't', version: 1, name: 'hot', target: { deviceId: 'd1', deviceType: null },
  condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, durationMs: 0, clear: null },
  severity: 'major', message: 'hot', cooldownMs: 0, actions: [], enabled: true, createdAt: 0, updatedAt: 0,
};

const batch = (receivedAt: number, temperature: number) =>
  encodeBatch({ tenantId: 't', deviceId: 'd1', transport: 'internal', receivedAt, points: [{ key: 'temperature', ts: receivedAt, value: temperature }] });

test('rule engine - a first start skips the history already in the log, then evaluates new batches once', async () => {
  const dir = await tempDir();
  const db = await openTempDuckDb();
  const store = new DuckDbRuleStore(db);
  await store.init();
  await store.putRule(rule);
  let bus = new FileBus({ dir: join(dir, 'bus') });
  await bus.publish(TELEMETRY_SUBJECT, batch(Date.now() - 60_000, 99)); // stored before the engine ever ran

  const options = { clock: Date.now, tickIntervalMs: 50, saveIntervalMs: 0, onError: (err: unknown) => assert.fail(String(err)) };
  let engine = new RuleEngine(store, bus, metadata, options);
  const firings: RuleFiring[] = [];
  engine.onFiring((f) => firings.push(f));
  await engine.start();
  await waitFor(async () => engine.evaluatedSeq >= 1, 'history consumed');
  assert.equal(firings.length, 0, 'history is not news');
  await bus.publish(TELEMETRY_SUBJECT, batch(Date.now(), 95));
  await waitFor(async () => firings.length === 1, 'new point fires');
  assert.equal(firings[0]!.event.value, 95);
  await bus.close();
  await engine.stop();

  // Restart: the saved position and state make the same batches count once (no second firing),
  // and a clear arrives as the next news.
  bus = new FileBus({ dir: join(dir, 'bus') });
  engine = new RuleEngine(store, bus, metadata, options);
  engine.onFiring((f) => firings.push(f));
  await engine.start();
  await bus.publish(TELEMETRY_SUBJECT, batch(Date.now(), 70));
  await waitFor(async () => firings.length === 2, 'clear after restart');
  assert.deepEqual(firings.map((f) => f.event.kind), ['fire', 'clear']);
  await bus.close();
  await engine.stop();
  await store.close();
  db.close();
});

test('rule engine - a statistical window is saved packed and comes back whole after a restart', async () => {
  const dir = await tempDir();
  const db = await openTempDuckDb();
  const store = new DuckDbRuleStore(db);
  await store.init();
  const avg: Rule = { ...rule, id: 'r-avg', condition: { type: 'statistical', key: 'temperature', function: 'avg', windowMs: 600_000, operator: '>', value: 50 } };
  await store.putRule(avg);
  const options = { clock: Date.now, tickIntervalMs: 60_000, saveIntervalMs: 0, onError: (err: unknown) => assert.fail(String(err)) };
  const now = Date.now();
  let bus = new FileBus({ dir: join(dir, 'bus') });
  let engine = new RuleEngine(store, bus, metadata, options);
  const firings: RuleFiring[] = [];
  engine.onFiring((f) => firings.push(f));
  await engine.start();
  const points = [10, 20, 30, 40].map((value, i) => ({ key: 'temperature', ts: now - 4000 + i * 1000 + 0.5, value }));
  await engine.evaluateBatch({ seq: 1, tenantId: 't', deviceId: 'd1', transport: 'internal', receivedAt: now, points });
  await engine.save(true);
  const saved = (await store.loadStates())[0]!.state as { window: number[] };
  assert.deepEqual(saved.window, [now - 4000 + 0.5, 10, 1000, 20, 1000, 30, 1000, 40], 'first time, then steps');
  await bus.close();
  await engine.stop();

  // The average over 10, 20, 30, 40 is 25; with 190 it is 58 and fires only if all four came back.
  bus = new FileBus({ dir: join(dir, 'bus') });
  engine = new RuleEngine(store, bus, metadata, options);
  engine.onFiring((f) => firings.push(f));
  await engine.start();
  await engine.evaluateBatch({ seq: 2, tenantId: 't', deviceId: 'd1', transport: 'internal', receivedAt: now, points: [{ key: 'temperature', ts: now + 1, value: 190 }] });
  assert.deepEqual(firings.map((f) => [f.event.kind, f.event.value]), [['fire', 58]]);
  await bus.close();
  await engine.stop();
  await store.close();
});
