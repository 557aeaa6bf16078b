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
});
