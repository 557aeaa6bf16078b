// The Bus contract: every implementation runs it (today the embedded write-ahead FileBus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus, BusMessage } from '../../src/ports/bus.js';

export interface BusFixture {
  /** Opens the bus on the same durable storage each time it is called. */
  open(): Promise<Bus>;
  /** A subject unique to this run. */
  subject: string;
}

const text = (m: BusMessage) => Buffer.from(m.data).toString();

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function busContract(name: string, fixture: () => Promise<BusFixture>): void {
  test(`${name} - a durable consumer receives every published message in order`, async () => {
    const f = await fixture();
    const bus = await f.open();
    const seen: string[] = [];
    await bus.subscribe(f.subject, async (ms) => void seen.push(...ms.map(text)), { durable: 'c1' });
    await Promise.all(Array.from({ length: 100 }, (_, i) => bus.publish(f.subject, Buffer.from(`m${i}`))));
    await until(() => seen.length === 100, '100 messages');
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `m${i}`));
    await bus.close();
  });

  test(`${name} - sequence numbers increase strictly`, async () => {
    const f = await fixture();
    const bus = await f.open();
    const seqs: number[] = [];
    await bus.subscribe(f.subject, async (ms) => void seqs.push(...ms.map((m) => m.seq)), { durable: 'c1' });
    for (let i = 0; i < 20; i++) await bus.publish(f.subject, Buffer.from('x'));
    await until(() => seqs.length === 20, '20 messages');
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!);
    await bus.close();
  });

  test(`${name} - every message is delivered without waiting for a later one (no lost wake-up)`, async () => {
    const f = await fixture();
    const bus = await f.open();
    let delivered = 0;
    await bus.subscribe(f.subject, async (ms) => void (delivered += ms.length), { durable: 'lone' });
    for (let i = 1; i <= 50; i++) {
      await bus.publish(f.subject, Buffer.from(`lone${i}`));
      await until(() => delivered === i, `message ${i} delivered on its own`);
    }
    await bus.close();
  });

  test(`${name} - a durable consumer resumes after its last acknowledged message across reopen`, async () => {
    const f = await fixture();
    let bus = await f.open();
    const first: string[] = [];
    await bus.subscribe(f.subject, async (ms) => void first.push(...ms.map(text)), { durable: 'resume' });
    for (let i = 0; i < 5; i++) await bus.publish(f.subject, Buffer.from(`a${i}`));
    await until(() => first.length === 5, 'first five');
    await bus.close();

    bus = await f.open();
    // Published while the consumer is away: kept for it.
    for (let i = 0; i < 3; i++) await bus.publish(f.subject, Buffer.from(`b${i}`));
    const second: string[] = [];
    await bus.subscribe(f.subject, async (ms) => void second.push(...ms.map(text)), { durable: 'resume' });
    await until(() => second.length >= 3, 'the three published while away');
    assert.deepEqual(second.slice(-3), ['b0', 'b1', 'b2']);
    assert.ok(!second.includes('a0'), 'acknowledged messages are not redelivered after a clean close');
    await bus.close();
  });

  test(`${name} - a failing handler gets the same messages again (at least once)`, async () => {
    const f = await fixture();
    const bus = await f.open();
    let calls = 0;
    const delivered: string[] = [];
    await bus.subscribe(
      f.subject,
      async (ms) => {
        calls++;
        if (calls === 1) throw new Error('storage down');
        delivered.push(...ms.map(text));
      },
      { durable: 'retry' },
    );
    await bus.publish(f.subject, Buffer.from('once'));
    await until(() => delivered.includes('once'), 'redelivery');
    assert.ok(calls >= 2);
    await bus.close();
  });

  test(`${name} - ephemeral subscribers see new messages only`, async () => {
    const f = await fixture();
    const bus = await f.open();
    await bus.publish(f.subject, Buffer.from('before'));
    const seen: string[] = [];
    await bus.subscribe(f.subject, async (ms) => void seen.push(...ms.map(text)));
    await bus.publish(f.subject, Buffer.from('after'));
    await until(() => seen.length === 1, 'one message');
    assert.deepEqual(seen, ['after']);
    await bus.close();
  });
}
