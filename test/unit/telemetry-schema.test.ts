import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPoints, violationOf } from '../../src/domains/devices/telemetry-schema.js';
import type { TelemetrySchema } from '../../src/ports/device-profile-store.js';

const schema: TelemetrySchema = {
  keys: { temperature: { type: 'number', unit: '°C', min: -40, max: 85 }, count: { type: 'integer', min: 0 }, on: { type: 'boolean' }, mode: { type: 'string' } },
  unknownKeys: 'reject',
};
const point = (key: string, value: number | boolean | string) => ({ key, ts: 1, value });

const cases: [string, Parameters<typeof violationOf>[0], unknown, string | null][] = [
  ['a number in range', schema.keys.temperature!, 21.5, null],
  ['the bounds are inclusive', schema.keys.temperature!, 85, null],
  ['above the maximum, with the unit', schema.keys.temperature!, 85.1, '85.1 is above the maximum 85 °C'],
  ['below the minimum', schema.keys.temperature!, -41, '-41 is below the minimum -40 °C'],
  ['a string where a number belongs', schema.keys.temperature!, '21', 'expected number, got string'],
  ['a fraction where an integer belongs', schema.keys.count!, 1.5, 'expected integer, got 1.5'],
  ['an integer', schema.keys.count!, 3, null],
  ['a number where a boolean belongs', schema.keys.on!, 1, 'expected boolean, got number'],
  ['a boolean where a string belongs', schema.keys.mode!, true, 'expected string, got boolean'],
];
for (const [name, spec, value, expected] of cases) {
  test(`schema - ${name}`, () => assert.equal(violationOf(spec, value), expected));
}

test('schema - reject keeps the fitting points and names every violation; unknown keys are violations when the schema says so', () => {
  const verdict = checkPoints(schema, [point('temperature', 20), point('temperature', 99), point('humidity', 40)], 'reject');
  assert.deepEqual(verdict.accepted, [point('temperature', 20)]);
  assert.deepEqual(verdict.violations, [
    { key: 'temperature', reason: '99 is above the maximum 85 °C' },
    { key: 'humidity', reason: 'key is not in the profile schema' },
  ]);
});

test('schema - flag keeps every point and still names the violations; unknown keys pass when accepted', () => {
  const verdict = checkPoints({ ...schema, unknownKeys: 'accept' }, [point('temperature', 99), point('humidity', 40)], 'flag');
  assert.equal(verdict.accepted.length, 2);
  assert.deepEqual(verdict.violations, [{ key: 'temperature', reason: '99 is above the maximum 85 °C' }]);
});

test('schema - a key named like an Object prototype member is not mistaken for a declared key', () => {
  const verdict = checkPoints(schema, [point('constructor', 1), point('toString', 'x')], 'reject');
  assert.equal(verdict.violations.length, 2);
});
