import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forecast, detectPeriod, toRegularGrid } from '../../src/domains/analytics/forecast/index.js';
import { seededRandom } from '../../src/domains/analytics/math/index.js';

const HOUR_MS = 3_600_000;

function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

function series(n: number, stepMs: number, f: (i: number) => number) {
  return { ts: Array.from({ length: n }, (_, i) => i * stepMs), values: Array.from({ length: n }, (_, i) => f(i)) };
}

const seasonalTruth = (i: number) => 20 + 0.02 * i + 5 * Math.sin((2 * Math.PI * i) / 24);

test('forecast - daily seasonal sine with trend stays inside its 95% interval', () => {
  const noise = gaussian(1);
  const s = series(24 * 30, HOUR_MS, (i) => seasonalTruth(i) + 0.5 * noise());
  const result = forecast(s, { horizonMs: 48 * HOUR_MS });
  assert.equal(result.model, 'holt-winters');
  assert.equal(result.periodSteps, 24);
  assert.equal(result.points.length, 48);
  const inside = result.points.filter((p, k) => {
    const truth = seasonalTruth(s.values.length + k);
    return truth >= p.lower && truth <= p.upper;
  }).length;
  assert.ok(inside >= 46, `only ${inside}/48 true values inside the 95% interval`);
  const meanAbsError = result.points.reduce((a, p, k) => a + Math.abs(p.value - seasonalTruth(s.values.length + k)), 0) / 48;
  assert.ok(meanAbsError < 0.6, `mean absolute error ${meanAbsError}`);
});

test('forecast - points are on the grid after the last sample and carry 80% and 95% bands', () => {
  const s = series(200, HOUR_MS, (i) => i % 7);
  const result = forecast(s, { steps: 3 });
  assert.deepEqual(result.points.map((p) => p.ts), [200, 201, 202].map((i) => i * HOUR_MS));
  for (const p of result.points) {
    assert.deepEqual(p.intervals.map((b) => b.level), [0.8, 0.95]);
    assert.ok(p.intervals[0].lower >= p.intervals[1].lower && p.intervals[0].upper <= p.intervals[1].upper);
    assert.equal(p.lower, p.intervals[1].lower);
  }
});

test('forecast - intervals widen with the horizon', () => {
  const noise = gaussian(2);
  let level = 0;
  const s = series(500, 60_000, () => (level += noise()));
  const result = forecast(s, { steps: 30 });
  const widths = result.points.map((p) => p.upper - p.lower);
  for (let h = 1; h < widths.length; h++) assert.ok(widths[h] >= widths[h - 1] - 1e-9);
  assert.ok(widths[29] > 3 * widths[0]);
});

test('forecast - white noise is not forecast as seasonal and centres on its mean', () => {
  const noise = gaussian(3);
  const s = series(2000, HOUR_MS, () => 10 + noise());
  const result = forecast(s, { steps: 24 });
  assert.notEqual(result.model, 'holt-winters');
  for (const p of result.points) assert.ok(Math.abs(p.value - 10) < 0.5);
});

test('forecast - linear trend without season is extrapolated', () => {
  const noise = gaussian(4);
  const s = series(300, HOUR_MS, (i) => 2 * i + 0.3 * noise());
  const result = forecast(s, { steps: 10 }, { damped: false });
  assert.notEqual(result.model, 'holt-winters');
  result.points.forEach((p, k) => assert.ok(Math.abs(p.value - 2 * (300 + k)) < 2, `step ${k + 1}: ${p.value}`));
});

test('forecast - irregular timestamps with a gap are regularised on the median step', () => {
  const jitter = seededRandom(5);
  const ts: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < 24 * 20; i++) {
    if (i >= 200 && i < 210) continue; // a 10-hour outage
    ts.push(i * HOUR_MS + Math.round((jitter() - 0.5) * 60_000));
    values.push(seasonalTruth(i));
  }
  const grid = toRegularGrid({ ts, values });
  assert.ok(Math.abs(grid.stepMs - HOUR_MS) < 60_000);
  assert.ok(grid.filledCount >= 9);
  const result = forecast({ ts, values }, { steps: 24 });
  assert.equal(result.periodSteps, 24);
  result.points.forEach((p, k) => assert.ok(Math.abs(p.value - seasonalTruth(480 + k)) < 1, `step ${k + 1}`));
});

test('forecast - detectPeriod finds a daily period at 5-minute sampling and ignores a random walk', () => {
  const noise = gaussian(6);
  const daily = Array.from({ length: 288 * 5 }, (_, i) => 3 * Math.sin((2 * Math.PI * i) / 288) + noise());
  assert.equal(detectPeriod(daily, 300_000).periodSteps, 288);
  let level = 0;
  const walk = Array.from({ length: 3000 }, () => (level += noise()));
  assert.equal(detectPeriod(walk, 300_000).periodSteps, null);
});

test('forecast - handles 10k points', () => {
  const noise = gaussian(7);
  const s = series(10_000, 300_000, (i) => 3 * Math.sin((2 * Math.PI * i) / 288) + 0.01 * i + noise());
  const result = forecast(s, { horizonMs: 24 * HOUR_MS });
  assert.equal(result.points.length, 288);
  assert.equal(result.model, 'holt-winters');
  assert.ok(result.points.every((p) => Number.isFinite(p.value) && p.lower < p.upper));
});

test('forecast - too little history repeats the last value', () => {
  const result = forecast({ ts: [0, 1000], values: [1, 2] }, { steps: 2 });
  assert.equal(result.model, 'naive');
  assert.deepEqual(result.points.map((p) => p.value), [2, 2]);
});
