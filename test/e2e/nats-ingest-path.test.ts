// The telemetry path of one node on NATS, short of the wiring in app.ts: IngestService publishes
// to NatsBus, the StorageWriter consumes into DuckDB. While NATS is unreachable ingest answers
// 503 (the device retries); afterwards everything acknowledged is stored.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatsBus } from '../../src/adapters/distributed/nats-bus.js';
import { DuckDbTelemetryStore } from '../../src/adapters/embedded/duckdb-telemetry-store.js';
import { IngestService } from '../../src/domains/telemetry/ingest.service.js';
import { RejectedLog } from '../../src/domains/telemetry/rejected-log.js';
import { StorageWriter } from '../../src/domains/telemetry/storage-writer.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { deleteTestStreams, testPrefix } from '../helpers/nats.js';
import { serviceUrls, skipUnless } from '../helpers/services.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

describe('ingest path on NATS JetStream', { skip: await skipUnless('nats') }, () => {
  test('ingest path on NATS - 503 while NATS is unreachable, and every acknowledged point is stored once', async () => {
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(serviceUrls.nats).port));
    const bus = await createNatsBus({
      url: `nats://127.0.0.1:${proxy.port}`,
      prefix: testPrefix(),
      reconnectTimeWaitMs: 100,
      // What was in flight at the cut comes back after this; short, for a quick test.
      ackWaitMs: 3000,
      onError: () => undefined,
    });
    const db = await openTempDuckDb();
    const store = new DuckDbTelemetryStore(db);
    await store.init();
    const metrics = createMetrics();
    const log = createLogger('silent');
    const writer = new StorageWriter(bus, store, metrics, log, 5000, 60_000);
    const ingest = new IngestService(bus, new RejectedLog(10), metrics, log, { maxFutureSkewMs: 60_000, deviceRateLimitPerSec: 1_000_000 });
    const device = { tenantId: 't1', deviceId: 'd1' };
    const t0 = Date.now() - 2 * 3600_000;
    const acknowledged: number[] = [];
    const refusedPoints = new Set<number>();
    const send = async (i: number) => {
      try {
        await ingest.acceptJson(device, 'http', { ts: t0 + i, values: { n: i } });
      } catch (err) {
        refusedPoints.add(i);
        throw err;
      }
      acknowledged.push(i);
    };
    try {
      await writer.start();
      await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));

      await proxy.cut();
      let refused: unknown = null;
      for (let i = 100; !refused && i < 100_000; i++) {
        await send(i).catch((err) => (refused = err));
      }
      assert.ok(refused instanceof AppError && refused.statusCode === 503, `refused with ${refused}`);

      await proxy.restore();
      const deadline = Date.now() + 20_000;
      let next = 1_000_000;
      while (!(await send(next).then(() => true, () => false))) {
        if (Date.now() > deadline) throw new Error('ingest did not recover');
        await new Promise((r) => setTimeout(r, 20));
      }
      next++;
      await Promise.all(Array.from({ length: 100 }, (_, i) => send(next + i)));

      const stored = async () =>
        (await store.queryRaw({ tenantId: 't1', deviceId: 'd1', fromMs: t0, toMs: t0 + 2_000_000, limit: 100_000, order: 'asc' })).map((p) => p.ts - t0);
      const until = Date.now() + 20_000;
      let rows = await stored();
      while (rows.length < acknowledged.length && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        rows = await stored();
      }
      const storedSet = new Set(rows);
      for (const i of acknowledged) assert.ok(storedSet.has(i), `acknowledged point ${i} stored`);
      // A publish refused at the moment of the cut may still have reached NATS: stored, though
      // its device was told to retry. Nothing else may appear.
      for (const i of rows) assert.ok(acknowledged.includes(i) || refusedPoints.has(i), `point ${i} was sent`);
      assert.equal(rows.length, storedSet.size, 'no point stored twice');
    } finally {
      await writer.stop();
      await bus.close();
      await store.close();
      db.close();
      await proxy.close();
      await deleteTestStreams();
    }
  });
});
