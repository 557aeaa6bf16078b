import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadError, telemetryFromJson, type ParseLimits } from '../../src/domains/telemetry/payload.js';
import { parsePlainPayload } from '../../src/domains/telemetry/plain-payload.js';

const NOW = 1_796_000_000_000;
const LIMITS: ParseLimits = { nowMs: NOW, maxFutureSkewMs: 60_000, maxPoints: 12 };

/** What payload.ts makes of the bytes without the plain path: points, or the refusal's reason. */
function general(bytes: Buffer): unknown {
  try {
    return telemetryFromJson(JSON.parse(bytes.toString('utf8')), LIMITS);
  } catch (err) {
    return err instanceof PayloadError ? `refused: ${err.reason}` : 'refused: invalid_json';
  }
}

/** deepEqual, with -0 and 0 told apart (JSON.parse keeps -0). */
function sameValues(actual: unknown, expected: unknown, text: string): void {
  assert.deepEqual(actual, expected, text);
  if (Array.isArray(actual) && Array.isArray(expected)) {
    actual.forEach((p, i) => assert.ok(Object.is(p.value, expected[i].value), `${text}: value ${i}`));
  }
}

test('plain payload - the shapes devices send are read without JSON.parse, with the same points', () => {
  for (const text of [
    `{"ts":${NOW},"values":{"k0":1,"k1":2.5,"k2":-0.1,"k3":true,"k4":"on"}}`,
    ` { "ts" : ${NOW - 5} , "values" : { "temperature" : 21.75 , "door" : false } } \n`,
    '{"temperature":21.5,"humidity":40,"state":"ok","ts":5}',
    '{"a":1e3,"b":-0,"c":0.000001,"d":123456789012345,"e":9007199254740991,"f":1.5e-300,"g":4.35}',
  ]) {
    const bytes = Buffer.from(text);
    const plain = parsePlainPayload(bytes, LIMITS);
    assert.ok(plain, `taken by the plain path: ${text}`);
    sameValues(plain, general(bytes), text);
  }
});

test('plain payload - what it cannot decide exactly is left to payload.ts', () => {
  for (const text of [
    '{"b":1,"2":2}', // JSON.parse puts index-like keys first
    '{"a":1,"a":2}', // duplicate key
    '{"a":"x\\"y"}', // escape
    '{"é":1}', // not ASCII
    `{"values":{"a":1},"ts":${NOW}}`, // timestamped, other order
    `{"ts":${NOW},"values":{"a":1},"x":1}`,
    '{"a":null}',
    '{"a":{"b":1}}',
    '{"a":[1]}',
    '{"a":1e400}',
    '{"a":9007199254740993}',
    '{}',
    `{"ts":${NOW + 120_000},"values":{"a":1}}`,
    '{"ts":1000,"values":{"a":1}}',
    '[{"a":1}]',
    '{"a":01}',
    '{"a":1,}',
    '{"":1}',
    `{"${'k'.repeat(256)}":1}`,
    `{${Array.from({ length: 13 }, (_, i) => `"k${i}":1`).join(',')}}`, // over maxPoints
  ]) {
    assert.equal(parsePlainPayload(Buffer.from(text), LIMITS), null, text);
  }
});

// Generated payloads, near the shapes and their edges: whatever the plain path takes must be what
// payload.ts gives for the same bytes.
const PIECES = {
  key: ['"a"', '"k1"', '"ts"', '"values"', '"__proto__"', '"1"', '""', '"a b"', '"x\\u0041"', '"é"', '"a"', '"\\ud800"'],
  value: ['0', '-0', '1', '-1.5', '1.25e2', '0.1', '12345678901234567', '1e400', '01', '1.', '-', 'true', 'false', 'null', '"s"', '"\\n"', '{}', '[]', '{"a":1}', String(NOW), 'tru', '"é"'],
  space: ['', '', '', ' ', '\n', '\t '],
};
function pick<T>(xs: readonly T[], rnd: () => number): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}
function object(rnd: () => number, depth: number): string {
  const n = Math.floor(rnd() * 6);
  const members: string[] = [];
  for (let i = 0; i < n; i++) {
    const value = depth > 0 && rnd() < 0.2 ? object(rnd, depth - 1) : pick(PIECES.value, rnd);
    members.push(`${pick(PIECES.space, rnd)}${pick(PIECES.key, rnd)}${pick(PIECES.space, rnd)}:${pick(PIECES.space, rnd)}${value}`);
  }
  return `{${members.join(rnd() < 0.97 ? ',' : ',,')}${rnd() < 0.03 ? ',' : ''}}`;
}
function payload(rnd: () => number): string {
  const s = pick(PIECES.space, rnd);
  if (rnd() < 0.5) {
    const ts = pick([String(NOW), String(NOW - 1), `${NOW / 1000}e3`, '1000', String(NOW + 10_000_000), '-1', '1.5', '"1"'], rnd);
    return `${s}{"ts":${s}${ts},${s}"values":${object(rnd, 1)}${rnd() < 0.05 ? ',"x":1' : ''}}${s}`;
  }
  return `${s}${object(rnd, 1)}${s}`;
}

test('plain payload - on generated payloads it agrees with payload.ts whenever it takes one', () => {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let taken = 0;
  for (let i = 0; i < 100_000; i++) {
    const text = payload(rnd);
    const bytes = Buffer.from(text);
    const plain = parsePlainPayload(bytes, LIMITS);
    if (plain === null) continue;
    taken++;
    sameValues(plain, general(bytes), text);
  }
  assert.ok(taken > 1500, `the plain path took ${taken} payloads`);
});

test('plain payload - decimal numbers read digit by digit are the doubles JSON.parse gives', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
  for (let i = 0; i < 100_000; i++) {
    const whole = rnd() < 0.3 ? '0' : `${1 + Math.floor(rnd() * 9)}${digits(Math.floor(rnd() * 10))}`;
    const text = `${rnd() < 0.3 ? '-' : ''}${whole}${rnd() < 0.8 ? `.${digits(1 + Math.floor(rnd() * 12))}` : ''}`;
    const points = parsePlainPayload(Buffer.from(`{"a":${text}}`), LIMITS);
    const expected = JSON.parse(text) as number;
    if (points === null) assert.ok(Number.isInteger(expected) && !Number.isSafeInteger(expected), text);
    else assert.ok(Object.is(points[0]!.value, expected), `${text}: ${points[0]!.value} vs ${expected}`);
  }
});
