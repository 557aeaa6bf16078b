import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRegimeCut, looksLikeCounter, RegimeAwareDetector } from '../../src/domains/analytics/detectors/regimes.js';

function seeded(seed: number) {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
}

/** A motor current: ~10 A while running, 0 while stopped, switching every 90 minutes. */
function dutyCycle(i: number, noise: () => number): number {
  return Math.floor(i / 90) % 2 === 0 ? 10 + noise() * 0.4 : Math.abs(noise() * 0.02);
}

test('regimes - two well-separated states are found, one state is not', () => {
  const noise = seeded(1);
  const cut = findRegimeCut(Array.from({ length: 400 }, (_, i) => dutyCycle(i, noise)));
  assert.ok(cut !== null && cut > 1 && cut < 9, `cut ${cut}`);
  assert.equal(findRegimeCut(Array.from({ length: 400 }, () => 20 + noise())), null);
  assert.equal(findRegimeCut(Array.from({ length: 400 }, (_, i) => i)), null, 'a ramp is one regime');
});

test('regimes - starts and stops of a duty-cycled series raise no alarm; a wrong running value does', () => {
  const noise = seeded(2);
  const d = RegimeAwareDetector.create('current', 'auto', 400);
  let alarms = 0;
  for (let i = 0; i < 3060; i++) if (d.update(i * 60_000, dutyCycle(i, noise)).alarm) alarms++;
  assert.equal(alarms, 0, 'switching between the two states is normal');
  assert.match(d.describe(), /2 regimes/);
  // Running, but drawing 5 A instead of 10: a jammed or failing motor.
  let caught = false;
  for (let i = 3060; i < 3080; i++) caught ||= d.update(i * 60_000, 6 + noise() * 0.4).alarm;
  assert.ok(caught);
});

test('regimes - a restored detector continues exactly like one that never stopped', () => {
  const noise = seeded(3);
  const values = Array.from({ length: 900 }, (_, i) => dutyCycle(i, noise));
  const a = RegimeAwareDetector.create('current', 'auto', 400);
  const b = RegimeAwareDetector.create('current', 'auto', 400);
  for (let i = 0; i < 600; i++) {
    a.update(i * 60_000, values[i]!);
    b.update(i * 60_000, values[i]!);
  }
  const restored = RegimeAwareDetector.restore(JSON.parse(JSON.stringify(b.snapshot())));
  for (let i = 600; i < 900; i++) assert.deepEqual(restored.update(i * 60_000, values[i]!), a.update(i * 60_000, values[i]!));
});

test('regimes - a single-state series is judged by the plain detector', () => {
  const noise = seeded(4);
  const d = RegimeAwareDetector.create('temperature', 'auto', 400);
  for (let i = 0; i < 500; i++) d.update(i * 60_000, 20 + noise());
  assert.equal(d.describe(), 'seasonal');
  let caught = false;
  for (let i = 500; i < 510; i++) caught ||= d.update(i * 60_000, 35).alarm;
  assert.ok(caught);
});

test('regimes - a monotone counter is judged by its rate: steady is quiet, a tripled consumption alarms, a reset does not', () => {
  const R = RegimeAwareDetector;
  let seed = 9;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const m = R.create('energy', 'auto', 400);
  let total = 1000;
  const alarms: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const perMinute = i >= 1500 && i < 1560 ? 6 : 2; // consumption triples for an hour
    total = i === 1200 ? 0 : total + perMinute * (0.9 + 0.2 * rnd()); // the meter resets at 1200
    if (m.update(i * 60_000, total).alarm) alarms.push(i);
  }
  assert.match(m.describe(), /^counter → rate per second/);
  assert.ok(alarms.length >= 1 && alarms.every((i) => i >= 1500 && i < 1570), `alarms at ${alarms}`);
  const again = R.restore(JSON.parse(JSON.stringify(m.snapshot())));
  assert.match(again.describe(), /^counter/);
  assert.equal(looksLikeCounter([1, 2, 3, 2, 5]), false, 'too short to tell');
  assert.equal(looksLikeCounter(Array.from({ length: 50 }, (_, i) => Math.sin(i))), false);
});
