// Every sentence of the generated benchmark report follows the results: contrived results that
// contradict the sentences of the last real run must change them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionsSentence, inflightSentence, profileSentences, render, saturationSentence, storedSentence } from '../../bench/run-suite.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
// A fixed, stored run (not bench/results/full-latest.json, which every bench run replaces).
const stored = () => JSON.parse(readFileSync(join(ROOT, 'test', 'bench', 'fixture-results.json'), 'utf8'));
const context = { commitsSinceMeasured: 0, headCommit: 'abc1234' };

test('report - lost points are reported as lost, not as "every acknowledged point was found"', () => {
  assert.equal(storedSentence(100, 100), 'Every acknowledged point was found by query (100).');
  assert.equal(storedSentence(1000, 990), '**10 acknowledged points were not found by query** (990 of 1,000).');
  assert.equal(storedSentence(10, 9, 'in storage'), '**1 acknowledged point was not found in storage** (9 of 10).');
  const r = stored();
  r.results.mqtt.vigil.pointsStored = r.results.mqtt.vigil.pointsAcked - 5;
  const text = render(r, context);
  assert.match(text, /\*\*5 acknowledged points were not found by query\*\*/);
  assert.doesNotMatch(text, /Every acknowledged point was found by query/);
  assert.match(text, /\| ≥ 100,000 points\/s stored over MQTT QoS 1 \|.*\| \*\*missed\*\* \|/);
});

test('report - saturation follows the CPU figures and the machine size', () => {
  assert.match(saturationSentence(1.2, 0.28, 2), /1\.48 of the machine's 2: the machine was not saturated/);
  assert.match(saturationSentence(1.6, 0.35, 2), /1\.95 of the machine's 2: the machine was saturated, so this figure is a floor/);
  assert.match(saturationSentence(1, 1, null), /core count is not recorded/);
  const r = stored();
  r.results.mqtt.vigil.serverCores = 1.7;
  r.results.mqtt.vigil.generatorCores = 0.3;
  assert.match(render(r, context), /the machine was saturated/);
});

test('report - GC and the hot functions come from the profile', () => {
  const r = stored();
  const text = render(r, context);
  assert.match(text, /garbage collection 8\.9%/);
  assert.doesNotMatch(text, /GC is ~9%/);
  const prof = {
    byArea: [
      { area: 'vigil domains/telemetry', percent: 30 },
      { area: 'idle', percent: 20 },
      { area: 'node core (internal)', percent: 10 },
      { area: 'aedes', percent: 9 },
      { area: 'native', percent: 8 },
      { area: 'garbage collection', percent: 23.5 },
    ],
    topFunctions: [
      { fn: '(garbage collector) (garbage collection)', percent: 23.5 },
      { fn: 'parseTelemetryPayload (vigil domains/telemetry:13)', percent: 12 },
    ],
  };
  const sentences = profileSentences(prof);
  assert.match(sentences, /Garbage collection takes 23\.5%\./);
  assert.match(sentences, /The largest single functions: `parseTelemetryPayload \(vigil domains\/telemetry:13\)` 12%/);
  assert.equal(profileSentences(undefined), 'The main thread was not profiled in this run.');
});

test('report - the in-flight arithmetic is computed, and says when it does not explain the rate', () => {
  assert.match(inflightSentence(1600, 49.74, 5, 128_902), /predicts ≈ 160,836 points\/s against 128,902 measured: the time a PUBACK waits/);
  assert.match(inflightSentence(1600, 49.74, 5, 40_000), /acknowledgement latency alone does not explain the throughput/);
});

test('report - connections held or not, and why', () => {
  const base = { params: { target: 18_000 }, opened: 18_000, held: 18_000, connectErrors: 0, lastError: null };
  assert.equal(connectionsSentence(base, {}), "All 18,000 connections tried were held: the run stopped at its target, not at a limit of Vigil's.");
  assert.equal(
    connectionsSentence({ ...base, held: 16_000, connectErrors: 2_000, lastError: 'EMFILE' }, { ulimitNofile: '16384' }),
    '**2,000 of the 18,000 connections tried were not held** (2,000 connect errors: the file-descriptor limit (`ulimit -n` was 16384)).',
  );
});

test('report - dashboard losses, stale measurements and the suite time are stated from the data', () => {
  const r = stored();
  r.results.dashboard.pointsReceivedLive = r.results.dashboard.pointsAcked - 3;
  const text = render(r, { commitsSinceMeasured: 14, headCommit: 'def5678' });
  assert.match(text, /\*\*3 acknowledged points never reached the dashboard\.\*\*/);
  assert.match(text, /\*\*src\/ and bench\/ have changed in 14 commits since the measured commit\*\* \(rendered at def5678\)/);
  assert.match(text, /suite took 290 s, about 5 min/);
  assert.match(render(stored(), context), /have not changed since the measured commit/);
});

test('report - scaled-out row: the ratio verdict, lost points and a missing haproxy follow the results', () => {
  const text = render(stored(), context);
  assert.match(text, /## 8\. Scaled-out mode/);
  assert.match(text, /\| scaled-out \(PostgreSQL \+ NATS\): points\/s stored ≥ 0\.5 of raw COPY into the store's table \| 0\.429 \(42,431 of 98,962 points\/s\) \| \*\*missed\*\* \|/);
  assert.match(text, /\| raw COPY, store-shaped table \(baseline\) \| – \| 98,962 \|/);
  assert.match(text, /\*\*0\.429\*\* \(goal ≥ 0\.5: \*\*missed\*\*\)/);
  assert.match(text, /Every acknowledged point was stored\./);
  const r = stored();
  r.results.scaledout.ratio = 0.61;
  r.results.scaledout.oneNode.pointsStored -= 7;
  r.results.scaledout.twoNodes = null;
  r.results.scaledout.twoNodesSkipped = 'haproxy not installed';
  const changed = render(r, context);
  assert.match(changed, /\*\*0\.61\*\* \(goal ≥ 0\.5: \*\*met\*\*\)/);
  assert.match(changed, /\*\*Acknowledged points missing from PostgreSQL after 120 s: 7 \(1 node\)\.\*\*/);
  assert.match(changed, /Two nodes were not measured: haproxy not installed\./);
  assert.doesNotMatch(changed, /two nodes behind HAProxy \|/);
  const skipped = stored();
  skipped.results.scaledout = { skipped: 'nats not reachable at nats://127.0.0.1:4222' };
  assert.match(render(skipped, context), /Not measured: nats not reachable at nats:\/\/127\.0\.0\.1:4222\./);
});
