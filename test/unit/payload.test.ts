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

  test('keys named like Object.prototype members are ordinary keys', () => {
    const text = '{"__proto__":1,"constructor":2,"toString":3,"hasOwnProperty":4,"valueOf":5}';
    assert.deepEqual(parseTelemetryPayload(text, limits).map((p) => [p.key, p.value]), [
      ['__proto__', 1],
      ['constructor', 2],
      ['toString', 3],
      ['hasOwnProperty', 4],
      ['valueOf', 5],
    ]);
    const ts = 1_700_000_000_000;
    assert.deepEqual(parseTelemetryPayload(`{"ts":${ts},"values":{"__proto__":7}}`, limits), [{ key: '__proto__', ts, value: 7 }]);
  });

  test('invalid UTF-8 bytes and lone surrogates are rejected, never replaced', () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const rejectBytes = (b: Buffer) => {
      try {
        parseTelemetryPayload(b, limits);
      } catch (err) {
        return (err as PayloadError).reason;
      }
      return 'accepted';
    };
    assert.equal(rejectBytes(bytes('{"t":"', [0xff], '"}')), 'invalid_utf8');
    assert.equal(rejectBytes(bytes('{"', [0xc3], '":1}')), 'invalid_utf8');
    assert.equal(rejectBytes(bytes('{"t":"', [0xed, 0xa0, 0x80], '"}')), 'invalid_utf8'); // CESU-8 surrogate
    assert.equal(reason('{"t":"\\ud800"}'), 'invalid_utf8');
    assert.equal(reason('{"\\udc00x":1}'), 'invalid_utf8');
    assert.equal(reason('{"t":"\\ud83d\\ude00"}'), 'accepted'); // a proper pair
    assert.equal(rejectBytes(Buffer.from('{"température":"ça va 😀"}')), 'accepted');
  });

  test('points per message are capped before the whole message is built', () => {
    const capped = { ...limits, maxPoints: 3 };
    assert.equal(parseTelemetryPayload('{"a":1,"b":2,"c":3}', capped).length, 3);
    assert.throws(() => parseTelemetryPayload('[{"a":1,"b":2},{"c":3,"d":4}]', capped), (err) => (err as PayloadError).reason === 'too_many_points');
  });
});
