import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import cbor from 'cbor';
import { parseSenmlCbor } from '../../src/domains/telemetry/formats/senml-cbor.js';
import { PayloadError } from '../../src/domains/telemetry/payload.js';

const limits = { nowMs: 1_800_000_000_000, maxFutureSkewMs: 60_000 };

describe('SenML CBOR (RFC 8428 §6)', () => {
  test('integer labels resolve like the JSON names; vd bytes become base64url', () => {
    const pack = [
      new Map<number, unknown>([[-2, 'dev1/'], [-3, 1.7e9], [-4, 'Cel'], [0, 'temp'], [2, 23.5]]),
      new Map<number, unknown>([[0, 'door'], [4, true]]),
      new Map<number, unknown>([[0, 'raw'], [8, Buffer.from('hello')]]),
      new Map<number, unknown>([[0, 'mode'], [3, 'eco'], [6, 10]]),
    ];
    const { points, units } = parseSenmlCbor(cbor.encode(pack), limits);
    assert.deepEqual(points, [
      { key: 'dev1/temp', ts: 1_700_000_000_000, value: 23.5 },
      { key: 'dev1/door', ts: 1_700_000_000_000, value: true },
      { key: 'dev1/raw', ts: 1_700_000_000_000, value: 'aGVsbG8' },
      { key: 'dev1/mode', ts: 1_700_000_010_000, value: 'eco' },
    ]);
    assert.deepEqual([...units], [['dev1/temp', 'Cel'], ['dev1/door', 'Cel'], ['dev1/raw', 'Cel'], ['dev1/mode', 'Cel']]);
  });

  test('not CBOR, not an array, or a record that is not a map: rejected', () => {
    for (const bad of [Buffer.from([0xff, 0x00]), cbor.encode({ 0: 'a' }), cbor.encode([1, 2])]) {
      assert.throws(() => parseSenmlCbor(bad, limits), (err: unknown) => err instanceof PayloadError && err.reason === 'invalid_shape');
    }
  });
});
