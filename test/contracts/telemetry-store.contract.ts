// The TelemetryStore contract: every implementation runs it (today the embedded DuckDB store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import type { TelemetryLifecycle } from '../../src/ports/telemetry-lifecycle.js';
import type { SequencedBatch } from '../../src/ports/telemetry.js';
import { encodeBatch } from '../../src/domains/telemetry/batch-codec.js';

const T = 'tenant-a';
const D = 'device-1';

function batch(seq: number, points: [string, number, number | string | boolean][], tenantId = T, deviceId = D): SequencedBatch {
  return { seq, tenantId, deviceId, transport: 'http', receivedAt: 0, points: points.map(([key, ts, value]) => ({ key, ts, value })) };
}

/** Both built-in stores are also their TelemetryLifecycle (rollups), which the aggregate tests run. */
export function telemetryStoreContract(name: string, open: () => Promise<TelemetryStore & TelemetryLifecycle>): void {
  test(`${name} - appends and reads raw points of every value type`, async () => {
    const store = await open();
    await store.append('c', [batch(1, [['t', 1000, 1.5], ['on', 1000, true], ['mode', 1000, 'eco'], ['t', 2000, 2.5]])]);
    const raw = await store.queryRaw({ tenantId: T, deviceId: D, fromMs: 0, toMs: 5000, limit: 100, order: 'asc' });
    assert.deepEqual(
      raw.filter((p) => p.key === 't').map((p) => [p.ts, p.value]),
      [
        [1000, 1.5],
        [2000, 2.5],
      ],
    );
    assert.deepEqual(raw.find((p) => p.key === 'on')?.value, true);
    assert.deepEqual(raw.find((p) => p.key === 'mode')?.value, 'eco');
    const desc = await store.queryRaw({ tenantId: T, deviceId: D, keys: ['t'], fromMs: 0, toMs: 5000, limit: 1, order: 'desc' });
    assert.deepEqual(desc.map((p) => p.ts), [2000]);
    assert.deepEqual((await store.latest(T, D)).map((p) => [p.key, p.value]), [
      ['mode', 'eco'],
      ['on', true],
      ['t', 2.5],
    ]);
    await store.close();
  });

  test(`${name} - strings, keys and ids with separators, escapes and non-ASCII survive unchanged`, async () => {
    const store = await open();
    const odd = 'tab\there, line\nbreak, back\\slash \\N, "quoted", ünïcødé ✓';
    const key = 'key with\ttab.and\\N';
    await store.append('c', [batch(1, [[key, 1000, odd], ['n', 1000, -0.000123]], 'tenant\tb', 'device\n2')]);
    const raw = await store.queryRaw({ tenantId: 'tenant\tb', deviceId: 'device\n2', fromMs: 0, toMs: 5000, limit: 10, order: 'asc' });
    assert.deepEqual(raw.map((p) => [p.key, p.value]).sort(), [[key, odd], ['n', -0.000123]].sort());
    assert.deepEqual((await store.latest('tenant\tb', 'device\n2', [key])).map((p) => p.value), [odd]);
    await store.close();
  });

  test(`${name} - batches appended as the log encodes them read back like appended objects`, async () => {
    const store = await open();
    const odd = 'tab\there, line\nbreak, back\\slash \\N, "quoted", ünïcødé ✓';
    const batches = [batch(3, [['t', 1000, 1.5], ['on', 1000, false], ['s', 1000, odd]]), batch(4, [['t', 2000, -2], ['t', 1500, 7]], T, 'device\t2')];
    await store.appendEncoded('enc', batches.map((b) => ({ seq: b.seq, data: encodeBatch(b) })));
    assert.equal(await store.lastAppliedSeq('enc'), 4);
    const raw = await store.queryRaw({ tenantId: T, deviceId: D, fromMs: 0, toMs: 5000, limit: 10, order: 'asc' });
    assert.deepEqual(raw.map((p) => [p.key, p.ts, p.value]).sort(), [['on', 1000, false], ['s', 1000, odd], ['t', 1000, 1.5]]);
    const other = await store.queryRaw({ tenantId: T, deviceId: 'device\t2', fromMs: 0, toMs: 5000, limit: 10, order: 'asc' });
    assert.deepEqual(other.map((p) => [p.ts, p.value]), [[1500, 7], [2000, -2]]);
    assert.deepEqual((await store.latest(T, 'device\t2')).map((p) => [p.key, p.ts, p.value]), [['t', 2000, -2]]);
    await store.close();
  });

  test(`${name} - records the consumer position with the data`, async () => {
    const store = await open();
    assert.equal(await store.lastAppliedSeq('writer'), 0);
    await store.append('writer', [batch(7, [['x', 1, 1]]), batch(9, [['x', 2, 2]])]);
    assert.equal(await store.lastAppliedSeq('writer'), 9);
    await store.close();
  });

  test(`${name} - windowed aggregates`, async () => {
    const store = await open();
    const points: [string, number, number][] = [];
    for (let i = 0; i < 120; i++) points.push(['p', i * 1000, i]);
    await store.append('c', [batch(1, points)]);
    const rows = await store.queryAggregate({
      tenantId: T,
      deviceId: D,
      keys: ['p'],
      fromMs: 0,
      toMs: 119_000,
      intervalMs: 60_000,
      aggregates: ['avg', 'min', 'max', 'sum', 'count'],
    });
    assert.deepEqual(rows, [
      { key: 'p', ts: 0, avg: 29.5, min: 0, max: 59, sum: 1770, count: 60 },
      { key: 'p', ts: 60_000, avg: 89.5, min: 60, max: 119, sum: 5370, count: 60 },
    ]);
    await store.close();
  });

  test(`${name} - aggregates agree before and after roll-up, with partial minutes and late points`, async () => {
    const store = await open();
    const M = 60_000;
    const first: [string, number, number | string][] = [];
    for (let t = 0; t < 5 * M; t += 5_000) first.push(['p', t, t / 1000]);
    first.push(['p', 30_000, 'text']); // counted, not averaged
    await store.append('c', [batch(1, first)]);
    const query = (intervalMs: number) =>
      store.queryAggregate({ tenantId: T, deviceId: D, fromMs: 50_000, toMs: 4 * M + 10_000, intervalMs, aggregates: ['avg', 'min', 'max', 'sum', 'count'] });
    const expected = async (intervalMs: number) => {
      const raw = await store.queryRaw({ tenantId: T, deviceId: D, fromMs: 50_000, toMs: 4 * M + 10_000, limit: 10_000, order: 'asc' });
      const windows = new Map<number, { n: number; nums: number[] }>();
      for (const p of raw) {
        const w = Math.floor(p.ts / intervalMs) * intervalMs;
        const e = windows.get(w) ?? { n: 0, nums: [] };
        e.n++;
        if (typeof p.value === 'number') e.nums.push(p.value);
        windows.set(w, e);
      }
      return [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([ts, e]) => {
        const sum = e.nums.reduce((a, b) => a + b, 0);
        return { key: 'p', ts, avg: sum / e.nums.length, min: Math.min(...e.nums), max: Math.max(...e.nums), sum, count: e.n };
      });
    };
    const close = (a: unknown, b: unknown) => assert.deepEqual(JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v))), JSON.parse(JSON.stringify(b, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v))));
    close(await query(M), await expected(M));
    await store.rollUp();
    close(await query(M), await expected(M));
    close(await query(2 * M), await expected(2 * M));
    // A late point for a rolled-up minute, not rolled up yet: still counted exactly once.
    await store.append('c', [batch(2, [['p', 2 * M + 1, 1000]])]);
    close(await query(M), await expected(M));
    await store.rollUp();
    close(await query(M), await expected(M));
    close(await query(2 * M), await expected(2 * M));
    await store.close();
  });

  test(`${name} - latest keeps the newest timestamp, not the last written`, async () => {
    const store = await open();
    await store.append('c', [batch(1, [['t', 5000, 5]])]);
    await store.append('c', [batch(2, [['t', 3000, 3], ['h', 1000, 40]])]);
    const latest = await store.latest(T, D);
    assert.deepEqual(latest.map((p) => [p.key, p.ts, p.value]), [
      ['h', 1000, 40],
      ['t', 5000, 5],
    ]);
    assert.deepEqual(await store.keys(T, D), ['h', 't']);
    await store.close();
  });

  test(`${name} - keys are data: names of Object.prototype members round-trip`, async () => {
    const store = await open();
    const names = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
    await store.append('c', [batch(1, names.map((k, i) => [k, 1000 + i, i]))]);
    assert.deepEqual((await store.keys(T, D)).sort(), [...names].sort());
    assert.deepEqual((await store.latest(T, D, ['__proto__'])).map((p) => [p.key, p.value]), [['__proto__', 0]]);
    const raw = await store.queryRaw({ tenantId: T, deviceId: D, keys: ['constructor'], fromMs: 0, toMs: 5000, limit: 10, order: 'asc' });
    assert.deepEqual(raw.map((p) => [p.key, p.value]), [['constructor', 1]]);
    assert.deepEqual((await store.seriesCounts()).map((c) => c.series), [names.length]);
    await store.close();
  });

  test(`${name} - tenants and devices are isolated; deleting a device removes its data`, async () => {
    const store = await open();
    await store.append('c', [batch(1, [['t', 1, 1]]), batch(2, [['t', 1, 2]], 'tenant-b', D), batch(3, [['t', 1, 3]], T, 'device-2')]);
    const a = await store.queryRaw({ tenantId: T, deviceId: D, fromMs: 0, toMs: 10, limit: 10, order: 'asc' });
    assert.deepEqual(a.map((p) => p.value), [1]);
    assert.deepEqual((await store.latest('tenant-b', D)).map((p) => p.value), [2]);
    const counts = (await store.seriesCounts()).map((c) => `${c.tenantId}/${c.deviceId}=${c.series}`).sort();
    assert.deepEqual(counts, [`${T}/${D}=1`, `${T}/device-2=1`, `tenant-b/${D}=1`]);
    await store.deleteDevice(T, D);
    assert.deepEqual(await store.latest(T, D), []);
    assert.ok(!(await store.seriesCounts()).some((c) => c.tenantId === T && c.deviceId === D));
    assert.deepEqual((await store.latest(T, 'device-2')).map((p) => p.value), [3]);
    await store.close();
  });

  test(`${name} - storage usage: stored points per tenant (once rolled up) and the bytes on disk`, async () => {
    const store = await open();
    const points: [string, number, number][] = [];
    for (let i = 0; i < 50; i++) points.push(['u', 60_000 + i * 1000, i]);
    await store.append('c', [batch(1, points, 'usage-a'), batch(2, [['u', 60_000, 1], ['v', 60_000, 2]], 'usage-b')]);
    await store.rollUp();
    const usage = await store.storageUsage();
    const byTenant = Object.fromEntries(usage.pointsByTenant.filter((t) => t.tenantId.startsWith('usage-')).map((t) => [t.tenantId, t.points]));
    assert.deepEqual(byTenant, { 'usage-a': 50, 'usage-b': 2 });
    assert.ok(usage.totalBytes > 0, `bytes on disk: ${usage.totalBytes}`);
    await store.close();
  });
}
