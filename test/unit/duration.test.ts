import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, parseDuration } from '../../src/util/duration.js';

test('duration - units from ms to weeks', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1w'), 604_800_000);
});

test('duration - a command-line flag without a unit is an error naming the flag and the units', () => {
  assert.throws(() => parseDuration('1', '--interval'), { message: '--interval needs a unit: ms, s, m, h, d or w (e.g. 500ms, 1s, 10m, 2h, 1d, 1w); got "1"' });
  assert.throws(() => parseDuration('soon', '--duration'), /--duration must be a positive duration with a unit: ms, s, m, h, d or w/);
  assert.throws(() => parseDuration('0s', '--duration'), /positive/);
});

test('duration - the API takes a bare number as milliseconds, as its parameters document', () => {
  assert.equal(durationMs('60000'), 60_000);
  assert.equal(durationMs('1m'), 60_000);
  assert.equal(durationMs('-1h'), null);
});
