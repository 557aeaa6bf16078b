// Fault injection on the write-ahead log: whatever the disk does, every publish that resolved
// is delivered (exactly once, after dedupe by seq) after recovery and after a restart, and
// nothing that was refused comes back.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { FileBus, type FileBusEvent } from '../../src/adapters/embedded/file-bus.js';
import type { LogFs } from '../../src/adapters/embedded/log-fs.js';
import { HEADER_BYTES } from '../../src/adapters/embedded/wal-segment.js';
import { tempDir } from '../helpers/harness.js';
import { faultyFs, fillDisk, mountTmpfs } from './fault-fs.js';

const SUBJECT = 't';
const text = (data: Uint8Array) => Buffer.from(data).toString();

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Publishes and keeps score: what was acknowledged and what was refused. */
class Publisher {
  readonly acked = new Set<string>();
  readonly refused = new Set<string>();
  private n = 0;
  constructor(
    private readonly bus: FileBus,
    private readonly prefix = 'm',
  ) {}
  async publish(count: number, size = 20): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const body = `${this.prefix}${this.n++}-`.padEnd(size, 'x');
        try {
          await this.bus.publish(SUBJECT, Buffer.from(body));
          this.acked.add(body);
        } catch {
          this.refused.add(body);
        }
      }),
    );
  }
}

/** Reads everything a fresh durable consumer gets from the log in dir; fails on a duplicate. */
async function readAll(dir: string, fs?: LogFs): Promise<{ bodies: string[]; events: FileBusEvent[] }> {
  const events: FileBusEvent[] = [];
  const bus = new FileBus({ dir, fs, onError: () => undefined, onEvent: (e) => events.push(e) });
  const bySeq = new Map<number, string>();
  let idleSince = Date.now();
  await bus.subscribe(SUBJECT, async (ms) => {
    for (const m of ms) bySeq.set(m.seq, text(m.data));
    idleSince = Date.now();
  }, { durable: `check-${Math.random().toString(36).slice(2)}` });
  await until(() => Date.now() - idleSince > 300, 'reader idle');
  await bus.close();
  const bodies = [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map(([, body]) => body);
  assert.equal(new Set(bodies).size, bodies.length, 'a message is in the log twice');
  return { bodies, events };
}

/** The end state every test must reach: acknowledged = stored, refused never stored. */
async function assertAckedEqualsStored(dir: string, publisher: Publisher): Promise<FileBusEvent[]> {
  const { bodies, events } = await readAll(dir);
  const stored = new Set(bodies);
  for (const body of publisher.acked) assert.ok(stored.has(body), `acknowledged ${body} was not stored`);
  for (const body of publisher.refused) assert.ok(!stored.has(body), `refused ${body} was stored anyway`);
  assert.equal(stored.size, publisher.acked.size);
  return events;
}

async function segmentPath(dir: string): Promise<string> {
  const name = (await readdir(join(dir, SUBJECT))).find((n) => n.endsWith('.wal'))!;
  return join(dir, SUBJECT, name);
}

describe('write-ahead log under faults', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
  });

  test('short writes are continued until every byte is written', async () => {
    const dir = await tempDir('vigil-fault-');
    const { fs, faults } = faultyFs();
    faults.maxBytesPerWrite = 7;
    const bus = new FileBus({ dir, fs, onError: () => undefined });
    const p = new Publisher(bus);
    await p.publish(200, 100);
    assert.equal(p.acked.size, 200);
    await bus.close();
    await assertAckedEqualsStored(dir, p);
  });

  test('a full disk mid-record refuses the group, repairs the file, and ingest resumes when space returns', async () => {
    const dir = await tempDir('vigil-fault-');
    const { fs, faults } = faultyFs();
    const events: FileBusEvent[] = [];
    const bus = new FileBus({ dir, fs, onError: () => undefined, onEvent: (e) => events.push(e), retryIntervalMs: 20 });
    const p = new Publisher(bus);
    await p.publish(50);
    faults.spaceLeftBytes = 100; // the next record fits partly: a short write, then ENOSPC
    await p.publish(30);
    assert.ok(p.refused.size > 0, 'nothing was refused');
    assert.equal(bus.status().failing.length, 1);
    assert.match(bus.status().failing[0]!.message, /ENOSPC|no progress/);
    assert.ok(events.some((e) => e.kind === 'write-failed'));
    await p.publish(10); // still full: refused, not acknowledged
    faults.spaceLeftBytes = null; // space freed
    await until(() => bus.status().failing.length === 0, 'the log notices writes work again');
    assert.ok(events.some((e) => e.kind === 'write-recovered'));
    const refusedBefore = p.refused.size;
    await p.publish(50);
    assert.equal(p.refused.size, refusedBefore, 'publishes after recovery are acknowledged');
    await bus.close();
    const reopenEvents = await assertAckedEqualsStored(dir, p);
    assert.ok(!reopenEvents.some((e) => e.kind === 'quarantined'), 'the repair left a damaged record behind');
  });

  test('a failing fsync acknowledges nothing of its group; later writes succeed', async () => {
    const dir = await tempDir('vigil-fault-');
    const { fs, faults } = faultyFs();
    const bus = new FileBus({ dir, fs, onError: () => undefined });
    const p = new Publisher(bus);
    await p.publish(20);
    faults.failingSyncs = 1;
    await p.publish(20);
    assert.equal(p.refused.size, 20);
    await p.publish(20);
    assert.equal(p.acked.size, 40);
    assert.equal(bus.status().failing.length, 0);
    await bus.close();
    await assertAckedEqualsStored(dir, p);
  });

  test('when even the repair fails, nothing is acknowledged until a repair succeeds', async () => {
    const dir = await tempDir('vigil-fault-');
    const { fs, faults } = faultyFs();
    const bus = new FileBus({ dir, fs, onError: () => undefined, retryIntervalMs: 20 });
    const p = new Publisher(bus);
    await p.publish(10);
    faults.spaceLeftBytes = 30;
    faults.failingTruncates = 3; // the repair after the failure and the next attempts fail
    await p.publish(5);
    await p.publish(5);
    assert.equal(p.acked.size, 10);
    faults.spaceLeftBytes = null;
    await until(() => bus.status().failing.length === 0, 'repaired');
    await p.publish(10);
    assert.equal(p.acked.size, 20);
    await bus.close();
    await assertAckedEqualsStored(dir, p);
  });

  test('a torn tail is cut at open; records before it survive and new ones follow', async () => {
    const dir = await tempDir('vigil-fault-');
    let bus = new FileBus({ dir, onError: () => undefined });
    const p = new Publisher(bus);
    await p.publish(30);
    await bus.close();
    const torn = Buffer.alloc(HEADER_BYTES + 10);
    torn.writeUInt32LE(0xa1570ed1, 0);
    await appendFile(await segmentPath(dir), torn.subarray(0, 17));
    const events: FileBusEvent[] = [];
    bus = new FileBus({ dir, onError: () => undefined, onEvent: (e) => events.push(e) });
    const again = new Publisher(bus, 'again');
    await again.publish(30);
    await bus.close();
    assert.ok(events.some((e) => e.kind === 'torn-tail' && e.bytes === 17));
    for (const body of again.acked) p.acked.add(body);
    await assertAckedEqualsStored(dir, p);
  });

  test('a corrupt record in the middle is quarantined and the records after it are delivered', async () => {
    const dir = await tempDir('vigil-fault-');
    let bus = new FileBus({ dir, onError: () => undefined });
    const p = new Publisher(bus);
    for (let i = 0; i < 20; i++) await p.publish(1, 40);
    await bus.close();
    const path = await segmentPath(dir);
    const file = await readFile(path);
    const recordBytes = HEADER_BYTES + 40;
    file[5 * recordBytes + HEADER_BYTES + 3] ^= 0xff; // body of the 6th record
    file[12 * recordBytes + 5] ^= 0xff; // length field (header) of the 13th record
    await writeFile(path, file);
    const lost = new Set([[...p.acked][5]!, [...p.acked][12]!]);

    const events: FileBusEvent[] = [];
    bus = new FileBus({ dir, onError: () => undefined, onEvent: (e) => events.push(e) });
    const seen: string[] = [];
    await bus.subscribe(SUBJECT, async (ms) => void seen.push(...ms.map((m) => text(m.data))), { durable: 'storage' });
    const later = new Publisher(bus, 'later');
    await later.publish(5, 40);
    await until(() => seen.length === 18 + 5, 'all intact records delivered');
    assert.deepEqual(seen, [...[...p.acked].filter((b) => !lost.has(b)), ...later.acked]);
    const quarantined = events.filter((e) => e.kind === 'quarantined');
    assert.equal(quarantined.length, 2);
    const status = bus.status();
    assert.equal(status.quarantineFiles.length, 2);
    const kept = await readFile(status.quarantineFiles[0]!);
    assert.equal(kept.length, recordBytes, 'exactly the damaged record is kept aside');
    await bus.close();

    // A restart finds the same damage: not counted again, still skipped, still reported.
    const reopened = await readAll(dir);
    assert.ok(!reopened.events.some((e) => e.kind === 'quarantined'));
    assert.equal(reopened.bodies.length, 23);
  });

  test('damage that appears while the log is open is quarantined by the reader, which moves on', async () => {
    const dir = await tempDir('vigil-fault-');
    const events: FileBusEvent[] = [];
    const bus = new FileBus({ dir, onError: () => undefined, onEvent: (e) => events.push(e) });
    const p = new Publisher(bus);
    for (let i = 0; i < 10; i++) await p.publish(1, 30);
    const path = await segmentPath(dir);
    const file = await readFile(path);
    file[3 * (HEADER_BYTES + 30) + HEADER_BYTES] ^= 0x55;
    await writeFile(path, file);
    const seen: string[] = [];
    await bus.subscribe(SUBJECT, async (ms) => void seen.push(...ms.map((m) => text(m.data))), { durable: 'late' });
    await until(() => seen.length === 9, 'the nine intact records');
    assert.ok(!seen.includes([...p.acked][3]!));
    assert.equal(events.filter((e) => e.kind === 'quarantined').length, 1);
    await bus.close();
  });

  test('a log written in the old record format (no magic) is still read, and appended to', async () => {
    const dir = await tempDir('vigil-fault-');
    await mkdir(join(dir, SUBJECT), { recursive: true });
    const legacy = (seq: number, body: string) => {
      const b = Buffer.from(body);
      const r = Buffer.alloc(16 + b.length);
      r.writeUInt32LE(b.length, 0);
      r.writeUInt32LE(crc32(b), 4);
      r.writeDoubleLE(seq, 8);
      b.copy(r, 16);
      return r;
    };
    await writeFile(join(dir, SUBJECT, '0000000000000001.wal'), Buffer.concat([legacy(1, 'old-1'), legacy(2, 'old-2')]));
    const bus = new FileBus({ dir, onError: () => undefined });
    assert.equal(await bus.publish(SUBJECT, Buffer.from('new-3')), 3);
    await bus.close();
    const { bodies } = await readAll(dir);
    assert.deepEqual(bodies, ['old-1', 'old-2', 'new-3']);
  });

  test('an old-format log with a torn record in the middle (the issue 7 state): the valid records after it are delivered', async () => {
    const dir = await tempDir('vigil-fault-');
    await mkdir(join(dir, SUBJECT), { recursive: true });
    const legacy = (seq: number, body: string) => {
      const b = Buffer.from(JSON.stringify({ body }));
      const r = Buffer.alloc(16 + b.length);
      r.writeUInt32LE(b.length, 0);
      r.writeUInt32LE(crc32(b), 4);
      r.writeDoubleLE(seq, 8);
      b.copy(r, 16);
      return r;
    };
    const before = Array.from({ length: 5 }, (_, i) => legacy(i + 1, `before-${i + 1}`));
    const torn = legacy(6, 'torn-6').subarray(0, 20); // a short write the old code treated as success
    const after = Array.from({ length: 500 }, (_, i) => legacy(i + 7, `after-${i + 7}`));
    await writeFile(join(dir, SUBJECT, '0000000000000001.wal'), Buffer.concat([...before, torn, ...after]));
    const { bodies, events } = await readAll(dir);
    const names = bodies.map((b) => JSON.parse(b).body as string);
    assert.deepEqual(names, [...before.map((_, i) => `before-${i + 1}`), ...after.map((_, i) => `after-${i + 7}`)]);
    assert.equal(events.filter((e) => e.kind === 'quarantined').length, 1);
  });

  test('a zero-filled tail (a crash after the file grew but before data reached it) is cut off', async () => {
    const dir = await tempDir('vigil-fault-');
    let bus = new FileBus({ dir, onError: () => undefined });
    const p = new Publisher(bus);
    await p.publish(10);
    await bus.close();
    await appendFile(await segmentPath(dir), Buffer.alloc(8192));
    const events = await assertAckedEqualsStored(dir, p);
    assert.ok(events.some((e) => e.kind === 'torn-tail' && e.bytes === 8192));
    bus = new FileBus({ dir, onError: () => undefined });
    await new Publisher(bus, 'z').publish(5);
    await bus.close();
    assert.equal((await readAll(dir)).bodies.length, 15);
  });

  test('a real full disk (small tmpfs, or an injected one when not root): refused while full, resumes, nothing acknowledged lost', async () => {
    const mount = await mountTmpfs(2 * 1024 * 1024);
    let fs: LogFs | undefined;
    let dir: string;
    let free: () => Promise<void>;
    let fill: () => Promise<void>;
    if (mount) {
      cleanups.push(mount.unmount);
      dir = join(mount.dir, 'bus');
      const filler = join(mount.dir, 'filler');
      free = () => rm(filler, { force: true });
      fill = () => fillDisk(filler);
    } else {
      const injected = faultyFs();
      fs = injected.fs;
      dir = await tempDir('vigil-fault-');
      free = async () => void (injected.faults.spaceLeftBytes = null);
      fill = async () => void (injected.faults.spaceLeftBytes = 5000);
    }
    const bus = new FileBus({ dir, fs, onError: () => undefined, retryIntervalMs: 20 });
    const p = new Publisher(bus);
    await p.publish(100, 200);
    await fill();
    for (let i = 0; i < 20 && p.refused.size === 0; i++) await p.publish(50, 2000);
    assert.ok(p.refused.size > 0, 'the full disk refused nothing');
    assert.equal(bus.status().failing.length, 1);
    await free();
    await until(() => bus.status().failing.length === 0, 'writes work again');
    const refused = p.refused.size;
    await p.publish(100, 200);
    assert.equal(p.refused.size, refused);
    await bus.close();
    const { bodies } = await readAll(dir, fs);
    const stored = new Set(bodies);
    for (const body of p.acked) assert.ok(stored.has(body), `acknowledged ${body.slice(0, 12)} lost`);
    for (const body of p.refused) assert.ok(!stored.has(body), `refused ${body.slice(0, 12)} stored`);
  });
});
