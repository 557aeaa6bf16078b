import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileBus } from '../../src/adapters/embedded/file-bus.js';
import { tempDir } from '../helpers/harness.js';
import { busContract } from './bus.contract.js';

describe('FileBus (embedded)', () => {
  busContract('FileBus', async () => {
    const dir = await tempDir('vigil-bus-');
    return { subject: 'telemetry', open: async () => new FileBus({ dir, onError: () => undefined }) };
  });

  test('FileBus - a torn record at the tail (crash mid-write) is cut off; earlier messages survive', async () => {
    const dir = await tempDir('vigil-bus-');
    const bus = new FileBus({ dir, onError: () => undefined });
    await bus.publish('t', Buffer.from('kept'));
    await bus.close();
    const segment = (await readdir(join(dir, 't'))).find((n) => n.endsWith('.wal'))!;
    await appendFile(join(dir, 't', segment), Buffer.from([50, 0, 0, 0, 1, 2, 3]));
    const reopened = new FileBus({ dir, onError: () => undefined });
    const seen: string[] = [];
    await reopened.subscribe('t', async (ms) => void seen.push(...ms.map((m) => Buffer.from(m.data).toString())), { durable: 'x' });
    await reopened.publish('t', Buffer.from('next'));
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['kept', 'next']);
    await reopened.close();
  });

  test('FileBus - acknowledged segments are deleted, the active one kept', async () => {
    const dir = await tempDir('vigil-bus-');
    const bus = new FileBus({ dir, segmentBytes: 200, onError: () => undefined });
    let n = 0;
    await bus.subscribe('t', async (ms) => void (n += ms.length), { durable: 'c' });
    for (let i = 0; i < 50; i++) await bus.publish('t', Buffer.from('x'.repeat(50)));
    while (n < 50) await new Promise((r) => setTimeout(r, 10));
    await bus.close();
    const segments = (await readdir(join(dir, 't'))).filter((f) => f.endsWith('.wal'));
    assert.ok(segments.length <= 2, `segments left: ${segments.length}`);
  });

  test('FileBus - a consumer reads across many segments and resumes across them after reopen', async () => {
    const dir = await tempDir('vigil-bus-');
    const text = (m: { data: Uint8Array }) => Buffer.from(m.data).toString();
    let bus = new FileBus({ dir, segmentBytes: 300, onError: () => undefined });
    const first: string[] = [];
    await bus.subscribe('t', async (ms) => void first.push(...ms.map(text)), { durable: 'c', maxBatch: 7 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => bus.publish('t', Buffer.from(`m${i}`))));
    while (first.length < 200) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(first, Array.from({ length: 200 }, (_, i) => `m${i}`));
    await bus.close();

    bus = new FileBus({ dir, segmentBytes: 300, onError: () => undefined });
    for (let i = 200; i < 250; i++) await bus.publish('t', Buffer.from(`m${i}`));
    const second: string[] = [];
    await bus.subscribe('t', async (ms) => void second.push(...ms.map(text)), { durable: 'c', maxBatch: 7 });
    while (second.length < 50) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(second, Array.from({ length: 50 }, (_, i) => `m${200 + i}`));
    await bus.close();
  });

  test('FileBus - a message larger than the read chunk is delivered whole', async () => {
    const dir = await tempDir('vigil-bus-');
    const bus = new FileBus({ dir, onError: () => undefined });
    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    const got: Uint8Array[] = [];
    await bus.subscribe('t', async (ms) => void got.push(...ms.map((m) => m.data)), { durable: 'c' });
    await bus.publish('t', Buffer.from('small'));
    await bus.publish('t', big);
    await bus.publish('t', Buffer.from('after'));
    while (got.length < 3) await new Promise((r) => setTimeout(r, 10));
    assert.equal(got[1]!.length, big.length);
    assert.equal(Buffer.from(got[2]!).toString(), 'after');
    await bus.close();
  });
});
