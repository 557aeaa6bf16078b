// The evaluation figures in docs/analytics.md are rendered from the stored results in
// bench/results/*.json (written by `npm run eval:anomaly`). These tests re-render from the stored
// JSON (they do not rerun the evaluation) and fail when the doc is stale or hand-edited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readGenerated, renderAnomalyEval, renderFleetEval, renderRulEval, replaceGenerated, type AnomalyEvalRecord, type FleetEvalRecord, type RulEvalRecord } from '../../src/domains/analytics/eval/render.js';
import { applyPolicy, chooseSkab } from '../../src/domains/analytics/eval/cross-validate.js';
import { createDetector } from '../../src/domains/analytics/detectors/index.js';
import { POLICIES } from '../../src/domains/analytics/detectors/config.js';

const DOC = 'docs/analytics.md';

const RECORDS: [string, (json: unknown) => string, string][] = [
  ['anomaly', (j) => renderAnomalyEval(j as AnomalyEvalRecord), 'npm run eval:anomaly'],
  ['anomaly-baseline', (j) => renderAnomalyEval(j as AnomalyEvalRecord), 'npm run eval:anomaly -- <datasets> --record anomaly-baseline'],
  ['fleet', (j) => renderFleetEval(j as FleetEvalRecord), 'npm run eval:fleet'],
  ['fleet-per-key', (j) => renderFleetEval(j as FleetEvalRecord), 'npm run eval:fleet -- --per-key-only'],
  ['rul', (j) => renderRulEval(j as RulEvalRecord), 'npm run eval:rul'],
];

for (const [record, render, command] of RECORDS) {
  test(`docs/analytics.md section eval-${record} matches bench/results/${record}.json`, () => {
    const stored = JSON.parse(readFileSync(`bench/results/${record}.json`, 'utf8')) as unknown;
    const doc = readFileSync(DOC, 'utf8');
    const section = readGenerated(doc, `eval-${record}`);
    assert.notEqual(section, null, `markers for eval-${record} missing in ${DOC}`);
    assert.equal(section, render(stored).trimEnd() + '\n', `${DOC} is stale: run \`${command}\``);
  });
}

test('replaceGenerated swaps only the marked section, and readGenerated reads it back', () => {
  const doc = 'intro\n<!-- BEGIN generated: x -->\nold\n<!-- END generated: x -->\nafter\n';
  const next = replaceGenerated(doc, 'x', 'new table\n\n');
  assert.equal(next, 'intro\n<!-- BEGIN generated: x -->\nnew table\n<!-- END generated: x -->\nafter\n');
  assert.equal(readGenerated(next, 'x'), 'new table\n');
  assert.throws(() => replaceGenerated(doc, 'y', 'z'), /markers/);
});

test('applyPolicy on stored scores reproduces the labels the detector gives live', () => {
  const d = createDetector('seasonal', ['v'], { fitPoints: 50 });
  let seed = 7;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const scores: number[] = [];
  const learning: number[] = [];
  const live: { isAnomaly: boolean; alarm: boolean }[] = [];
  for (let i = 0; i < 3000; i++) {
    const x = 10 + rand() + (i % 700 === 650 ? 15 : 0) + (i > 2000 ? 5 : 0);
    const r = d.update(i * 60_000, [x]);
    scores.push(r.score);
    learning.push(r.warmingUp ? 1 : 0);
    live.push({ isAnomaly: r.isAnomaly, alarm: r.alarm });
  }
  const replay = applyPolicy({ scores: Float64Array.from(scores), learning: Uint8Array.from(learning) }, POLICIES.seasonal);
  assert.deepEqual(replay.isAnomaly, live.map((l) => l.isAnomaly));
  assert.deepEqual(replay.alarm, live.map((l) => l.alarm));
  assert.ok(replay.alarm.some(Boolean), 'the synthetic spikes raise at least one alarm');
});

test('chooseSkab takes the best F1 under the FAR bound, else the lowest FAR', () => {
  assert.equal(chooseSkab([{ f1: 0.9, farPercent: 8 }, { f1: 0.8, farPercent: 4 }, { f1: 0.7, farPercent: 1 }]), 1);
  assert.equal(chooseSkab([{ f1: 0.9, farPercent: 8 }, { f1: 0.8, farPercent: 6 }]), 1);
});
