import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, restoreDetector } from '../../src/domains/analytics/detectors/index.js';
import { afterDismissal } from '../../src/domains/analytics/detectors/alarm-policy.js';
import { RegimeAwareDetector } from '../../src/domains/analytics/detectors/regimes.js';
import { LIVE_UNIVARIATE_POLICY, LIVE_UNIVARIATE_TUNING } from '../../src/domains/analytics/detectors/config.js';

// Dismissals come from operators of the live path, so these detectors run the live settings.
const live = { policy: LIVE_UNIVARIATE_POLICY, tuning: LIVE_UNIVARIATE_TUNING };

function steady(seed: number) {
  return () => 20 + (((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5) * 0.2;
}

/** Alarms raised on a steady series with a moderate one-point spike (to 20.4, about 6 sigmas) at each of `spikes`. */
function run(d: { update(ts: number, v: number[]): { alarm: boolean; score: number } }, from: number, to: number, spikes: number[], noise: () => number) {
  const alarms: { i: number; score: number }[] = [];
  for (let i = from; i < to; i++) {
    const r = d.update(i * 60_000, [spikes.includes(i) ? 20.4 : noise()]);
    if (r.alarm) alarms.push({ i, score: r.score });
  }
  return alarms;
}

test('a dismissal raises the threshold so the same deviation no longer alarms; a saved model keeps it', () => {
  const noise = steady(3);
  const d = createDetector('auto', ['t'], live);
  const first = run(d, 0, 1200, [1000], noise);
  assert.equal(first.length, 1, 'the spike alarms once');
  const before = d.sensitivity();
  d.dismissed(first[0].score);
  const after = d.sensitivity();
  assert.ok(first[0].score < 1, `a moderate spike does not saturate the score (${first[0].score})`);
  assert.ok(after.threshold > before.threshold && after.threshold > first[0].score, `threshold ${before.threshold} → ${after.threshold}`);
  assert.equal(after.dismissals, 1);
  const restored = restoreDetector(JSON.parse(JSON.stringify(d.snapshot())));
  assert.deepEqual(restored.sensitivity(), after);
  assert.equal(run(restored, 1200, 1600, [1400], noise).length, 0, 'the same spike after a dismissal raises nothing');

  // The same series without the dismissal alarms on the second spike: the feedback made the difference.
  const noise2 = steady(3);
  const control = createDetector('auto', ['t'], live);
  run(control, 0, 1200, [1000], noise2);
  assert.equal(run(control, 1200, 1600, [1400], noise2).length, 1);
});

test('a snapshot saved before feedback existed restores with the configured threshold', () => {
  const d = createDetector('robust', ['t']);
  const old = d.snapshot() as unknown as Record<string, unknown>;
  delete old.feedback;
  const restored = restoreDetector(old);
  assert.equal(restored.sensitivity().threshold, d.snapshot().policy.threshold);
  assert.equal(restored.sensitivity().dismissals, 0);
});

test('each dismissal halves the tail the series may alarm at, and never loosens it', () => {
  const policy = { threshold: 0.96, exitThreshold: 0.96, persistence: 1, refractoryPoints: 100 };
  const one = afterDismissal(policy, 0.97, undefined);
  assert.ok(Math.abs(1 - one.threshold - 0.003) < 1e-12, 'a tenth of the dismissed alarm\'s tail');
  const two = afterDismissal(policy, 0.5, one);
  assert.ok(Math.abs(1 - two.threshold - 0.0015) < 1e-12, 'a low-scoring dismissal still halves the tail');
  assert.equal(two.dismissals, 2);
  assert.ok(two.exitThreshold <= two.threshold);
});

test('regime-aware models pass a dismissal to every regime and keep it across a snapshot', () => {
  const m = RegimeAwareDetector.create('current', 'auto', 100);
  for (let i = 0; i < 300; i++) m.update(i * 60_000, i % 40 < 20 ? 0.01 * (i % 3) : 10 + 0.1 * (i % 5));
  assert.match(m.describe(), /2 regimes/);
  const before = m.sensitivity().threshold;
  m.dismissed(0.99);
  const restored = RegimeAwareDetector.restore(JSON.parse(JSON.stringify(m.snapshot())));
  assert.ok(restored.sensitivity().threshold > before);
  assert.equal(restored.sensitivity().dismissals, 1);
});
