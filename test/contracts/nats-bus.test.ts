import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createNatsBus, type NatsBusOptions } from '../../src/adapters/distributed/nats-bus.js';
import type { BusMessage } from '../../src/ports/bus.js';
import { serviceUrls, skipUnless } from '../helpers/services.js';
import { deleteTestStreams, testPrefix } from '../helpers/nats.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { busContract } from './bus.contract.js';

const text = (m: BusMessage) => Buffer.from(m.data).toString();

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Short, so a killed consumer's messages come back quickly in the tests below. */
const CRASH_ACK_WAIT_MS = 1500;

/**
 * Starts a consumer of the durable in a child process, waits until it holds its first batch,
 * and kills it with SIGKILL. Resolves with the sequence numbers it held.
 */
async function killConsumerMidBatch(prefix: string, durable: string): Promise<number[]> {
  const script = fileURLToPath(new URL('../helpers/nats-crashing-consumer.js', import.meta.url));
  const child = spawn(process.execPath, [script, serviceUrls.nats, prefix, 'telemetry', durable, String(CRASH_ACK_WAIT_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    return await new Promise<number[]>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString().split('\n')[0]!)));
      child.once('exit', (code) => reject(new Error(`crashing consumer exited early (${code})`)));
    });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

const open = (prefix: string, extra: Partial<NatsBusOptions> = {}) =>
  createNatsBus({ url: serviceUrls.nats, prefix, onError: () => undefined, ...extra });

describe('NatsBus (NATS JetStream)', { skip: await skipUnless('nats') }, () => {
  after(deleteTestStreams);

  busContract('NatsBus', async () => {
    const prefix = testPrefix();
    return { subject: 'telemetry', open: () => open(prefix) };
  });

  busContract('NatsBus without framing', async () => {
    const prefix = testPrefix();
    return { subject: 'telemetry', open: () => open(prefix, { maxFrameMessages: 1 }) };
  });

  test('NatsBus - a frame larger than maxBatch is split across handler calls, in order', async () => {
    const bus = await open(testPrefix());
    const calls: BusMessage[][] = [];
    await bus.subscribe('telemetry', async (ms) => void calls.push(ms), { durable: 'small', maxBatch: 7 });
    // Published in one tick: one frame of 100.
    const seqs = await Promise.all(Array.from({ length: 100 }, (_, i) => bus.publish('telemetry', Buffer.from(`m${i}`))));
    await until(() => calls.flat().length === 100, '100 messages');
    assert.ok(calls.every((c) => c.length <= 7), `batch sizes ${calls.map((c) => c.length)}`);
    const all = calls.flat();
    assert.deepEqual(all.map(text), Array.from({ length: 100 }, (_, i) => `m${i}`));
    assert.deepEqual(all.map((m) => m.seq), seqs);
    await bus.close();
  });

  test('NatsBus - a handler failure in the middle of a frame brings the whole frame again; nothing is lost', async () => {
    const bus = await open(testPrefix());
    const seen = new Set<string>();
    let calls = 0;
    await bus.subscribe(
      'telemetry',
      async (ms) => {
        if (++calls === 2) throw new Error('storage down');
        ms.forEach((m) => seen.add(text(m)));
      },
      { durable: 'flaky', maxBatch: 10 },
    );
    await Promise.all(Array.from({ length: 50 }, (_, i) => bus.publish('telemetry', Buffer.from(`m${i}`))));
    await until(() => seen.size === 50, 'all 50 after the retry');
    await bus.close();
  });

  test('NatsBus - an exclusive consumer retries a failed batch before anything newer (a high-water mark loses nothing)', async () => {
    const bus = await open(testPrefix());
    try {
      let applied = 0;
      let failures = 0;
      const stored: string[] = [];
      await bus.subscribe(
        'telemetry',
        async (ms) => {
          if (ms.some((m) => text(m) === 'm5') && failures < 3) {
            failures++;
            throw new Error('storage down');
          }
          for (const m of ms) {
            if (m.seq <= applied) continue;
            stored.push(text(m));
            applied = m.seq;
          }
        },
        { durable: 'storage', maxBatch: 3 },
      );
      // One by one: each its own JetStream message, so later ones are ready while m5 fails.
      for (let i = 0; i < 20; i++) await bus.publish('telemetry', Buffer.from(`m${i}`));
      await until(() => stored.length === 20, 'all 20 stored');
      assert.deepEqual(stored, Array.from({ length: 20 }, (_, i) => `m${i}`));
      assert.equal(failures, 3);
    } finally {
      await bus.close();
    }
  });

  test('NatsBus - plain messages and frames from different publishers mix in one stream', async () => {
    const prefix = testPrefix();
    const plain = await open(prefix, { maxFrameMessages: 1 });
    const framed = await open(prefix);
    const seen: string[] = [];
    await framed.subscribe('telemetry', async (ms) => void seen.push(...ms.map(text)), { durable: 'mixed' });
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => plain.publish('telemetry', Buffer.from(`p${i}`))),
      ...Array.from({ length: 20 }, (_, i) => framed.publish('telemetry', Buffer.from(`f${i}`))),
    ]);
    await until(() => seen.length === 40, '40 messages');
    assert.deepEqual(seen.filter((m) => m.startsWith('p')), Array.from({ length: 20 }, (_, i) => `p${i}`));
    assert.deepEqual(seen.filter((m) => m.startsWith('f')), Array.from({ length: 20 }, (_, i) => `f${i}`));
    await plain.close();
    await framed.close();
  });

  test('NatsBus - a consumer killed mid-batch has that batch redelivered to the next member', async () => {
    const prefix = testPrefix();
    const bus = await open(prefix, { ackWaitMs: CRASH_ACK_WAIT_MS });
    try {
      // The durable exists before anything is published, as the storage consumer does in the app.
      await (await bus.subscribe('telemetry', async () => undefined, { durable: 'storage' })).close();
      await Promise.all(Array.from({ length: 30 }, (_, i) => bus.publish('telemetry', Buffer.from(`m${i}`))));
      const held = await killConsumerMidBatch(prefix, 'storage');
      assert.ok(held.length > 0);

      const seen = new Map<string, number>();
      await bus.subscribe('telemetry', async (ms) => ms.forEach((m) => seen.set(text(m), (seen.get(text(m)) ?? 0) + 1)), {
        durable: 'storage',
        group: true,
      });
      await until(() => seen.size === 30, 'all 30 messages, including the killed batch');
      for (let i = 0; i < 30; i++) assert.ok(seen.has(`m${i}`), `m${i} delivered`);
    } finally {
      await bus.close();
    }
  });

  test('NatsBus - a restarted exclusive consumer gets the killed batch before newer messages (a high-water mark loses nothing)', async () => {
    const prefix = testPrefix();
    const bus = await open(prefix, { ackWaitMs: CRASH_ACK_WAIT_MS });
    try {
      await (await bus.subscribe('telemetry', async () => undefined, { durable: 'storage' })).close();
      for (let i = 0; i < 30; i++) await bus.publish('telemetry', Buffer.from(`old${i}`));
      await killConsumerMidBatch(prefix, 'storage');
      // The node restarts at once and ingest goes on: newer messages wait in the stream too.
      for (let i = 0; i < 30; i++) await bus.publish('telemetry', Buffer.from(`new${i}`));

      // The storage writer's rule: skip what is at or below the last stored sequence.
      let applied = 0;
      const stored: string[] = [];
      await bus.subscribe(
        'telemetry',
        async (ms) => {
          for (const m of ms) {
            if (m.seq <= applied) continue;
            stored.push(text(m));
            applied = m.seq;
          }
        },
        { durable: 'storage' },
      );
      await until(() => stored.length === 60, 'all 60 stored');
      assert.deepEqual(stored, [...Array.from({ length: 30 }, (_, i) => `old${i}`), ...Array.from({ length: 30 }, (_, i) => `new${i}`)]);
    } finally {
      await bus.close();
    }
  });

  test('NatsBus - two members of one durable group share the messages; each is handled once', async () => {
    const prefix = testPrefix();
    const nodeA = await open(prefix);
    const nodeB = await open(prefix);
    const stored = new Map<string, number>();
    const perNode = { a: 0, b: 0 };
    const storeOn = (node: 'a' | 'b') => async (ms: BusMessage[]) => {
      perNode[node] += ms.length;
      for (const m of ms) stored.set(text(m), (stored.get(text(m)) ?? 0) + 1);
      // A storage write takes a while, so the other member gets its turn.
      await new Promise((r) => setTimeout(r, 20));
    };
    await nodeA.subscribe('telemetry', storeOn('a'), { durable: 'storage', group: true, maxBatch: 10 });
    await nodeB.subscribe('telemetry', storeOn('b'), { durable: 'storage', group: true, maxBatch: 10 });
    // Twenty rounds of ten: messages published together travel in one frame, and a frame is
    // the unit JetStream hands to one member.
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => nodeA.publish('telemetry', Buffer.from(`m${round * 10 + i}`))));
    }
    await until(() => stored.size === 200, 'all 200 stored');
    await nodeA.close();
    await nodeB.close();
    for (const [message, times] of stored) assert.equal(times, 1, `${message} stored ${times} times`);
    assert.ok(perNode.a > 0 && perNode.b > 0, `work shared: ${JSON.stringify(perNode)}`);
  });

  test('NatsBus - close() lets publishes already made get their acknowledgement', async () => {
    const bus = await open(testPrefix());
    const published = Promise.all(Array.from({ length: 300 }, (_, i) => bus.publish('telemetry', Buffer.from(`m${i}`))));
    await bus.close();
    const seqs = await published;
    assert.equal(new Set(seqs).size, 300);
    await assert.rejects(bus.publish('telemetry', Buffer.from('late')), /closed/);
  });

  test('NatsBus - a durable created with other settings is brought up to date, keeping its position', async () => {
    const prefix = testPrefix();
    let bus = await open(prefix, { ackWaitMs: 30_000 });
    const seen: string[] = [];
    await bus.subscribe('telemetry', async (ms) => void seen.push(...ms.map(text)), { durable: 'tuned' });
    await bus.publish('telemetry', Buffer.from('one'));
    await until(() => seen.length === 1, 'first message');
    await bus.close();

    bus = await open(prefix, { ackWaitMs: 2_000 });
    await bus.subscribe('telemetry', async (ms) => void seen.push(...ms.map(text)), { durable: 'tuned' });
    await bus.publish('telemetry', Buffer.from('two'));
    await until(() => seen.length === 2, 'second message');
    assert.deepEqual(seen, ['one', 'two']);
    const nc = await connect({ servers: serviceUrls.nats });
    const info = await (await jetstreamManager(nc)).consumers.info(`${prefix}_telemetry`, 'tuned');
    await nc.close();
    assert.equal(info.config.ack_wait, 2_000 * 1_000_000);
    await bus.close();
  });

  test('NatsBus - a second local subscriber of one durable is refused unless it joins as a group', async () => {
    const bus = await open(testPrefix());
    await bus.subscribe('telemetry', async () => undefined, { durable: 'solo' });
    await assert.rejects(bus.subscribe('telemetry', async () => undefined, { durable: 'solo' }), /already running/);
    await bus.close();
  });

  test('NatsBus - connection to NATS cut: publish rejects with 503, then recovers and the consumer resumes', async (t) => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(serviceUrls.nats).port));
    const bus = await open(testPrefix(), { url: `nats://127.0.0.1:${proxy.port}`, reconnectTimeWaitMs: 100 });
    try {
      const seen: string[] = [];
      await bus.subscribe('telemetry', async (ms) => void seen.push(...ms.map(text)), { durable: 'storage' });
      await bus.publish('telemetry', Buffer.from('before'));

      const cutAt = Date.now();
      await proxy.cut();
      let rejection: unknown = null;
      const deadline = Date.now() + 20_000;
      while (!rejection && Date.now() < deadline) {
        try {
          await bus.publish('telemetry', Buffer.from('during'));
          await new Promise((r) => setTimeout(r, 5));
        } catch (err) {
          rejection = err;
        }
      }
      t.diagnostic(`publish rejected ${Date.now() - cutAt} ms after the cut`);
      assert.equal((rejection as { statusCode?: number } | null)?.statusCode, 503);

      const restoredAt = Date.now();
      await proxy.restore();
      let seq = 0;
      while (!seq && Date.now() < restoredAt + 20_000) {
        seq = await bus.publish('telemetry', Buffer.from('after')).catch(() => 0);
        if (!seq) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(seq > 0, 'publishing recovered');
      t.diagnostic(`publish acknowledged again ${Date.now() - restoredAt} ms after NATS came back`);
      await until(() => seen.includes('after'), 'the consumer resumed after reconnect');
      assert.ok(seen.includes('before'));
    } finally {
      await bus.close();
      await proxy.close();
    }
  });

  test('NatsBus - an unreachable NATS fails fast with a message naming the URL', async () => {
    await assert.rejects(
      createNatsBus({ url: 'nats://127.0.0.1:1', connectTimeoutMs: 2000 }),
      /NATS not reachable at nats:\/\/127\.0\.0\.1:1/,
    );
  });
});
