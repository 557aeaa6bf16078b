// `npm run build && node dist/bench/nats-publish.js [--messages 20000] [--inflight 1,64,1024]`:
// durable publishes per second through NatsBus (JetStream on VIGIL_BENCH_NATS_URL, default
// nats://127.0.0.1:4222) beside FileBus (the embedded write-ahead log in a temp dir), the same
// encoded telemetry batches, a given number of publishes awaiting their ack at once. Each
// publish counts when the bus acknowledged it (the device's ack). A durable consumer (doing
// nothing with what it gets) runs throughout, as the storage writer does, so JetStream keeps
// every message (interest retention) and the consumer's cost is in the numbers; the last
// column is when it had everything. Not part of `npm run bench`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Bus } from '../src/ports/bus.js';
import { FileBus } from '../src/adapters/embedded/file-bus.js';
import { createNatsBus } from '../src/adapters/distributed/nats-bus.js';
import { encodeBatch, TELEMETRY_SUBJECT } from '../src/domains/telemetry/batch-codec.js';
import { Samples, type LatencySummary } from './lib/stats.js';

interface Row {
  bus: string;
  inflight: number;
  messages: number;
  perSec: number;
  ackMs: LatencySummary;
  /** Messages per second from the first publish until the consumer had the last one. */
  consumedPerSec: number;
}

/** A typical MQTT message: one device, five keys, one timestamp. */
function payloads(count: number): Buffer[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) =>
    encodeBatch({
      tenantId: 'bench-tenant',
      deviceId: `device-${i % 100}`,
      transport: 'mqtt',
      receivedAt: now,
      points: ['temperature', 'humidity', 'pressure', 'vibration', 'current'].map((key, k) => ({ key, ts: now + i, value: i * 0.1 + k })),
    }),
  );
}

/**
 * Keeps `inflight` publishes outstanding until every payload is acknowledged, with a durable
 * consumer counting deliveries.
 */
async function run(bus: Bus, data: Buffer[], inflight: number): Promise<{ perSec: number; ackMs: LatencySummary; consumedPerSec: number }> {
  let consumed = 0;
  let allConsumed: () => void = () => undefined;
  const done = new Promise<void>((r) => (allConsumed = r));
  const subscription = await bus.subscribe(
    TELEMETRY_SUBJECT,
    async (ms) => {
      consumed += ms.length;
      if (consumed >= data.length) allConsumed();
    },
    { durable: 'bench', maxBatch: 5000 },
  );
  const samples = new Samples();
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next < data.length) {
      const payload = data[next++]!;
      const t0 = process.hrtime.bigint();
      await bus.publish(TELEMETRY_SUBJECT, payload);
      samples.add(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  const published = Number(process.hrtime.bigint() - started) / 1e9;
  await done;
  const consumedAll = Number(process.hrtime.bigint() - started) / 1e9;
  await subscription.close();
  return { perSec: data.length / published, ackMs: samples.summary(), consumedPerSec: data.length / consumedAll };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { messages: { type: 'string', default: '20000' }, inflight: { type: 'string', default: '1,64,1024' } },
  });
  const messages = Number(values.messages);
  const windows = values.inflight.split(',').map(Number);
  const natsUrl = process.env.VIGIL_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
  const data = payloads(messages);
  const prefix = `bench_${process.pid}_${Date.now().toString(36)}`;
  const rows: Row[] = [];

  for (const inflight of windows) {
    // A sequential run at inflight 1 takes one round trip (or fsync) per message: fewer of them.
    const count = inflight === 1 ? Math.min(messages, 2000) : messages;
    const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-bus-'));
    const fileBus = new FileBus({ dir });
    const file = await run(fileBus, data.slice(0, count), inflight);
    await fileBus.close();
    await rm(dir, { recursive: true, force: true });
    rows.push({ bus: 'FileBus (write-ahead file, fdatasync)', inflight, messages: count, ...file });

    for (const [bus, maxFrameMessages] of [
      ['NatsBus, frames (default)', 256],
      ['NatsBus, one JetStream message per publish', 1],
    ] as const) {
      // A prefix per run: each starts on an empty stream with a new consumer.
      const natsBus = await createNatsBus({ url: natsUrl, prefix: `${prefix}_${rows.length}`, subjects: [TELEMETRY_SUBJECT], maxFrameMessages });
      const nats = await run(natsBus, data.slice(0, count), inflight);
      await natsBus.close();
      rows.push({ bus, inflight, messages: count, ...nats });
    }
  }

  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names()) if (name.startsWith(prefix)) await jsm.streams.delete(name);
  await nc.close();

  const fmt = (n: number | null) => (n === null ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));
  console.log(`payload ${data[0]!.length} bytes (5 points), ${new Date().toISOString()}`);
  console.log('| bus | in flight | messages | acked publishes/s | ack p50 ms | ack p99 ms | consumed/s (first publish to last delivery) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const cells = [r.bus, r.inflight, r.messages, fmt(Math.round(r.perSec)), fmt(r.ackMs.p50), fmt(r.ackMs.p99), fmt(Math.round(r.consumedPerSec))];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

await main();
