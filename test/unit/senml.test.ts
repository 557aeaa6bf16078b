import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSenmlJson, senmlToPoints } from '../../src/domains/telemetry/formats/senml.js';
import { PayloadError } from '../../src/domains/telemetry/payload.js';

const limits = { nowMs: 1_800_000_000_000, maxFutureSkewMs: 60_000 };

function reason(pack: unknown): string {
  try {
    senmlToPoints(pack, limits);
  } catch (err) {
    assert.ok(err instanceof PayloadError);
    return err.reason;
  }
  return 'accepted';
}

describe('SenML (RFC 8428) packs', () => {
  test('RFC 8428 §5.1.2 example: base name, base time, base unit resolve into every record', () => {
    const { points, units } = senmlToPoints(
      [
        { bn: 'urn:dev:ow:10e2073a01080063:', bt: 1.320067464e9, bu: '%RH', v: 20 },
        { u: 'lon', v: 24.30621 },
        { u: 'lat', v: 60.07965 },
        { t: 60, v: 20.3 },
        { u: 'lon', t: 60, v: 24.30622 },
      ],
      limits,
    );
    const base = 'urn:dev:ow:10e2073a01080063:';
    assert.deepEqual(points[0], { key: base, ts: 1_320_067_464_000, value: 20 });
    assert.deepEqual(points[3], { key: base, ts: 1_320_067_524_000, value: 20.3 });
    assert.equal(units.get(base), 'lon', 'one name, several units: the last one wins');
  });

  test('names join bn + n; units per key; every value type', () => {
    const { points, units } = senmlToPoints(
      [
        { bn: 'boiler/', bt: 1.7e9, n: 'temp', u: 'Cel', v: 23.1 },
        { n: 'door', vb: true },
        { n: 'mode', vs: 'eco' },
        { n: 'blob', vd: 'aGVsbG8' },
        { n: 'energy', u: 'J', s: 1200 },
      ],
      limits,
    );
    assert.deepEqual(
      points.map((p) => [p.key, p.value]),
      [['boiler/temp', 23.1], ['boiler/door', true], ['boiler/mode', 'eco'], ['boiler/blob', 'aGVsbG8'], ['boiler/energy', 1200]],
    );
    assert.deepEqual([...units], [['boiler/temp', 'Cel'], ['boiler/energy', 'J']]);
  });

  test('base value and base sum are added; a value and a sum both kept', () => {
    const { points } = senmlToPoints([{ bn: 'm', bv: 100, bs: 10, bt: 1.7e9, v: 5, s: 1 }], limits);
    assert.deepEqual(points.map((p) => [p.key, p.value]), [['m', 105], ['m.sum', 11]]);
  });

  test('times below 2^28 are relative to now; no time means now', () => {
    const { points } = senmlToPoints([{ n: 'a', v: 1 }, { n: 'b', t: -30, v: 2 }, { n: 'c', bt: -60, t: 0.5, v: 3 }], limits);
    assert.deepEqual(points.map((p) => p.ts), [limits.nowMs, limits.nowMs - 30_000, limits.nowMs - 59_500]);
  });

  test('bad packs are rejected with a reason', () => {
    assert.equal(reason({ n: 'a', v: 1 }), 'invalid_shape', 'not an array');
    assert.equal(reason([{ n: 'a' }]), 'invalid_shape', 'no value');
    assert.equal(reason([{ n: 'a', v: 1, vs: 'x' }]), 'invalid_shape', 'two values');
    assert.equal(reason([{ n: ' bad', v: 1 }]), 'invalid_shape', 'invalid name');
    assert.equal(reason([{ n: 'a', v: '1' }]), 'invalid_value');
    assert.equal(reason([{ n: 'a', v: 1, foo_: 1 }]), 'invalid_shape', 'must-understand field');
    assert.equal(reason([{ bver: 11, n: 'a', v: 1 }]), 'invalid_shape', 'newer version');
    assert.equal(reason([{ n: 'a', t: 1.9e9, v: 1 }]), 'future_timestamp');
    assert.equal(reason([]), 'empty');
    assert.equal(reason([{ n: 'a', v: 1, extra: 'ignored' }]), 'accepted', 'unknown fields without "_" are ignored');
  });
});

test('SenML JSON bytes that are not UTF-8 are refused, not decoded to U+FFFD', () => {
  const bytes = Buffer.concat([Buffer.from('[{"n":"t","vs":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]')]);
  assert.throws(() => parseSenmlJson(bytes, limits), (err: unknown) => err instanceof PayloadError && err.reason === 'invalid_utf8');
});
