import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLineProtocol } from '../../src/domains/telemetry/formats/line-protocol.js';
import { keyFor, lineProtocolToPoints } from '../../src/domains/telemetry/formats/line-protocol-keys.js';

const limits = { nowMs: 1_800_000_000_000, maxFutureSkewMs: 60_000 };

function one(line: string) {
  const { points, errors } = parseLineProtocol(line, 'ns');
  assert.deepEqual(errors, [], JSON.stringify(errors));
  assert.equal(points.length, 1);
  return points[0]!;
}

describe('line protocol parser', () => {
  test('measurement, tags, every field type and a nanosecond timestamp', () => {
    const p = one('weather,location=us-midwest,season=summer temp=82,hum=71.5e-1,count=3i,big=42u,ok=t,no=FALSE,name="a \\"b\\" \\\\c" 1465839830100400200');
    assert.equal(p.measurement, 'weather');
    assert.deepEqual([...p.tags], [['location', 'us-midwest'], ['season', 'summer']]);
    assert.deepEqual([...p.fields], [['temp', 82], ['hum', 7.15], ['count', 3], ['big', 42], ['ok', true], ['no', false], ['name', 'a "b" \\c']]);
    assert.equal(p.tsMs, 1465839830100);
  });

  test('escapes in measurement, tag keys, tag values and field keys', () => {
    const p = one('my\\ meas\\,ure,tag\\ key=tag\\,val\\=ue field\\=key=1 1');
    assert.equal(p.measurement, 'my meas,ure');
    assert.deepEqual([...p.tags], [['tag key', 'tag,val=ue']]);
    assert.deepEqual([...p.fields], [['field=key', 1]]);
    assert.equal(one('m\\x f=1').measurement, 'm\\x', 'a backslash before another character is literal');
  });

  test('booleans in every spelling Influx accepts', () => {
    for (const t of ['t', 'T', 'true', 'True', 'TRUE']) assert.equal(one(`m f=${t}`).fields.get('f'), true);
    for (const f of ['f', 'F', 'false', 'False', 'FALSE']) assert.equal(one(`m f=${f}`).fields.get('f'), false);
  });

  test('precision converts the timestamp to milliseconds; no timestamp means null', () => {
    assert.equal(parseLineProtocol('m f=1 1700000000', 's').points[0]!.tsMs, 1_700_000_000_000);
    assert.equal(parseLineProtocol('m f=1 1700000000123', 'ms').points[0]!.tsMs, 1_700_000_000_123);
    assert.equal(parseLineProtocol('m f=1 1700000000123456', 'us').points[0]!.tsMs, 1_700_000_000_123);
    assert.equal(one('m f=1').tsMs, null);
  });

  test('a quoted string may hold spaces, commas, equals signs and a newline', () => {
    const { points, errors } = parseLineProtocol('m s="a, b=c\nd" 5000000\nm f=2', 'ns');
    assert.deepEqual(errors, []);
    assert.equal(points[0]!.fields.get('s'), 'a, b=c\nd');
    assert.equal(points[1]!.line, 3, 'line numbers count the newline inside the string');
  });

  test('blank lines, comments and CRLF endings are fine', () => {
    const { points, errors } = parseLineProtocol('# comment\r\n\r\nm f=1 1000000\r\n  \nm f=2\r\n', 'ns');
    assert.deepEqual(errors, []);
    assert.deepEqual(points.map((p) => p.line), [3, 5]);
  });

  test('bad lines are reported by number and do not stop the good ones', () => {
    const body = ['m f=1', 'm', 'm f=', 'm f=abc', 'm,t f=1', 'm f=1i2', 'm f=1 12x', 'm f="open', ''].join('\n');
    const { points, errors } = parseLineProtocol(body, 'ns');
    assert.equal(points.length, 1);
    assert.deepEqual(errors.map((e) => e.line), [2, 3, 4, 5, 6, 7, 8]);
    assert.match(errors[0]!.message, /missing field set/);
    assert.match(errors[2]!.message, /strings need double quotes/);
  });

  test('integers beyond 2^53 are refused rather than rounded', () => {
    const { errors } = parseLineProtocol('m f=9007199254740993i', 'ns');
    assert.match(errors[0]!.message, /2\^53/);
  });
});

describe('line protocol to Vigil keys', () => {
  test('key is measurement.field, tags sorted in braces', () => {
    assert.equal(keyFor('cpu', 'usage', new Map()), 'cpu.usage');
    assert.equal(keyFor('cpu', 'usage', new Map([['host', 'a'], ['cpu', 'cpu0']])), 'cpu.usage{cpu=cpu0;host=a}');
  });

  test('points take the line timestamp or server time; future timestamps are bad lines', () => {
    const future = (limits.nowMs + 3_600_000) * 1_000_000;
    const { points, errors } = lineProtocolToPoints(`env,room=1 t=20,h=40i 1700000000000000000\nenv t=1\nenv t=2 ${future}`, 'ns', limits);
    assert.deepEqual(points, [
      { key: 'env.t{room=1}', ts: 1_700_000_000_000, value: 20 },
      { key: 'env.h{room=1}', ts: 1_700_000_000_000, value: 40 },
      { key: 'env.t', ts: limits.nowMs, value: 1 },
    ]);
    assert.equal(errors[0]!.line, 3);
    assert.match(errors[0]!.message, /future/);
  });
});
