// Relational detector: each key of a device predicted from its own previous value and the
// device's other keys (now and one step ago), a linear ARX model fitted by ridge least squares
// on the clean fit period. Equipment that runs in states moves its keys together: a pump's
// bearing temperature climbs after the motor starts and cools after it stops, a first-order lag
// of the current. Judged alone, every start looks like a level shift; predicted from the current,
// it is ordinary, and only a broken relation (or a change no other key explains) leaves a residual.
// The residual of each key goes through a robust tracker (bias and scale) and the shared surprise
// score; the point's score is the largest over keys, with that key as the explanation.
// State: O(k²) coefficients for k keys after fitting; O(fitPoints·k) while the buffer fills.
import { scored, unscored, type RawResult } from './types.js';
import { invert } from './linalg.js';
import { newTracker, sigmaOf, trackRobust, type RobustTracker, type TrackerConfig } from './robust-stats.js';
import { newSurprise, stepSurprise, type SurpriseConfig, type SurpriseState } from './surprise.js';
import { newDrift, stepDrift, type DriftState } from './drift.js';
import { counterRate, looksLikeCounter } from './counters.js';

export interface RelationalConfig {
  fitPoints: number;
  /** Ridge on the standardised normal equations (keeps collinear keys solvable). */
  ridge: number;
  tracker: TrackerConfig;
  surprise: SurpriseConfig;
}

export interface RelationalState {
  kind: 'relational';
  keys: string[];
  /** Fit-period rows (each the values at t), null once fitted. */
  buffer: number[][] | null;
  /** Per key: coefficients over features(j) (see features()). */
  coef: number[][];
  /** Previous row (NaN where unknown). */
  prev: number[];
  residual: RobustTracker[];
  surprise: SurpriseState[];
  /**
   * Per key, set at fit: true when the other keys explain the key's changes (its residual
   * variance is under EXPLAINED_SHARE of the variance of its one-step change). Such a key is
   * better judged by this model than alone: its moves follow the device's state.
   */
  explained?: boolean[];
  /**
   * Per key, the slow-drift check on its residual (drift.ts): a bearing that heats a little more
   * every minute than the current explains. Absent in older snapshots: started on restore.
   */
  drift?: (DriftState | null)[];
  /** Timestamps of the buffered rows (absent in older snapshots: no counter check). */
  bufferTs?: number[];
  /**
   * Set at fit when some key was a monotone counter over the fit period (an energy meter's kWh):
   * such a key is modelled by its rate per second (the power it integrates), from its last reading
   * (`value`, at `ts`). Its level only grows, so as a level it explains nothing; as a rate it is
   * the other keys' best witness. Absent: no counters.
   */
  counters?: ({ ts: number; value: number } | null)[];
}

/** Per-point tail the drift check works to: the relational alarm policy's (threshold 0.9999, config.ts). */
const DRIFT_TAIL = 1e-4;
/** Score of a point on which a key's residual is flagged as drifting: beyond any threshold. */
const DRIFT_SCORE = 1 - 1e-6;

/** A key is "explained" when the model leaves less than this share of its step-to-step variance. */
export const EXPLAINED_SHARE = 0.25;

/** Keys whose changes the other keys explain (empty before the fit). */
export function explainedKeys(state: RelationalState): string[] {
  return state.keys.filter((_, j) => state.explained?.[j] === true);
}

export function initRelational(keys: string[], cfg: RelationalConfig): RelationalState {
  return {
    kind: 'relational',
    keys,
    buffer: [],
    coef: [],
    prev: keys.map(() => NaN),
    residual: keys.map(() => newTracker()),
    surprise: keys.map(() => newSurprise(cfg.surprise)),
  };
}

/** Features for key j: 1, x_j(t−1), then x_m(t) and x_m(t−1) for every other key m. Null if any is missing. */
function features(j: number, now: ArrayLike<number>, prev: ArrayLike<number>, k: number, out: number[]): boolean {
  out[0] = 1;
  out[1] = prev[j];
  let p = 2;
  for (let m = 0; m < k; m++) {
    if (m === j) continue;
    out[p++] = now[m];
    out[p++] = prev[m];
  }
  for (let i = 1; i < p; i++) if (!Number.isFinite(out[i])) return false;
  return true;
}

/**
 * Finds the counters among the buffered keys and turns their columns into rates per second, so
 * the fit (and every later point) sees the rate. Needs the rows' timestamps.
 */
function adoptCounters(state: RelationalState): void {
  const rows = state.buffer!;
  const ts = state.bufferTs;
  delete state.bufferTs;
  if (!ts || ts.length !== rows.length) return;
  const k = state.keys.length;
  const isCounter = state.keys.map((_, j) => looksLikeCounter(rows.map((r) => r[j]).filter(Number.isFinite)));
  if (!isCounter.includes(true)) return;
  const last: ({ ts: number; value: number } | null)[] = state.keys.map(() => null);
  const rates = rows.map((r) => r.slice());
  for (let j = 0; j < k; j++) {
    if (!isCounter[j]) continue;
    let seen: { ts: number; value: number } | null = null;
    for (let t = 0; t < rows.length; t++) {
      const v = rows[t][j];
      rates[t][j] = seen ? counterRate(seen.ts, seen.value, ts[t], v) : NaN;
      if (Number.isFinite(v)) seen = { ts: ts[t], value: v };
    }
    last[j] = seen ?? { ts: NaN, value: NaN };
    state.prev[j] = rates[rates.length - 1][j];
  }
  state.buffer = rates;
  state.counters = last;
}

function fit(state: RelationalState, cfg: RelationalConfig): void {
  adoptCounters(state);
  const rows = state.buffer!;
  const k = state.keys.length;
  const f = 2 * k;
  const x = new Array<number>(f);
  state.coef = [];
  for (let j = 0; j < k; j++) {
    // Normal equations, with features scaled by their spread so one ridge fits every unit.
    const samples: number[][] = [];
    const ys: number[] = [];
    for (let t = 1; t < rows.length; t++) {
      if (!Number.isFinite(rows[t][j]) || !features(j, rows[t], rows[t - 1], k, x)) continue;
      samples.push(x.slice());
      ys.push(rows[t][j]);
    }
    const coef = new Array<number>(f).fill(0);
    if (samples.length < 2 * f) {
      coef[1] = 1; // too little data: persistence (x_t ≈ x_{t−1})
      state.coef.push(coef);
      continue;
    }
    const scale = new Array<number>(f).fill(1);
    for (let i = 1; i < f; i++) {
      let s = 0;
      for (const r of samples) s += r[i] * r[i];
      scale[i] = Math.sqrt(s / samples.length) || 1;
    }
    const a = new Array<number>(f * f).fill(0);
    const b = new Array<number>(f).fill(0);
    for (let n = 0; n < samples.length; n++) {
      const r = samples[n];
      for (let i = 0; i < f; i++) {
        const ri = r[i] / scale[i];
        b[i] += ri * ys[n];
        for (let c = 0; c < f; c++) a[i * f + c] += ri * (r[c] / scale[c]);
      }
    }
    for (let i = 0; i < f; i++) a[i * f + i] += cfg.ridge * samples.length;
    const inv = invert(a, f);
    for (let i = 0; i < f; i++) {
      let s = 0;
      for (let c = 0; c < f; c++) s += inv[i * f + c] * b[c];
      coef[i] = s / scale[i];
    }
    state.coef.push(coef);
    // Replay the training residuals so the scale (and the surprise statistics) start settled.
    let residualVar = 0;
    let stepVar = 0;
    const residuals: number[] = [];
    for (let n = 0; n < samples.length; n++) {
      let pred = 0;
      for (let i = 0; i < f; i++) pred += coef[i] * samples[n][i];
      residualVar += (ys[n] - pred) ** 2;
      stepVar += (ys[n] - samples[n][1]) ** 2;
      stepSurprise(state.surprise[j], cfg.surprise, Math.abs(trackRobust(state.residual[j], cfg.tracker, ys[n] - pred)));
      residuals.push(ys[n] - pred);
    }
    // A counter is a witness, not a suspect: its rate tells what the other keys should read, but
    // when both disagree the integrating counter is the likelier to be right (its per-key model,
    // which judges its rate, reports its own faults).
    const explained = !state.counters?.[j] && stepVar > 0 && residualVar < EXPLAINED_SHARE * stepVar;
    (state.explained ??= state.keys.map(() => false))[j] = explained;
    // Only keys this model judges get a drift check; the others have their per-key model's.
    const drift = explained ? newDrift() : null;
    if (drift) for (const r of residuals) stepDrift(drift, r, true, DRIFT_TAIL);
    (state.drift ??= state.keys.map(() => null))[j] = drift;
  }
  state.buffer = null;
}

const scratch: number[] = [];

/**
 * Residuals this unusual (the relational policy's exit threshold: the point belongs to an
 * incident) do not teach the surprise score's long-term statistics. Otherwise a device's faults
 * teach it that huge residuals are common: a few dozen capped deviations of a noise burst or a
 * drift in its memory, and a later spike of hundreds of sigmas no longer reaches the threshold.
 */
const LEARN_BELOW_SCORE = 0.999;

function scoreResidual(s: SurpriseState, cfg: SurpriseConfig, absZ: number): number {
  const { mean, variance, pointMean, pointVariance } = s;
  const score = stepSurprise(s, cfg, absZ);
  if (score >= LEARN_BELOW_SCORE) {
    s.mean = mean;
    s.variance = variance;
    if (pointMean !== undefined) s.pointMean = pointMean;
    if (pointVariance !== undefined) s.pointVariance = pointVariance;
  }
  return score;
}

const rateRow: number[] = [];

/** The row as the model sees it: counters replaced by their rate since their previous reading. */
function withRates(state: RelationalState, ts: number, values: ArrayLike<number>): ArrayLike<number> {
  const counters = state.counters;
  if (!counters) return values;
  if (rateRow.length !== values.length) rateRow.length = values.length;
  for (let j = 0; j < values.length; j++) {
    const c = counters[j];
    const v = values[j];
    if (!c) {
      rateRow[j] = v;
      continue;
    }
    rateRow[j] = counterRate(c.ts, c.value, ts, v);
    // A reset (a step back) starts counting again from the new reading.
    if (Number.isFinite(v) && Number.isFinite(ts)) {
      c.ts = ts;
      c.value = v;
    }
  }
  return rateRow;
}

/** `ts` (ms) lets counters be judged by their rate; without it (NaN) a counter is a plain key. */
export function stepRelational(state: RelationalState, cfg: RelationalConfig, raw: ArrayLike<number>, ts: number, out: RawResult): RawResult {
  const k = state.keys.length;
  if (state.buffer) {
    const values = raw;
    if (Number.isFinite(ts) && (state.bufferTs || state.buffer.length === 0)) (state.bufferTs ??= []).push(ts);
    else delete state.bufferTs;
    state.buffer.push(Array.from({ length: k }, (_, j) => values[j]));
    for (let j = 0; j < k; j++) state.prev[j] = values[j];
    if (state.buffer.length >= cfg.fitPoints) fit(state, cfg);
    return unscored(out, true);
  }
  const values = withRates(state, ts, raw);
  const f = 2 * k;
  if (scratch.length !== f) scratch.length = f;
  let best = -1;
  let bestScore = -1;
  let lo = 0;
  let hi = 0;
  for (let j = 0; j < k; j++) {
    if (state.counters?.[j] || !Number.isFinite(values[j]) || !features(j, values, state.prev, k, scratch)) continue;
    const c = state.coef[j];
    let pred = 0;
    for (let i = 0; i < f; i++) pred += c[i] * scratch[i];
    const t = state.residual[j];
    const centre = pred + t.level;
    const sigma = sigmaOf(t);
    const z = trackRobust(t, cfg.tracker, values[j] - pred);
    let score = scoreResidual(state.surprise[j], cfg.surprise, Math.abs(z));
    // Only for keys this model judges (explained ones): the others have their per-key model's drift check.
    if (state.explained?.[j]) {
      const drift = ((state.drift ??= state.keys.map(() => null))[j] ??= newDrift());
      if (stepDrift(drift, values[j] - pred, false, DRIFT_TAIL) !== 0) score = Math.max(score, DRIFT_SCORE);
    }
    if (score > bestScore) {
      best = j;
      bestScore = score;
      lo = centre - 3 * sigma;
      hi = centre + 3 * sigma;
    }
  }
  for (let j = 0; j < k; j++) if (Number.isFinite(values[j])) state.prev[j] = values[j];
  if (best < 0) return unscored(out, false);
  return scored(out, bestScore, best, lo, hi, values[best]);
}
