// The in-memory tail of a write-ahead log: a consumer at the tail gets exactly the durable
// records after its position, and is sent back to the files once some are no longer held.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentRecords } from '../../src/adapters/embedded/wal-recent.js';
import { encodeRecordInto, HEADER_BYTES } from '../../src/adapters/embedded/wal-segment.js';

/** Frames the records (body: "<seq>" padded to `bodyBytes`) as one commit group written at segmentStart. */
function addGroup(recent: RecentRecords, seqs: number[], segmentStart = 0, bodyBytes = 90, segmentFirstSeq = 1): void {
  const bodies = seqs.map((s) => Buffer.from(String(s).padEnd(bodyBytes, '.')));
  const framed = Buffer.alloc(bodies.reduce((n, b) => n + HEADER_BYTES + b.length, 0));
  const ends = new Uint32Array(seqs.length);
  const lengths = new Uint32Array(seqs.length);
  let at = 0;
  seqs.forEach((seq, i) => {
    at = encodeRecordInto(framed, at, seq, bodies[i]!);
    ends[i] = at;
    lengths[i] = bodies[i]!.length;
  });
  recent.addGroup(framed, Float64Array.from(seqs), ends, lengths, segmentFirstSeq, segmentStart);
}

const RECORD = HEADER_BYTES + 90;

describe('RecentRecords', () => {
  test('records after a seq, oldest first, up to a limit and across groups; none when nothing newer is durable', () => {
    const recent = new RecentRecords(1, 10_000);
    addGroup(recent, [1, 2]);
    addGroup(recent, [3, 4, 5], 2 * RECORD);
    assert.deepEqual(recent.after(0, 10)!.map((r) => r.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(recent.after(1, 3)!.map((r) => r.seq), [2, 3, 4]);
    assert.deepEqual(recent.after(5, 10), []);
  });

  test('each record: its body as written and where it ends in its segment', () => {
    const recent = new RecentRecords(1, 10_000);
    addGroup(recent, [7, 8], 1000, 90, 7);
    const [a, b] = recent.after(6, 10)!;
    assert.equal(Buffer.from(a!.data).toString().replace(/\.+$/, ''), '7');
    assert.equal(Buffer.from(b!.data).toString().replace(/\.+$/, ''), '8');
    assert.deepEqual([a!.segmentFirstSeq, a!.end, b!.end], [7, 1000 + RECORD, 1000 + 2 * RECORD]);
  });

  test('gaps in the seqs (a failed write) are skipped', () => {
    const recent = new RecentRecords(1, 10_000);
    addGroup(recent, [1]);
    addGroup(recent, [4]);
    assert.deepEqual(recent.after(1, 10)!.map((r) => r.seq), [4]);
    assert.deepEqual(recent.after(2, 10)!.map((r) => r.seq), [4]);
  });

  test('bounded by bytes: whole old groups go, and a consumer behind them is sent to the files', () => {
    const recent = new RecentRecords(1, 3 * RECORD);
    addGroup(recent, [1, 2]);
    addGroup(recent, [3]);
    addGroup(recent, [4, 5]);
    assert.equal(recent.after(0, 10), null, 'records 1 and 2 are no longer held');
    assert.equal(recent.after(1, 10), null);
    assert.deepEqual(recent.after(2, 10)!.map((r) => r.seq), [3, 4, 5]);
  });

  test('starts empty at the first unwritten seq', () => {
    const recent = new RecentRecords(101, 10_000);
    assert.equal(recent.after(50, 10), null);
    assert.deepEqual(recent.after(100, 10), []);
    addGroup(recent, [101]);
    assert.deepEqual(recent.after(100, 10)!.map((r) => r.seq), [101]);
  });
});
