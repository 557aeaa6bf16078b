// Run as a child process by the NatsBus tests: binds a durable consumer, prints the sequence
// numbers of the first batch it is handed as one JSON line, and never finishes that batch, so
// the parent can kill -9 it mid-batch. Usage: node nats-crashing-consumer.js <url> <prefix> <subject> <durable> <ackWaitMs>
import { createNatsBus } from '../../src/adapters/distributed/nats-bus.js';

const [url, prefix, subject, durable, ackWaitMs] = process.argv.slice(2);
const bus = await createNatsBus({ url: url!, prefix: prefix!, ackWaitMs: Number(ackWaitMs), onError: () => undefined });
await bus.subscribe(
  subject!,
  (messages) => {
    process.stdout.write(`${JSON.stringify(messages.map((m) => m.seq))}\n`);
    return new Promise<void>(() => undefined);
  },
  { durable: durable!, maxBatch: 10 },
);
