// Fault injection on the storage path: a telemetry store that throws or hangs. The writer keeps
// retrying, the stall is reported (problem, metric) while it lasts, and once storage works
// every acknowledged point is stored exactly once - also across a restart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FileBus } from '../../src/adapters/embedded/file-bus.js';
import { IngestService } from '../../src/domains/telemetry/ingest.service.js';
import { RejectedLog } from '../../src/domains/telemetry/rejected-log.js';
import { StorageWriter } from '../../src/domains/telemetry/storage-writer.js';
import { StorageHealth } from '../../src/domains/telemetry/storage-health.js';
import { decodeBatch, TELEMETRY_SUBJECT } from '../../src/domains/telemetry/batch-codec.js';
import { DiskSpaceGuard } from '../../src/domains/telemetry/disk-space-guard.js';
import { AppError } from '../../src/errors.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import type { EncodedBatch, SequencedBatch } from '../../src/ports/telemetry.js';
import { tempDir } from '../helpers/harness.js';

const log = createLogger('silent');
const device = { tenantId: 'tenant', deviceId: 'dev' };

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An in-memory store that records every appended point and can be made to fail or hang. */
class FlakyStore {
  readonly appendedSeqs: number[] = [];
  readonly points: number[] = [];
  mode: 'ok' | 'throw' | 'hang' = 'ok';
  private release: (() => void) | null = null;
  async appendEncoded(consumer: string, batches: readonly EncodedBatch[]): Promise<void> {
    await this.append(consumer, batches.map((b) => decodeBatch(b.seq, b.data)));
  }
  async append(_consumer: string, batches: SequencedBatch[]): Promise<void> {
    if (this.mode === 'throw') throw new Error('disk I/O error (injected)');
    if (this.mode === 'hang') await new Promise<void>((r) => (this.release = r));
    for (const b of batches) {
      this.appendedSeqs.push(b.seq);
      for (const p of b.points) this.points.push(p.value as number);
    }
  }
  unhang(): void {
    this.mode = 'ok';
    this.release?.();
  }
  async lastAppliedSeq(): Promise<number> {
    return this.appendedSeqs.length ? Math.max(...this.appendedSeqs) : 0;
  }
  async rollUp(): Promise<void> {}
}

async function pipeline(dir: string, store: FlakyStore, metrics: Metrics = createMetrics(), stallAfterMs = 30_000) {
  const bus = new FileBus({ dir, onError: () => undefined });
  const ingest = new IngestService(bus, new RejectedLog(10), metrics, log, { maxFutureSkewMs: 60_000, deviceRateLimitPerSec: 1_000_000 });
  const writer = new StorageWriter(bus, store as unknown as TelemetryStore, metrics, log, 50);
  const health = new StorageHealth({ durableSeq: () => bus.durableSeq(TELEMETRY_SUBJECT), stallAfterMs, checkIntervalMs: 20 }, metrics, log);
  writer.reportTo(health);
  await writer.start();
  return {
    ingest,
    health,
    async close() {
      await bus.close();
      await writer.stop();
    },
  };
}

async function send(ingest: IngestService, from: number, count: number, acked: number[]): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const value = from + i;
      await ingest.acceptJson(device, 'http', { ts: Date.now() - 1000, values: { v: value } });
      acked.push(value);
    }),
  );
}

function assertStoredExactlyOnce(store: FlakyStore, acked: number[]): void {
  assert.equal(new Set(store.appendedSeqs).size, store.appendedSeqs.length, 'a batch was stored twice');
  assert.deepEqual([...store.points].sort((a, b) => a - b), [...acked].sort((a, b) => a - b));
}

describe('storage path under faults', () => {
  test('a store that throws: the stall is reported, the writer keeps retrying and catches up', async () => {
    const dir = await tempDir('vigil-fault-');
    const store = new FlakyStore();
    const metrics = createMetrics();
    const p = await pipeline(dir, store, metrics);
    const acked: number[] = [];
    await send(p.ingest, 0, 50, acked);
    await until(() => store.points.length === 50, 'first points stored');
    store.mode = 'throw';
    await send(p.ingest, 50, 50, acked);
    await until(() => p.health.problem() !== null, 'stall reported after repeated failures');
    assert.match(p.health.problem()!, /storage writes failing .*injected/);
    assert.equal((await metrics.storageStalled.get()).values[0]!.value, 1);
    assert.ok((await metrics.storagePendingMessages.get()).values[0]!.value > 0);
    store.mode = 'ok';
    await until(() => store.points.length === 100, 'caught up', 60_000);
    await until(() => p.health.problem() === null, 'stall cleared');
    assert.equal((await metrics.storageStalled.get()).values[0]!.value, 0);
    await p.close();
    assertStoredExactlyOnce(store, acked);
  });

  test('a store that hangs: no progress with messages pending is a stall; it clears when storage moves', async () => {
    const dir = await tempDir('vigil-fault-');
    const store = new FlakyStore();
    const p = await pipeline(dir, store, createMetrics(), 200);
    const acked: number[] = [];
    store.mode = 'hang';
    await send(p.ingest, 0, 20, acked);
    await until(() => p.health.problem() !== null, 'stall reported');
    assert.match(p.health.problem()!, /no progress .* pending/);
    store.unhang();
    await until(() => store.points.length === 20, 'stored after release');
    await until(() => p.health.problem() === null, 'stall cleared');
    await p.close();
    assertStoredExactlyOnce(store, acked);
  });

  test('acknowledged while storage is down, stored after a restart once it works', async () => {
    const dir = await tempDir('vigil-fault-');
    const store = new FlakyStore();
    let p = await pipeline(dir, store);
    const acked: number[] = [];
    await send(p.ingest, 0, 30, acked);
    await until(() => store.points.length === 30, 'first points stored');
    store.mode = 'throw';
    await send(p.ingest, 30, 30, acked);
    await p.close(); // shutdown while the store fails: the log keeps the rest
    assert.equal(store.points.length, 30);
    store.mode = 'ok';
    p = await pipeline(dir, store);
    await until(() => store.points.length === 60, 'the rest stored after restart');
    await p.close();
    assertStoredExactlyOnce(store, acked);
  });

  test('below the free-space floor ingest refuses with 503 and a retry hint; above it, accepts', async () => {
    const dir = await tempDir('vigil-fault-');
    const store = new FlakyStore();
    const metrics = createMetrics();
    const p = await pipeline(dir, store, metrics);
    let freeBytes = 10 * 1024 * 1024;
    const guard = new DiskSpaceGuard({ dir, minFreeBytes: 64 * 1024 * 1024, checkIntervalMs: 60_000, probe: async () => freeBytes }, metrics, log);
    await guard.start();
    p.ingest.refuseWhen(() => guard.problem());
    const err = await p.ingest.acceptJson(device, 'http', { v: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError);
    assert.equal(err.statusCode, 503);
    assert.ok(err.retryAfterSec! > 0);
    assert.match(err.message, /disk space low/);
    assert.match(guard.problem()!, /10\.0 MiB free .* floor of 64\.0 MiB/);
    assert.equal((await metrics.diskSpaceLow.get()).values[0]!.value, 1);
    freeBytes = 1024 * 1024 * 1024;
    await guard.check();
    assert.equal(guard.problem(), null);
    const acked: number[] = [];
    await send(p.ingest, 0, 5, acked);
    await until(() => store.points.length === 5, 'stored');
    guard.stop();
    await p.close();
    assertStoredExactlyOnce(store, acked);
  });
});
