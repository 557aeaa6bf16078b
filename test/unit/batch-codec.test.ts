import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatch, encodeBatch } from '../../src/domains/telemetry/batch-codec.js';
import type { PointBatch } from '../../src/ports/telemetry.js';

/** The wire text as JSON.stringify writes it: what encodeBatch's hand-built text must equal. */
const reference = (b: PointBatch) =>
  JSON.stringify({ t: b.tenantId, d: b.deviceId, tr: b.transport, ra: b.receivedAt, p: b.points.map((p) => [p.key, p.ts, p.value]) });

const AWKWARD = ['plain', 'quote"s', 'back\\slash', 'new\nline', 'tab\t', '\u0000ctl\u001f', 'é ünïcödé 温度', '😀 emoji', 'lone \ud800 surrogate', '__proto__', 'constructor', ''];

test('batch codec - the encoded text is the one JSON.stringify writes, for every kind of value and awkward text', () => {
  const values = [0, -0, 1, -1.5, 1e21, 1e-7, 123.456, Number.MAX_SAFE_INTEGER, 5e-324, true, false, ...AWKWARD];
  for (const text of AWKWARD) {
    const batch: PointBatch = {
      tenantId: `t-${text}`,
      deviceId: text,
      transport: 'mqtt',
      receivedAt: 1_796_000_000_123,
      points: values.map((value, i) => ({ key: `${text}${i}`, ts: 1_796_000_000_000 + i, value })),
    };
    assert.equal(encodeBatch(batch).toString('utf8'), reference(batch));
  }
  const empty: PointBatch = { tenantId: 't', deviceId: 'd', transport: 'http', receivedAt: 1, points: [] };
  assert.equal(encodeBatch(empty).toString('utf8'), reference(empty));
});

test('batch codec - batches encoded one after another stay intact (each decodes to itself)', () => {
  const batches: PointBatch[] = [];
  const encoded: Buffer[] = [];
  for (let i = 0; i < 5000; i++) {
    // Now and then a large one, which does not fit the shared slab.
    const n = i % 997 === 0 ? 20_000 : 1 + (i % 7);
    const batch: PointBatch = { tenantId: 't', deviceId: `d${i}`, transport: 'mqtt', receivedAt: i, points: Array.from({ length: n }, (_, k) => ({ key: `k${k}`, ts: i, value: i * 10 + k })) };
    batches.push(batch);
    encoded.push(encodeBatch(batch));
  }
  for (let i = 0; i < batches.length; i++) {
    const { seq, ...decoded } = decodeBatch(i + 1, encoded[i]!);
    assert.equal(seq, i + 1);
    assert.deepEqual(decoded, batches[i]);
  }
});
