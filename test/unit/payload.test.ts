import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTelemetryPayload, PayloadError } from '../../src/domains/telemetry/payload.js';

const limits = { nowMs: 1_800_000_000_000, maxFutureSkewMs: 60_000 };

function reason(payload: string): string {
  try {
    parseTelemetryPayload(payload, limits);
  } catch (err) {
    assert.ok(err instanceof PayloadError);
    return err.reason;
  }
  return 'accepted';
}

describe('telemetry payload parsing (ThingsBoard forms)', () => {
  test('plain object: every key is a point at server time', () => {
    assert.deepEqual(parseTelemetryPayload('{"t":21.5,"on":true,"mode":"eco"}', limits), [
      { key: 't', ts: limits.nowMs, value: 21.5 },
      { key: 'on', ts: limits.nowMs, value: true },
      { key: 'mode', ts: limits.nowMs, value: 'eco' },
    ]);
  });

  test('timestamped entry and arrays of both forms', () => {
    const ts = 1_700_000_000_000;
    assert.deepEqual(parseTelemetryPayload(JSON.stringify({ ts, values: { a: 1 } }), limits), [{ key: 'a', ts, value: 1 }]);
    const points = parseTelemetryPayload(JSON.stringify([{ ts, values: { a: 1, b: 2 } }, { c: 3 }]), limits);
    assert.deepEqual(points.map((p) => [p.key, p.ts]), [
      ['a', ts],
      ['b', ts],
      ['c', limits.nowMs],
    ]);
  });

  test('an object with ts but no values is plain data (ThingsBoard parser rule)', () => {
    assert.deepEqual(parseTelemetryPayload('{"ts":5,"x":1}', limits).map((p) => p.key), ['ts', 'x']);
  });

  test('rejections carry a reason', () => {
    assert.equal(reason('{"a":'), 'invalid_json');
    assert.equal(reason('42'), 'invalid_shape');
    assert.equal(reason('[1,2]'), 'invalid_shape');
    assert.equal(reason('{"a":null}'), 'invalid_value');
    assert.equal(reason('{"a":{"b":1}}'), 'invalid_value');
    assert.equal(reason('{"a":12345678901234567890}'), 'invalid_value');
    assert.equal(reason('{}'), 'empty');
    assert.equal(reason('[]'), 'empty');
    assert.equal(reason(JSON.stringify({ ts: limits.nowMs + 120_000, values: { a: 1 } })), 'future_timestamp');
    assert.equal(reason(JSON.stringify({ ts: 1_700_000_000, values: { a: 1 } })), 'invalid_timestamp');
    assert.equal(reason(JSON.stringify({ ts: 'yesterday', values: { a: 1 } })), 'invalid_timestamp');
    assert.equal(reason(JSON.stringify({ ts: 1_700_000_000_000, values: [1] })), 'invalid_shape');
    assert.equal(reason(JSON.stringify({ ['k'.repeat(300)]: 1 })), 'invalid_shape');
  });

  test('a point slightly ahead of the server clock is accepted (clock skew)', () => {
    assert.equal(reason(JSON.stringify({ ts: limits.nowMs + 30_000, values: { a: 1 } })), 'accepted');
  });
});
