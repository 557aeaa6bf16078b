import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsMsg } from '@nats-io/jetstream';
import { busSeq, encodeFrame, FRAME_SLOTS, frameHeaders, unpack } from '../../src/adapters/distributed/nats-frames.js';
import { retryDelayMs } from '../../src/adapters/distributed/nats-consumers.js';

const jsMsg = (seq: number, data: Uint8Array, count?: number) => ({ seq, data, headers: count === undefined ? undefined : frameHeaders(count) }) as unknown as JsMsg;

describe('NATS frames', () => {
  test('frames - a frame unpacks into its messages, bytes intact, with increasing sequence numbers', () => {
    const parts = [Buffer.from('a'), Buffer.alloc(0), Buffer.from([0, 255, 0]), Buffer.alloc(70_000, 9)];
    const out = unpack(jsMsg(7, encodeFrame(parts), parts.length));
    assert.deepEqual(out.map((m) => Buffer.from(m.data)), parts);
    assert.deepEqual(out.map((m) => m.seq), [0, 1, 2, 3].map((i) => 7 * FRAME_SLOTS + i));
  });

  test('frames - a message without the frame header is one message at index 0', () => {
    const out = unpack(jsMsg(9, Buffer.from('plain')));
    assert.deepEqual(out, [{ seq: busSeq(9, 0), data: Buffer.from('plain') }]);
    assert.ok(busSeq(9, FRAME_SLOTS - 1) < busSeq(10, 0), 'sequence numbers never overlap between stream messages');
  });

  test('frames - a truncated frame is refused, not half read', () => {
    const frame = encodeFrame([Buffer.from('hello'), Buffer.from('world')]);
    assert.throws(() => unpack(jsMsg(1, frame.subarray(0, frame.length - 2), 2)), /corrupt frame/);
    assert.throws(() => unpack(jsMsg(1, frame.subarray(0, frame.length - 7), 2)), /corrupt frame/);
    assert.throws(() => unpack(jsMsg(1, frame, 3)), /corrupt frame/);
  });

  test('retry delay - 100 ms doubling per delivery, capped at 5 s', () => {
    assert.deepEqual([1, 2, 3, 4, 6, 7, 50].map(retryDelayMs), [100, 200, 400, 800, 3200, 5000, 5000]);
  });
});
