import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectTrend, detectMeanChanges, theilSen, mannKendall } from '../../src/domains/analytics/trends/index.js';
import { seededRandom } from '../../src/domains/analytics/math/index.js';

const HOUR_MS = 3_600_000;

function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

function hourly(n: number, f: (i: number) => number) {
  return { ts: Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * HOUR_MS), values: Array.from({ length: n }, (_, i) => f(i)) };
}

test('trends - a step is found as a change point with the means on each side', () => {
  const noise = gaussian(1);
  const s = hourly(600, (i) => (i < 400 ? 5 : 8) + noise());
  const result = detectTrend(s);
  assert.equal(result.changePoints.length, 1);
  const cp = result.changePoints[0];
  assert.ok(Math.abs(cp.ts - s.ts[400]) <= 3 * HOUR_MS, `change at ${(cp.ts - s.ts[0]) / HOUR_MS} h`);
  assert.ok(Math.abs(cp.before - 5) < 0.3 && Math.abs(cp.after - 8) < 0.3);
});

test('trends - a long series is block-averaged but the step position stays close', () => {
  const noise = gaussian(2);
  const values = Array.from({ length: 10_000 }, (_, i) => (i < 6000 ? 0 : -2) + noise());
  const changes = detectMeanChanges(values);
  assert.equal(changes.length, 1);
  assert.ok(Math.abs(changes[0].index - 6000) <= 10);
});

test('trends - white noise is flat with no change points', () => {
  const noise = gaussian(3);
  const result = detectTrend(hourly(1000, () => noise()));
  assert.equal(result.direction, 'flat');
  assert.equal(result.changePoints.length, 0);
  assert.ok(result.pValue > 0.05);
});

test('trends - a linear rise reports its slope per hour and per day with a bracket', () => {
  const noise = gaussian(4);
  const result = detectTrend(hourly(2000, (i) => 0.05 * i + 2 * noise()));
  assert.equal(result.direction, 'rising');
  assert.ok(Math.abs(result.slopePerHour - 0.05) < 0.003);
  assert.ok(Math.abs(result.slopePerDay - 1.2) < 0.07);
  assert.ok(result.slopeLowerPerHour <= 0.05 && result.slopeUpperPerHour >= 0.05);
});

test('trends - a slow fall is falling; a minimum slope makes it flat', () => {
  const noise = gaussian(5);
  const s = hourly(500, (i) => 100 - 0.02 * i + 0.5 * noise());
  assert.equal(detectTrend(s).direction, 'falling');
  assert.equal(detectTrend(s, { minSlopePerHour: 0.1 }).direction, 'flat');
});

test('trends - Theil-Sen ignores gross outliers that would tilt least squares', () => {
  const x = Array.from({ length: 100 }, (_, i) => i);
  const y = x.map((i) => 3 * i + (i % 10 === 0 ? 500 : 0));
  const fit = theilSen(x, y, mannKendall(y).varianceS);
  assert.ok(Math.abs(fit.slope - 3) < 1e-9);
});

test('trends - strongly autocorrelated noise is not called a trend', () => {
  const noise = gaussian(6);
  let ar = 0;
  const result = detectTrend(hourly(2000, () => (ar = 0.8 * ar + noise())));
  assert.equal(result.direction, 'flat');
});

test('trends - unsorted input is ordered by timestamp', () => {
  const s = hourly(50, (i) => i);
  const reversed = { ts: [...s.ts].reverse(), values: [...s.values].reverse() };
  const result = detectTrend(reversed);
  assert.equal(result.direction, 'rising');
  assert.ok(Math.abs(result.slopePerHour - 1) < 1e-9);
});

test('trends - a steady ramp is a trend, not a staircase of change points', () => {
  const noise = gaussian(5);
  const result = detectTrend(hourly(1000, (i) => 0.1 * i + 0.3 * noise()));
  assert.equal(result.direction, 'rising');
  assert.deepEqual(result.changePoints, []);
});

test('trends - a step on top of a ramp is still found', () => {
  const noise = gaussian(6);
  const result = detectTrend(hourly(600, (i) => 0.01 * i + (i < 300 ? 0 : 6) + 0.3 * noise()));
  assert.ok(result.changePoints.some((c) => Math.abs(c.ts - (1_700_000_000_000 + 300 * HOUR_MS)) <= 3 * HOUR_MS));
});
