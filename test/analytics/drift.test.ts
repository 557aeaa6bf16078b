import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegimeAwareDetector } from '../../src/domains/analytics/detectors/regimes.js';
import { driftLimit, newDrift, stepDrift } from '../../src/domains/analytics/detectors/drift.js';
import { createDetector } from '../../src/domains/analytics/detectors/index.js';

function rand(seed: number) {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}
/** Standard normal draw (Box-Muller) from a uniform source. */
function gauss(r: () => number) {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

test('a slow ramp that never leaves the noise band raises a drift alarm; white noise at most a rare one', () => {
  const r = rand(11);
  const m = RegimeAwareDetector.create('t', 'auto', 400, { policy: { threshold: 0.999, exitThreshold: 0.999 } });
  const alarms: { i: number; drift?: number }[] = [];
  for (let i = 0; i < 6000; i++) {
    // 0.04 sigma per point for 150 points: each step is invisible, the sum is 6 sigma.
    const ramp = i >= 5000 && i < 5150 ? (i - 5000) * 0.04 : 0;
    const res = m.update(i * 60_000, 20 + gauss(r) + ramp);
    if (res.alarm) alarms.push({ i, drift: res.drift });
  }
  const drifts = alarms.filter((a) => a.drift);
  // The per-excursion tail is 1e-3: over 4,600 judged points of white noise one flag may happen.
  assert.ok(drifts.filter((a) => a.i < 5000).length <= 1, `false drift alarms: ${JSON.stringify(alarms)}`);
  const caught = drifts.filter((a) => a.i > 5000 && a.i < 5150);
  assert.equal(caught.length, 1, JSON.stringify(alarms));
  assert.ok(caught[0]!.drift! > 0, 'an upward drift');
});

test('the drift limit is learnt from the series: a slowly wandering one tolerates longer excursions', () => {
  const r = rand(5);
  const white = newDrift();
  const wander = newDrift();
  let w = 0;
  let flagged = 0;
  for (let i = 0; i < 3000; i++) {
    w = 0.97 * w + 0.25 * gauss(r); // AR(1): long runs on one side of the level
    flagged += stepDrift(white, gauss(r), i < 400, 1e-3) !== 0 ? 1 : 0;
    flagged += stepDrift(wander, w + 0.2 * gauss(r), i < 400, 1e-3) !== 0 ? 1 : 0;
  }
  assert.ok(flagged <= 1, `${flagged} flags on ordinary data`);
  assert.ok(driftLimit(wander, 1e-3) > driftLimit(white, 1e-3), `${driftLimit(wander, 1e-3)} vs ${driftLimit(white, 1e-3)}`);
  // A smaller tail (an operator dismissed drift alarms) demands a longer excursion.
  assert.ok(driftLimit(white, 1e-4) > driftLimit(white, 1e-3));
  // The state is plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(white)), white);
});

test('drift state survives a snapshot round trip of the regime wrapper', () => {
  const r = rand(2);
  const m = RegimeAwareDetector.create('t', 'auto', 100);
  for (let i = 0; i < 500; i++) m.update(i * 1000, gauss(r));
  const again = RegimeAwareDetector.restore(JSON.parse(JSON.stringify(m.snapshot())));
  assert.deepEqual(again.snapshot().drift, m.snapshot().drift);
  assert.ok(m.snapshot().drift!.length === 1);
});

test('the multivariate baseline thaws after two fit periods of anomaly: a lasting shift stops alarming', () => {
  const r = rand(8);
  const fit = 200;
  const d = createDetector('multivariate', ['a', 'b'], { fitPoints: fit });
  const flagged: number[] = [];
  for (let i = 0; i < 4000; i++) {
    const shift = i >= 1000 ? 8 : 0; // a lasting new level on one key
    const res = d.update(i * 1000, [gauss(r) + shift, gauss(r)]);
    if (res.isAnomaly) flagged.push(i);
  }
  assert.ok(flagged.some((i) => i >= 1000 && i < 1100), 'the shift is reported');
  // Thawed after 400 points, the baseline then catches up at its usual pace (~200-point time constant).
  assert.ok(!flagged.some((i) => i >= 3000), `still flagged at ${flagged.filter((i) => i >= 3000).slice(0, 3)}`);
  // Without the thaw (0: frozen for ever) the new level is flagged to the end.
  const frozen = createDetector('multivariate', ['a', 'b'], { fitPoints: fit, tuning: { multivariate: { maxFrozenFits: 0 } } });
  let last = false;
  const r2 = rand(8);
  for (let i = 0; i < 4000; i++) last = frozen.update(i * 1000, [gauss(r2) + (i >= 1000 ? 8 : 0), gauss(r2)]).isAnomaly;
  assert.equal(last, true);
});

test('a key that never changes (a set point) is a constant, not a stuck sensor', () => {
  const m = RegimeAwareDetector.create('setpoint', 'auto', 400, { policy: { threshold: 0.999, exitThreshold: 0.999 } });
  let alarms = 0;
  for (let i = 0; i < 12_000; i++) if (m.update(i * 60_000, 21).alarm) alarms++;
  assert.equal(alarms, 0);
});

test('a deviation within one step of the series resolution is not an anomaly: a battery stepping down by 0.1', () => {
  const m = RegimeAwareDetector.create('battery', 'auto', 400, { policy: { threshold: 0.999, exitThreshold: 0.999 } });
  let alarms = 0;
  let level = 95;
  // Reported to 0.1, losing 0.1 every ~170 points: nearly flat, so its spread is almost nothing.
  for (let i = 0; i < 5000; i++) {
    if (i % 170 === 169) level = Math.round((level - 0.1) * 10) / 10;
    if (m.update(i * 60_000, level).alarm) alarms++;
  }
  assert.equal(alarms, 0, 'single-step changes raise nothing');
  assert.equal(m.snapshot().quantum !== undefined && Math.abs(m.snapshot().quantum! - 0.1) < 1e-9, true);
  // A drop of 20 % is far beyond one step.
  let caught = false;
  for (let i = 5000; i < 5010; i++) caught ||= m.update(i * 60_000, 70).alarm;
  assert.ok(caught);
});
