// Smoke run of the soak scenario with tiny numbers: the shape and sanity of its results and that
// its report sentences come from them. No timing thresholds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSoak, soakScenario } from '../../bench/soak.js';

test('bench - soak smoke run: mixed load, RSS sampled, every acknowledged point stored, report computed', async () => {
  const r = await soakScenario({
    durationMs: 3_000,
    mqttDevices: 3,
    mqttPointsPerSec: 300,
    httpDevices: 2,
    httpPointsPerSec: 200,
    httpBatchEntries: 10,
    payloadKeys: 2,
    dashboards: 1,
    queryPauseMs: 100,
  });
  assert.ok(r.pointsAcked.mqtt > 0 && r.pointsAcked.http > 0);
  assert.equal(r.pointsAcked.total, r.pointsAcked.mqtt + r.pointsAcked.http);
  assert.ok(r.pointsStored >= r.pointsAcked.total, `${r.pointsStored} stored of ${r.pointsAcked.total}`);
  assert.equal(r.httpErrors, 0);
  assert.ok(r.queries > 0);
  assert.equal(r.queryErrors, 0);
  assert.ok(r.livePointsReceived > 0);
  assert.ok(r.rssMiB.start > 0 && r.rssMiB.peak >= r.rssMiB.start && r.rssMiB.peak >= r.rssMiB.end);
  assert.ok(r.models.resident! > 0, 'the live models are reported');
  const text = renderSoak(r).join('\n');
  assert.match(text, /every acknowledged point was stored/);
  assert.ok(text.includes(`${Math.abs(r.rssGrowthPercent).toLocaleString('en-US', { maximumFractionDigits: 1 })}% from start to end`));
});
