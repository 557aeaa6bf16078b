import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseForecastStep } from '../../src/domains/analytics/forecast/index.js';

const S = 1_000;
const MIN = 60 * S;
const DAY = 86_400 * S;

test('forecast step - the data step when the horizon fits', () => {
  assert.deepEqual(chooseForecastStep(DAY, 10 * MIN, 10_000), { stepMs: 10 * MIN, source: 'data', steps: 144 });
});

test('forecast step - a day ahead of 1 s data is coarsened to the smallest round step that fits', () => {
  assert.deepEqual(chooseForecastStep(DAY, S, 10_000), { stepMs: 10 * S, source: 'horizon', steps: 8640 });
  assert.deepEqual(chooseForecastStep(7 * DAY, S, 10_000), { stepMs: 2 * MIN, source: 'horizon', steps: 5040 });
  // Never finer than the data.
  assert.equal(chooseForecastStep(DAY, 7 * S, 1_000).stepMs, 2 * MIN);
});

test('forecast step - a requested step is taken as given, even when it makes too many steps', () => {
  assert.deepEqual(chooseForecastStep(DAY, S, 10_000, 5 * MIN), { stepMs: 5 * MIN, source: 'request', steps: 288 });
  assert.equal(chooseForecastStep(DAY, 10 * MIN, 10_000, S).steps, 86_400);
});

test('forecast step - beyond the round steps the horizon is divided evenly', () => {
  const { stepMs, steps } = chooseForecastStep(366 * DAY, S, 10);
  assert.ok(steps <= 10 && stepMs >= (366 * DAY) / 10);
});
