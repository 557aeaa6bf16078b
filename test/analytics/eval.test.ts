import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addConfusion, emptyConfusion, skabMetrics } from '../../src/domains/analytics/eval/skab.js';
import { NAB_PROFILES, normaliseNab, probationRows, scaledSigmoid, scoreNabFile, windowRows } from '../../src/domains/analytics/eval/nab.js';

const std = NAB_PROFILES.standard;

test('skab - pooled metrics follow the SKAB definitions and skip the fit rows', () => {
  const labels = [true, true, false, false, true, true, false, false];
  const predicted = [true, false, true, false, true, true, true, false];
  const c = addConfusion(emptyConfusion(), labels, predicted, 2);
  assert.deepEqual(c, { tp: 2, fp: 2, tn: 2, fn: 0 });
  const m = skabMetrics(c);
  assert.equal(m.f1, 2 / (2 + 1));
  assert.equal(m.farPercent, 50);
  assert.equal(m.marPercent, 0);
});

test('nab - probation is 15% of the file, at most 750 rows', () => {
  assert.equal(probationRows(1000), 150);
  assert.equal(probationRows(10_000), 750);
});

test('nab - detection at the start of a window is worth A_TP, later ones less, repeats nothing', () => {
  const n = 1000;
  const windows: [number, number][] = [[500, 599]];
  const at = (...rows: number[]) => Array.from({ length: n }, (_, i) => rows.includes(i));
  assert.ok(Math.abs(scoreNabFile(at(500), windows, std).score - 1) < 1e-12);
  const late = scoreNabFile(at(590), windows, std).score;
  assert.ok(late > 0 && late < 0.5, `late ${late}`);
  assert.equal(scoreNabFile(at(500, 510, 520), windows, std).score, scoreNabFile(at(500), windows, std).score);
});

test('nab - a missed window costs A_FN; false positives cost by distance from the last window', () => {
  const n = 1000;
  const windows: [number, number][] = [[500, 599]];
  const at = (...rows: number[]) => Array.from({ length: n }, (_, i) => rows.includes(i));
  assert.equal(scoreNabFile(at(), windows, std).score, -1);
  assert.equal(scoreNabFile(at(300), windows, std).score, -1 - 0.11); // before any window: full cost
  const justAfter = scoreNabFile(at(601), windows, std).score;
  const farAfter = scoreNabFile(at(950), windows, std).score;
  assert.ok(justAfter > farAfter && farAfter === -1 - 0.11, `${justAfter} ${farAfter}`);
  assert.equal(scoreNabFile(at(10), windows, std).score, -1); // probationary: ignored
  assert.equal(scaledSigmoid(4), -1);
});

test('nab - normalisation maps the perfect detector to 100 and the null one to 0', () => {
  const windows: [number, number][] = [[500, 599]];
  const perfect = scoreNabFile(Array.from({ length: 1000 }, (_, i) => i === 500), windows, std);
  const none = scoreNabFile(new Array(1000).fill(false), windows, std);
  assert.ok(Math.abs(normaliseNab([perfect, perfect], std) - 100) < 1e-9);
  assert.equal(normaliseNab([none, none], std), 0);
});

test('nab - windows are mapped to rows by timestamp', () => {
  const ts = [0, 10, 20, 30, 40, 50];
  assert.deepEqual(windowRows(ts, [[15, 40]]), [[2, 4]]);
});

test('nab cross-validation - a fold keeps the default unless a candidate beats it category by category', async () => {
  const { chooseOverDefault } = await import('../../src/domains/analytics/eval/cross-validate.js');
  const defaultScores = [50, 60, 70, 40, 55, 65];
  // Better on average only through one category: noise, the default stays.
  assert.equal(chooseOverDefault([defaultScores, [90, 58, 68, 38, 53, 63]], 0), 0);
  // A few points better on every category: chosen.
  assert.equal(chooseOverDefault([defaultScores, [53, 62, 73, 42, 58, 67]], 0), 1);
  // Of two consistent winners, the one with the better mean.
  assert.equal(chooseOverDefault([defaultScores, [53, 62, 73, 42, 58, 67], [56, 64, 75, 45, 60, 69]], 0), 2);
  // The default need not be the first candidate.
  assert.equal(chooseOverDefault([[53, 62, 73, 42, 58, 67], defaultScores], 1), 0);
});
