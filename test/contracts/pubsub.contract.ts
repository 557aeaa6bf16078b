// The PubSub contract: the in-process and the Redis implementations both run it. "Nodes" are
// instances opened on one shared medium (one MemoryPubSubHub, one Redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PubSub } from '../../src/ports/pubsub.js';

export interface PubSubFixture {
  /** A new node on the same medium as every other node of this fixture. */
  open(): Promise<PubSub>;
  /** A subject no other run uses. */
  subject(name: string): string;
}

const text = (data: Uint8Array) => Buffer.from(data).toString();

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets any message still on its way arrive, so an absence means "not delivered". */
async function settle(pubsub: PubSub, subject: string): Promise<void> {
  let marker = false;
  const off = await pubsub.subscribe(subject, () => void (marker = true));
  await pubsub.publish(subject, Buffer.from('marker'));
  await until(() => marker, 'marker');
  await off();
}

export function pubSubContract(name: string, fixture: () => Promise<PubSubFixture>): void {
  test(`${name} - a message reaches every subscriber of its subject on every node, this one included`, async () => {
    const f = await fixture();
    const [a, b] = [await f.open(), await f.open()];
    const subject = f.subject('device.updated');
    const got: string[] = [];
    await a.subscribe(subject, (data, s) => void got.push(`a1:${text(data)}:${s === subject}`));
    await a.subscribe(subject, (data) => void got.push(`a2:${text(data)}`));
    await b.subscribe(subject, (data) => void got.push(`b:${text(data)}`));
    await a.publish(subject, Buffer.from('d1'));
    await until(() => got.length === 3, 'three deliveries');
    assert.deepEqual(got.sort(), ['a1:d1:true', 'a2:d1', 'b:d1']);
    await a.close();
    await b.close();
  });

  test(`${name} - messages keep their bytes and their order from one publisher`, async () => {
    const f = await fixture();
    const [a, b] = [await f.open(), await f.open()];
    const subject = f.subject('live');
    const got: Buffer[] = [];
    await b.subscribe(subject, (data) => void got.push(Buffer.from(data)));
    const binary = Buffer.from([0, 255, 10, 13, 0x80, 0]);
    for (let i = 0; i < 50; i++) await a.publish(subject, i === 0 ? binary : Buffer.from(`m${i}`));
    await until(() => got.length === 50, '50 messages');
    assert.deepEqual(got[0], binary);
    assert.deepEqual(got.slice(1).map(String), Array.from({ length: 49 }, (_, i) => `m${i + 1}`));
    await a.close();
    await b.close();
  });

  test(`${name} - a subscriber gets only its own subject`, async () => {
    const f = await fixture();
    const a = await f.open();
    const [mine, other] = [f.subject('credential.revoked'), f.subject('alarm.changed')];
    const got: string[] = [];
    await a.subscribe(mine, (data) => void got.push(text(data)));
    await a.publish(other, Buffer.from('not for me'));
    await a.publish(mine, Buffer.from('for me'));
    await until(() => got.length === 1, 'one message');
    await settle(a, other);
    assert.deepEqual(got, ['for me']);
    await a.close();
  });

  test(`${name} - unsubscribe stops that handler only`, async () => {
    const f = await fixture();
    const [a, b] = [await f.open(), await f.open()];
    const subject = f.subject('device.updated');
    const kept: string[] = [];
    const dropped: string[] = [];
    await b.subscribe(subject, (data) => void kept.push(text(data)));
    const off = await b.subscribe(subject, (data) => void dropped.push(text(data)));
    await a.publish(subject, Buffer.from('1'));
    await until(() => kept.length === 1 && dropped.length === 1, 'first message to both');
    await off();
    await a.publish(subject, Buffer.from('2'));
    await until(() => kept.length === 2, 'second message to the kept handler');
    await settle(b, subject);
    assert.deepEqual(dropped, ['1']);
    await a.close();
    await b.close();
  });

  test(`${name} - a throwing handler does not stop delivery to the others`, async () => {
    const f = await fixture();
    const a = await f.open();
    const subject = f.subject('alarm.changed');
    const got: string[] = [];
    await a.subscribe(subject, () => {
      throw new Error('handler bug');
    });
    await a.subscribe(subject, (data) => void got.push(text(data)));
    await a.publish(subject, Buffer.from('x'));
    await a.publish(subject, Buffer.from('y'));
    await until(() => got.length === 2, 'both messages');
    await a.close();
  });

  test(`${name} - a closed node receives nothing more and refuses to publish`, async () => {
    const f = await fixture();
    const [a, b] = [await f.open(), await f.open()];
    const subject = f.subject('device.updated');
    const got: string[] = [];
    await b.subscribe(subject, (data) => void got.push(text(data)));
    await b.close();
    await a.publish(subject, Buffer.from('after close'));
    await settle(a, subject);
    assert.deepEqual(got, []);
    await assert.rejects(b.publish(subject, Buffer.from('x')));
    await a.close();
  });
}
