// NATS itself killed (-9) and restarted under continuous publishing, on a private nats-server
// so the machine's shared one is never touched.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatsBus } from '../../src/adapters/distributed/nats-bus.js';
import type { BusMessage } from '../../src/ports/bus.js';
import { natsServerSkip, startPrivateNats } from '../helpers/private-nats.js';

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('NatsBus - NATS server restart', { skip: natsServerSkip() }, () => {
  test('NatsBus - NATS killed under load: publishes reject meanwhile, resume after restart, nothing acknowledged is lost', async (t) => {
    const nats = await startPrivateNats();
    const bus = await createNatsBus({ url: nats.url, prefix: 'restart', reconnectTimeWaitMs: 100, publishTimeoutMs: 2000, onError: () => undefined });
    try {
      const delivered = new Set<string>();
      await bus.subscribe('telemetry', async (ms: BusMessage[]) => ms.forEach((m) => delivered.add(Buffer.from(m.data).toString())), {
        durable: 'storage',
      });
      const acked = new Set<string>();
      let rejected = 0;
      let firstRejectAt = 0;
      let n = 0;
      let running = true;
      // Eight devices publishing continuously, each retrying after a rejection as a device would.
      const device = async (id: number) => {
        while (running) {
          const body = `d${id}-${n++}`;
          try {
            await bus.publish('telemetry', Buffer.from(body));
            acked.add(body);
          } catch {
            rejected++;
            firstRejectAt ||= Date.now();
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const devices = Array.from({ length: 8 }, (_, i) => device(i));
      await until(() => acked.size >= 200, '200 acknowledged publishes');

      const killedAt = Date.now();
      await nats.kill();
      await until(() => rejected > 0, 'a rejected publish');
      t.diagnostic(`first publish rejected ${firstRejectAt - killedAt} ms after kill -9`);
      const ackedBeforeRestart = acked.size;

      const restartedAt = Date.now();
      await nats.start();
      await until(() => acked.size >= ackedBeforeRestart + 200, '200 more acknowledged after the restart');
      t.diagnostic(`acknowledging again ${Date.now() - restartedAt} ms after the restart (${rejected} publishes rejected)`);
      running = false;
      await Promise.all(devices);

      const deadline = Date.now() + 30_000;
      while ([...acked].some((b) => !delivered.has(b))) {
        if (Date.now() > deadline) {
          const missing = [...acked].filter((b) => !delivered.has(b));
          assert.fail(`${missing.length} acknowledged messages never delivered, e.g. ${missing.slice(0, 5)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(rejected > 0);
    } finally {
      await bus.close();
      await nats.stop();
    }
  });
});
