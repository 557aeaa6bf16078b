// Smoke run of `npm run bench:idle -- --nodes N` with tiny numbers, on this machine's PostgreSQL,
// NATS and Redis (skipped with a reason where they are missing): two nodes, two client processes,
// every connection held and answering its PINGREQ on the node it was sent to, the RPC through one
// node answered by the device on the other, and no schema left behind. Never timing thresholds.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { idleScaledOut, type IdleScaledOutResult } from '../../bench/idle-scaled-out.js';
import { serviceUrls, skipUnless } from '../helpers/services.js';

async function skipReason(): Promise<false | string> {
  for (const service of ['postgres', 'nats', 'redis'] as const) {
    const reason = await skipUnless(service);
    if (reason) return reason;
  }
  return false;
}

describe('bench - idle connections over several nodes', { skip: await skipReason() }, () => {
  test('connections spread over two nodes from two client processes are all held; an RPC crosses nodes; nothing is left behind', async () => {
    const r = (await idleScaledOut(
      { nodes: 2, connections: 60, workers: 2, sources: 3, devicesPerNode: 3, holdMs: 200, connectRatePerSec: 200, concurrencyPerWorker: 8 },
      () => undefined,
    )) as IdleScaledOutResult;
    assert.ok(!('skipped' in r), JSON.stringify(r));
    assert.equal(r.opened, 60);
    assert.equal(r.connectErrors, 0);
    assert.equal(r.held, 60);
    assert.deepEqual(r.nodes.map((n) => n.held), [30, 30]);
    assert.deepEqual(r.nodes.map((n) => n.countedByNode), [30, 30]);
    assert.ok(r.nodes.every((n) => n.rssAfterMiB > 0 && n.heapAfterMiB > 0));
    assert.equal(r.rpcAcrossNodes.ok, true, JSON.stringify(r.rpcAcrossNodes));
    assert.equal(r.rpcAcrossNodes.deviceOnNode, 1);

    const client = new pg.Client({ connectionString: serviceUrls.postgres });
    await client.connect();
    try {
      const left = await client.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'vigil_bench_idle%'");
      assert.deepEqual(left.rows.filter((row) => row.nspname.includes(`_${process.pid}_`)), []);
    } finally {
      await client.end();
    }
  });
});
