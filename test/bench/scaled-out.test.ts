// Smoke run of the scaled-out benchmark step with tiny numbers, on this machine's PostgreSQL,
// NATS and Redis (skipped with a reason where they are missing): every acknowledged point is
// found in PostgreSQL, the raw COPY baseline loads exactly those rows, and the run leaves no
// schema behind. Never timing thresholds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { scaledOutScenario, type ScaledOutResult } from '../../bench/scaled-out.js';
import { serviceUrls, skipUnless } from '../helpers/services.js';

async function skipReason(): Promise<false | string> {
  for (const service of ['postgres', 'nats', 'redis'] as const) {
    const reason = await skipUnless(service);
    if (reason) return reason;
  }
  return false;
}

describe('bench - scaled-out step', { skip: await skipReason() }, () => {
  test('points stored through PostgreSQL + NATS are all found, beside raw COPY of the same rows; nothing is left behind', async () => {
    const r = (await scaledOutScenario({ devices: 2, concurrency: 2, batchEntries: 20, payloadKeys: 2, durationMs: 800, copyBatchPoints: 50 })) as ScaledOutResult;
    assert.ok(!('skipped' in r), JSON.stringify(r));
    assert.ok(r.oneNode.pointsAccepted > 0);
    assert.equal(r.oneNode.errors, 0);
    assert.equal(r.oneNode.pointsStored, r.oneNode.pointsAccepted);
    assert.equal(r.rawCopy.rows, r.oneNode.pointsStored);
    assert.ok(r.rawCopy.storeTablePointsPerSec > 0 && r.rawCopy.unindexedPointsPerSec > 0);
    assert.ok(r.ratio > 0);
    if (r.twoNodes) {
      assert.ok(r.twoNodes.pointsAccepted > 0);
      assert.equal(r.twoNodes.pointsStored, r.twoNodes.pointsAccepted);
    } else assert.match(r.twoNodesSkipped ?? '', /haproxy/);
    const client = new pg.Client({ connectionString: serviceUrls.postgres });
    await client.connect();
    try {
      const left = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`vigil_bench_so%\\_${process.pid}\\_%`]);
      assert.deepEqual(left.rows, []);
    } finally {
      await client.end();
    }
  });
});
