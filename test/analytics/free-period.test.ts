import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePeriod } from '../../src/domains/analytics/detectors/period.js';

test('freePeriod finds a duty cycle of any length and no cycle in noise or a random walk', () => {
  let seed = 1;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const gapMs = 60_000;
  const cycle = Array.from({ length: 1024 }, (_, i) => (i % 37 < 12 ? 10 : 0) + 0.5 * rnd());
  assert.equal(freePeriod(cycle, gapMs)?.periodMs, 37 * gapMs);
  assert.equal(freePeriod(Array.from({ length: 1024 }, () => rnd()), gapMs), null);
  let walk = 0;
  assert.equal(freePeriod(Array.from({ length: 1024 }, () => (walk += rnd())), gapMs), null);
});
