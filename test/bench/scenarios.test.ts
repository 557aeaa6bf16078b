// Smoke runs of every benchmark scenario with tiny numbers, so the suite cannot rot. These
// check the shape and sanity of the results, never timing thresholds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connections, dashboardLatency, httpIngest, mqttIngest, queryScenario } from '../../bench/scenarios.js';
import { mosquittoAvailable } from '../../bench/lib/processes.js';

const latencyOk = (l: { count: number; p50: number | null; p99: number | null }) => l.count > 0 && l.p50! >= 0 && l.p99! >= l.p50!;

describe('bench - scenario smoke runs', () => {
  test('mqtt ingest: acked points are stored, latencies are measured, Mosquitto gives a ratio', async () => {
    const r = await mqttIngest({ connections: 3, durationMs: 1_500, payloadKeys: 3, ratePointsPerSec: 600, inflightPerConnection: 4, watchDevices: 2, mosquitto: mosquittoAvailable() });
    assert.ok(r.vigil.pointsAcked > 0);
    assert.equal(r.vigil.connectErrors, 0);
    assert.ok(r.vigil.pointsStored >= r.vigil.pointsAcked);
    assert.ok(r.vigil.ackedPointsPerSec > 0);
    assert.ok(latencyOk(r.vigil.pubackMs));
    assert.ok(latencyOk(r.vigil.liveMs));
    assert.ok(r.vigil.storedMs.count >= 1);
    if (r.mosquitto) {
      assert.ok(r.mosquitto.pointsAcked > 0);
      assert.ok(r.ratio! > 0);
    }
  });

  test('http ingest: batches are accepted and stored', async () => {
    const r = await httpIngest({ devices: 2, concurrency: 2, batchEntries: 20, payloadKeys: 2, durationMs: 800 });
    assert.ok(r.ok > 0);
    assert.equal(r.errors, 0);
    assert.equal(r.pointsStored, r.pointsAccepted);
    assert.ok(r.pointsPerSec > 0);
    assert.ok(latencyOk(r.requestMs));
  });

  test('connections: idle connections are held and memory per connection is reported', async () => {
    const r = await connections({ target: 40, devices: 5, holdMs: 300, connectConcurrency: 10 });
    assert.equal(r.opened, 40);
    assert.equal(r.held, 40);
    assert.ok(r.rssAfterMiB > 0);
  });

  test('dashboard latency: points reach a Socket.IO subscriber', async () => {
    const r = await dashboardLatency({ devices: 3, ratePointsPerSec: 300, payloadKeys: 2, durationMs: 1_500 });
    assert.ok(r.pointsAcked > 0);
    assert.equal(r.pointsReceivedLive, r.pointsAcked);
    assert.ok(latencyOk(r.liveMs));
  });

  test('query: API and raw DuckDB answer the same over generated history', async () => {
    const r = await queryScenario({ points: 20_000, keys: 2, repeats: 1 });
    assert.equal(r.storedPoints, 20_000);
    assert.equal(r.rows.aggregate, r.rowsRaw.aggregate);
    assert.equal(r.rowsRaw.aggregate, r.rowsRaw.aggregateFullScan, 'the rollups give the windows a full scan gives');
    assert.equal(r.rows.latest, 2);
    assert.equal(r.rows.raw, r.rowsRaw.raw);
    for (const q of ['aggregate', 'latest', 'raw']) {
      assert.ok(r.apiMs[q]! > 0 && r.rawMs[q]! > 0);
    }
  });
});
