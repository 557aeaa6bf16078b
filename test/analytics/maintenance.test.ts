import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  estimateTimeToThreshold,
  healthIndexFromRul,
  parseRulModelState,
  predictRul,
  predictRulTrajectory,
  predictedFailureCheck,
  retrainReason,
  trainRulModel,
  type PredictedFailureState,
  type UnitHistory,
} from '../../src/domains/analytics/maintenance/index.js';
import { seededRandom } from '../../src/domains/analytics/math/index.js';

const HOUR_MS = 3_600_000;

function gaussian(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/**
 * Synthetic fleet: each unit lives 150–300 steps; wear d(t) = ((t − onset)/(life − onset))² after
 * an onset 80–140 steps before failure. Channels: three that follow wear (two rising, one falling,
 * different noise), one pure noise, one constant.
 */
function syntheticFleet(units: number, seed: number): UnitHistory[] {
  const random = seededRandom(seed);
  const noise = gaussian(seed + 1);
  return Array.from({ length: units }, (_, u) => {
    const life = 150 + Math.floor(random() * 151);
    const onset = life - (80 + Math.floor(random() * 61));
    const offset = 0.3 * noise();
    const rows = Array.from({ length: life }, (_, t) => {
      const wear = t < onset ? 0 : ((t - onset) / (life - 1 - onset)) ** 2;
      return [
        10 + offset + 4 * wear + 0.3 * noise(),
        50 + 8 * wear + 0.8 * noise(),
        5 - 2 * wear + 0.2 * noise(),
        noise(),
        1,
      ];
    });
    return { id: `u${u}`, rows };
  });
}

test('maintenance - linear degradation gives a time to threshold near the truth', () => {
  const noise = gaussian(1);
  // 0.1 units/h from 0; observed for 50 h, threshold 10 → 50 h left.
  const ts = Array.from({ length: 300 }, (_, i) => (i * 50 * HOUR_MS) / 299);
  const values = ts.map((t) => (0.1 * t) / HOUR_MS + 0.2 * noise());
  const est = estimateTimeToThreshold({ ts, values }, { threshold: 10, confidence: 0.99 });
  assert.equal(est.status, 'approaching');
  const hours = est.timeToThresholdMs! / HOUR_MS;
  assert.ok(Math.abs(hours - 50) < 3, `estimated ${hours} h`);
  assert.ok(est.earliestMs! <= 50 * HOUR_MS && est.latestMs! >= 50 * HOUR_MS);
  assert.ok(Math.abs(est.slopePerHour - 0.1) < 0.01);
});

test('maintenance - a falling quantity is tracked towards a lower threshold', () => {
  const ts = Array.from({ length: 100 }, (_, i) => i * HOUR_MS);
  const values = ts.map((_, i) => 100 - 0.5 * i + (i % 2 ? 0.1 : -0.1));
  const est = estimateTimeToThreshold({ ts, values }, { threshold: 20 });
  assert.equal(est.status, 'approaching');
  assert.ok(Math.abs(est.timeToThresholdMs! / HOUR_MS - (100 - 0.5 * 99 - 20) / 0.5) < 1);
});

test('maintenance - time to threshold reports crossed, not approaching and insufficient data', () => {
  const ts = Array.from({ length: 50 }, (_, i) => i * HOUR_MS);
  assert.equal(estimateTimeToThreshold({ ts, values: ts.map((_, i) => i) }, { threshold: 20, failWhen: 'above' }).status, 'crossed');
  const flatNoise = gaussian(2);
  const flat = estimateTimeToThreshold({ ts, values: ts.map(() => 5 + 0.01 * flatNoise()) }, { threshold: 10, failWhen: 'above', maxHorizonMs: 30 * 24 * HOUR_MS });
  assert.equal(flat.status, 'not-approaching');
  const moving = estimateTimeToThreshold({ ts, values: ts.map((_, i) => 10 - 0.1 * i) }, { threshold: 20, failWhen: 'above' });
  assert.equal(moving.status, 'not-approaching');
  assert.equal(estimateTimeToThreshold({ ts: [0, 1], values: [1, 2] }, { threshold: 5 }).status, 'insufficient-data');
});

test('maintenance - a model trained on a synthetic run-to-failure fleet predicts held-out RUL closely', () => {
  const fleet = syntheticFleet(40, 10);
  const train = fleet.slice(0, 32);
  const held = fleet.slice(32);
  const model = trainRulModel(train, { channelNames: ['temp', 'vib', 'pressure', 'noise', 'const'], trainedAt: '2026-01-01T00:00:00Z' });
  assert.deepEqual(model.features.channelNames, ['temp', 'vib', 'pressure']);
  const errors: number[] = [];
  for (const unit of held) {
    for (const remaining of [5, 20, 40, 60]) {
      const seen = unit.rows.slice(0, unit.rows.length - remaining);
      errors.push(predictRul(model, seen).rulSteps - Math.min(125, remaining));
    }
  }
  const rmse = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
  assert.ok(rmse < 12, `held-out RMSE ${rmse}`);
});

test('maintenance - model state is versioned JSON that round-trips to identical predictions', () => {
  const fleet = syntheticFleet(12, 20);
  const model = trainRulModel(fleet.slice(0, 10), { trainedAt: '2026-01-01T00:00:00Z', trainingWindow: { fromTs: 0, toTs: 1000 }, boosting: { trees: 40 } });
  assert.equal(model.version, 1);
  assert.equal(model.trainedAt, '2026-01-01T00:00:00Z');
  assert.deepEqual({ fromTs: model.trainingWindow.fromTs, toTs: model.trainingWindow.toTs, units: model.trainingWindow.units }, { fromTs: 0, toTs: 1000, units: 10 });
  assert.equal(model.featureNames.length, 5 * (model.features.channels.length + 1) + 1);
  const restored = parseRulModelState(JSON.parse(JSON.stringify(model)));
  const rows = fleet[11].rows.slice(0, 120);
  assert.deepEqual(predictRul(restored, rows), predictRul(model, rows));
  assert.throws(() => parseRulModelState({ ...model, version: 99 }), /unsupported RUL model version/);
  assert.throws(() => parseRulModelState({ kind: 'other' }), /not a Vigil RUL model/);
});

test('maintenance - health index is 1 when healthy, 0 at end of life, and falls as the unit wears', () => {
  assert.equal(healthIndexFromRul(200, 125), 1);
  assert.equal(healthIndexFromRul(0, 125), 0);
  assert.equal(healthIndexFromRul(62.5, 125), 0.5);
  const fleet = syntheticFleet(30, 30);
  const model = trainRulModel(fleet.slice(0, 25), { boosting: { trees: 80 } });
  const trajectory = predictRulTrajectory(model, fleet[27].rows);
  assert.ok(trajectory[10].healthIndex > 0.8);
  assert.ok(trajectory[trajectory.length - 1].healthIndex < 0.15);
  for (const e of trajectory) assert.ok(e.rulLowerSteps <= e.rulSteps && e.rulSteps <= e.rulUpperSteps);
});

test('maintenance - predicted-failure alarm fires before failure for every held-out unit and never flaps', () => {
  const fleet = syntheticFleet(36, 40);
  const model = trainRulModel(fleet.slice(0, 28));
  for (const unit of fleet.slice(28)) {
    let state: PredictedFailureState | undefined;
    const transitions: string[] = [];
    let firedAt = -1;
    predictRulTrajectory(model, unit.rows).forEach((e, t) => {
      const r = predictedFailureCheck(state, { timeToFailureMs: e.rulSteps * HOUR_MS, timeToFailureLowerMs: e.rulLowerSteps * HOUR_MS });
      state = r.state;
      if (r.transition) transitions.push(r.transition);
      if (r.transition === 'raised' && firedAt < 0) firedAt = t;
    });
    assert.deepEqual(transitions, ['raised'], `unit ${unit.id}`);
    const leadSteps = unit.rows.length - 1 - firedAt;
    assert.ok(leadSteps > 0, `unit ${unit.id} alarm came at failure`);
  }
});

test('maintenance - alarm hysteresis: needs consecutive confirmations and a margin to clear', () => {
  const check = (state: PredictedFailureState | undefined, hours: number) => predictedFailureCheck(state, { timeToFailureMs: hours * HOUR_MS });
  // One low estimate is not enough.
  let r = check(undefined, 10);
  assert.equal(r.firing, false);
  r = check(r.state, 30);
  r = check(r.state, 10);
  assert.equal(r.firing, false);
  r = check(r.state, 10);
  assert.equal(r.transition, 'raised');
  // Hovering between the horizon (24 h) and the clear level (36 h) keeps it raised.
  for (const h of [25, 30, 20, 35, 26, 33]) {
    r = check(r.state, h);
    assert.equal(r.firing, true);
    assert.equal(r.transition, null);
  }
  // Three estimates above 36 h clear it.
  r = check(r.state, 40);
  r = check(r.state, 40);
  assert.equal(r.firing, true);
  r = check(r.state, 40);
  assert.equal(r.transition, 'cleared');
});

test('maintenance - alarm raises on the pessimistic bound when one is given', () => {
  let r = predictedFailureCheck(undefined, { timeToFailureMs: 30 * HOUR_MS, timeToFailureLowerMs: 12 * HOUR_MS }, { raiseAfter: 1 });
  assert.equal(r.transition, 'raised');
  r = predictedFailureCheck(undefined, { timeToFailureMs: 30 * HOUR_MS }, { raiseAfter: 1 });
  assert.equal(r.firing, false);
});

test('maintenance - retraining is due for a missing, old-version, stale or outnumbered model', () => {
  const now = Date.parse('2026-02-01T00:00:00Z');
  const fresh = { version: 1, trainedAt: '2026-01-30T00:00:00Z', trainingWindow: { units: 10, rows: 1000 } };
  assert.equal(retrainReason(null, now, 10), 'no-model');
  assert.equal(retrainReason({ ...fresh, version: 0 }, now, 10), 'old-version');
  assert.equal(retrainReason({ ...fresh, trainedAt: '2026-01-01T00:00:00Z' }, now, 10), 'age');
  assert.equal(retrainReason(fresh, now, 13), 'new-failures');
  assert.equal(retrainReason(fresh, now, 12), null);
});
