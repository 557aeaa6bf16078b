import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegimeAwareDetector } from '../../src/domains/analytics/detectors/regimes.js';
import { flatlineLimit, newFlatline, stepFlatline } from '../../src/domains/analytics/detectors/flatline.js';

function rand(seed: number) {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

test('a noisy sensor that freezes raises one stuck-value alarm, within a few dozen points', () => {
  const r = rand(3);
  const m = RegimeAwareDetector.create('t', 'auto', 400);
  const alarms: { i: number; flatline?: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    const x = i >= 1500 ? 21.37 : Math.round((21 + r()) * 100) / 100;
    const res = m.update(i * 60_000, x);
    if (res.alarm) alarms.push({ i, flatline: res.flatline });
  }
  const stuck = alarms.filter((a) => a.flatline);
  assert.equal(stuck.length, 1, JSON.stringify(alarms));
  assert.ok(stuck[0]!.i >= 1500 && stuck[0]!.i < 1530, `flagged at ${stuck[0]!.i}`);
});

test('runs the series showed while learning (a pump idling at exactly 0) are not stuck values', () => {
  const r = rand(9);
  const s = newFlatline();
  let flagged = 0;
  for (let i = 0; i < 5000; i++) {
    // Runs for 40-120 points, stops (exactly 0) for 10-30 points.
    const phase = i % 130;
    const x = phase < 100 ? 8 + r() : 0;
    flagged += stepFlatline(s, x, i < 400) > 0 ? 1 : 0;
  }
  assert.equal(flagged, 0);
  assert.ok(flatlineLimit(s) >= 60, `limit ${flatlineLimit(s)} is at least twice the longest idle run`);
  // An idle run three times longer than ever seen is flagged once.
  for (let i = 0; i < 200; i++) flagged += stepFlatline(s, 0, false) > 0 ? 1 : 0;
  assert.equal(flagged, 1);
});

test('a quantised series that often repeats needs a much longer run', () => {
  const r = rand(4);
  const s = newFlatline();
  for (let i = 0; i < 400; i++) stepFlatline(s, r() < 0.7 ? 1 : 2, true);
  // Repeats happen with probability 0.7² + 0.3² = 0.58: a run is improbable (1e-6) only at 26 points.
  assert.ok(flatlineLimit(s) >= 24, `limit ${flatlineLimit(s)}`);
});

test('a snapshot saved before the stuck-value check existed restores and starts it', () => {
  const m = RegimeAwareDetector.create('t', 'auto', 50);
  for (let i = 0; i < 100; i++) m.update(i * 60_000, 20 + (i % 7) / 10);
  const old = m.snapshot() as unknown as Record<string, unknown>;
  delete old.flatline;
  const restored = RegimeAwareDetector.restore(JSON.parse(JSON.stringify(old)));
  assert.doesNotThrow(() => restored.update(100 * 60_000, 20.3));
  assert.ok(restored.snapshot().flatline);
});
