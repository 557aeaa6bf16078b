import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, restoreDetector, seasonalPeriods, type DetectionResult, type DetectorKind } from '../../src/domains/analytics/detectors/index.js';
import type { SeasonalState } from '../../src/domains/analytics/detectors/seasonal.js';
import { DAY_MS, WEEK_MS } from '../../src/domains/analytics/detectors/period.js';

const FIVE_MIN = 300_000;

/** Deterministic noise so the tests never flake. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function daily(points: number, seed = 1): { ts: number[]; x: number[] } {
  const rand = rng(seed);
  const ts: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < points; i++) {
    ts.push(i * FIVE_MIN);
    x.push(20 + 5 * Math.sin((2 * Math.PI * i * FIVE_MIN) / DAY_MS) + 0.3 * gaussian(rand));
  }
  return { ts, x };
}

test('detectors - every kind emits scores in [0,1] and stays quiet during the fit period', () => {
  for (const kind of ['auto', 'robust', 'seasonal', 'multivariate'] as DetectorKind[]) {
    const d = createDetector(kind, ['v'], { fitPoints: 100 });
    const { ts, x } = daily(1500);
    x.forEach((v, i) => {
      const r = d.update(ts[i], [v]);
      assert.ok(r.score >= 0 && r.score <= 1, `${kind}: score ${r.score}`);
      if (i < 100) assert.equal(r.isAnomaly, false);
    });
  }
});

test('robust - a spike in stationary noise raises one alarm with an explanation', () => {
  const rand = rng(7);
  const d = createDetector('robust', ['pressure']);
  const alarms: number[] = [];
  let atSpike: DetectionResult | undefined;
  for (let i = 0; i < 3000; i++) {
    const v = 5 + 0.1 * gaussian(rand) + (i >= 2500 && i < 2504 ? 3 : 0);
    const r = d.update(i * 1000, { pressure: v });
    if (r.alarm) alarms.push(i);
    if (i === 2503) atSpike = r;
  }
  assert.ok(alarms.some((i) => i >= 2500 && i <= 2510), `alarms at ${alarms}`);
  assert.ok(alarms.length <= 3, `too many alarms: ${alarms}`);
  assert.equal(atSpike?.explanation?.key, 'pressure');
  const [lo, hi] = atSpike!.explanation!.expected;
  assert.ok(lo < 5 && hi > 5 && atSpike!.explanation!.observed > hi);
});

test('seasonal - finds a daily period and flags a level shift the daily swing would hide', () => {
  const { ts, x } = daily(8 * 288, 3);
  // Half the daily amplitude, but at the time of day when the value is normally lowest.
  for (let i = 7 * 288; i < 7 * 288 + 24; i++) x[i] += 3;
  const d = createDetector('seasonal', ['temp']);
  const flagged: number[] = [];
  x.forEach((v, i) => d.update(ts[i], [v]).isAnomaly && flagged.push(i));
  const periods = seasonalPeriods(d.snapshot().core as SeasonalState);
  assert.equal(periods.temp, DAY_MS);
  assert.ok(flagged.some((i) => i >= 7 * 288 && i < 7 * 288 + 24), 'shift not flagged');
  assert.ok(flagged.filter((i) => i < 7 * 288).length <= 3, `false alarms: ${flagged.filter((i) => i < 7 * 288)}`);
});

test('seasonal - irregular sampling with skipped points still finds the cycle', () => {
  const rand = rng(11);
  const d = createDetector('seasonal', ['load']);
  for (let i = 0; i < 6 * 288; i++) {
    if (rand() < 0.2) continue; // the device skipped this report
    const jitter = Math.round((rand() - 0.5) * 60_000);
    d.update(i * FIVE_MIN + jitter, { load: 10 + 4 * Math.sin((2 * Math.PI * i) / 288) + 0.2 * gaussian(rand) });
  }
  assert.equal(seasonalPeriods(d.snapshot().core as SeasonalState).load, DAY_MS);
});

test('seasonal - a weekly cycle is preferred when weekends differ', () => {
  const rand = rng(5);
  const d = createDetector('seasonal', ['trips']);
  const hour = 3_600_000;
  for (let i = 0; i < 24 * 7 * 4; i++) {
    const t = i * hour;
    const weekend = Math.floor(t / DAY_MS) % 7 >= 5;
    const v = (weekend ? 30 : 100) * (1 + Math.sin((2 * Math.PI * t) / DAY_MS)) + 3 * gaussian(rand);
    d.update(t, [v]);
  }
  assert.equal(seasonalPeriods(d.snapshot().core as SeasonalState).trips, WEEK_MS);
});

test('multivariate - a broken relationship between keys is flagged and attributed to the right key', () => {
  const rand = rng(9);
  const d = createDetector('multivariate', ['flow', 'current', 'noise'], { fitPoints: 400 });
  const flagged: DetectionResult[] = [];
  let earlyAlarms = 0;
  for (let i = 0; i < 1200; i++) {
    const drive = gaussian(rand);
    const flow = 30 + 2 * drive + 0.2 * gaussian(rand) - (i >= 900 ? 1.5 : 0);
    const current = 1 + 0.1 * drive + 0.01 * gaussian(rand);
    const r = d.update(i * 1000, { flow, current, noise: gaussian(rand) });
    if (i < 900 && r.isAnomaly) earlyAlarms++;
    if (i >= 900 && r.isAnomaly) flagged.push(r);
  }
  assert.ok(flagged.length > 200, `only ${flagged.length} of 300 faulty points flagged`);
  assert.ok(earlyAlarms < 10, `${earlyAlarms} false alarms`);
  assert.equal(flagged[flagged.length - 1].explanation?.key, 'flow');
});

test('snapshot - a restored detector continues exactly like the original', () => {
  for (const kind of ['robust', 'seasonal', 'multivariate'] as DetectorKind[]) {
    const keys = kind === 'multivariate' ? ['a', 'b'] : ['a'];
    const { ts, x } = daily(2000, 4);
    const row = (i: number) => (kind === 'multivariate' ? [x[i], x[i] * 2 + (i % 7)] : [x[i]]);
    const straight = createDetector(kind, keys);
    const expected = x.map((_, i) => straight.update(ts[i], row(i)));
    let resumed = createDetector(kind, keys);
    const got: DetectionResult[] = [];
    x.forEach((_, i) => {
      if (i === 1000) resumed = restoreDetector(JSON.parse(JSON.stringify(resumed.snapshot())));
      got.push(resumed.update(ts[i], row(i)));
    });
    assert.deepEqual(got, expected, kind);
  }
});

test('missing values - skipped keys and empty points neither throw nor move the state', () => {
  const d = createDetector('auto', ['a', 'b'], { fitPoints: 10 });
  for (let i = 0; i < 50; i++) d.update(i, { a: i % 3, b: (i % 5) * 2 });
  const before = JSON.stringify(d.snapshot());
  const r = d.update(51, {});
  assert.equal(r.score, 0);
  assert.equal(JSON.stringify(d.snapshot()), before);
  const partial = d.update(52, { a: 1, b: null });
  assert.ok(Number.isFinite(partial.score));
});

test('createDetector - rejects unknown kinds and empty key lists', () => {
  assert.throws(() => createDetector('magic' as DetectorKind, ['a']), /unknown detector kind/);
  assert.throws(() => createDetector('robust', []), /at least one key/);
  assert.throws(() => restoreDetector({ version: 9 }), /snapshot/);
});

test('multivariate - a zero-length fit period still trains on a minimum of points', () => {
  const rand = rng(13);
  const d = createDetector('multivariate', ['a', 'b'], { fitPoints: 0 });
  let anomalies = 0;
  for (let i = 0; i < 600; i++) {
    const a = gaussian(rand);
    if (d.update(i, [a, a + 0.1 * gaussian(rand)]).isAnomaly) anomalies++;
  }
  assert.ok(anomalies < 30, `${anomalies} anomalies in clean data`);
  assert.throws(() => createDetector('robust', ['a'], { fitPoints: -1 }), /fitPoints/);
});
