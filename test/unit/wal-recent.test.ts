// The in-memory tail of a write-ahead log: a consumer at the tail gets exactly the durable
// records after its position, and is sent back to the files once some are no longer held.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentRecords } from '../../src/adapters/embedded/wal-recent.js';

const record = (seq: number, bytes = 100) => ({ seq, data: Buffer.from(String(seq)), segmentFirstSeq: 1, end: seq * bytes, bytes });

describe('RecentRecords', () => {
  test('records after a seq, oldest first, up to a limit; none when nothing newer is durable', () => {
    const recent = new RecentRecords(1, 10_000);
    for (let seq = 1; seq <= 5; seq++) recent.add(record(seq));
    assert.deepEqual(recent.after(0, 10)!.map((r) => r.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(recent.after(2, 2)!.map((r) => r.seq), [3, 4]);
    assert.deepEqual(recent.after(5, 10), []);
  });

  test('seqs lost to a failed write leave a gap that is skipped', () => {
    const recent = new RecentRecords(1, 10_000);
    recent.add(record(1));
    recent.add(record(4));
    assert.deepEqual(recent.after(1, 10)!.map((r) => r.seq), [4]);
    assert.deepEqual(recent.after(2, 10)!.map((r) => r.seq), [4]);
  });

  test('past its byte bound the oldest go, and a consumer behind them must read the files', () => {
    const recent = new RecentRecords(1, 300);
    for (let seq = 1; seq <= 5; seq++) recent.add(record(seq));
    assert.equal(recent.after(0, 10), null, 'records 1 and 2 are no longer held');
    assert.equal(recent.after(1, 10), null);
    assert.deepEqual(recent.after(2, 10)!.map((r) => r.seq), [3, 4, 5]);
  });

  test('after a restart nothing older than the first new record is claimed', () => {
    const recent = new RecentRecords(101, 10_000);
    assert.equal(recent.after(50, 10), null);
    assert.deepEqual(recent.after(100, 10), []);
    recent.add(record(101));
    assert.deepEqual(recent.after(100, 10)!.map((r) => r.seq), [101]);
  });
});
