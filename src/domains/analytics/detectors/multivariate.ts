// Multivariate detector: a Mahalanobis model of a device's keys, trained on a clean period.
// Each key is standardised with the training mean/σ, smoothed by a short EWMA (single-sample
// noise is not an incident), and compared with a slow baseline that follows benign drift
// (a temperature creeping up over an hour) but is frozen while the point looks anomalous, so a
// lasting fault is not learnt away. The residual vector's Mahalanobis distance, with the
// training covariance of the same residuals, is the raw score; it is calibrated against its
// own training quantile so that one threshold fits devices with any number of keys.
// Keys that wander slowly during training (a temperature, a tank level: most of their variance
// is low-frequency, measured by var(Δx)/(2·var(x)), 1 for white noise, ≈0 for a random walk)
// are expected to keep wandering after it, so their residual variance gets a drift allowance
// in proportion: their level alone is weak evidence; their sudden jumps still count.
// State: O(k²) for k keys after training; O(fitPoints·k) while the training buffer fills.
import { scored, unscored, type RawResult } from './types.js';
import { covariance, invert, quantile } from './linalg.js';

export interface MultivariateConfig {
  /** Points of the clean training period (SKAB's protocol uses 400). */
  fitPoints: number;
  /** EWMA weight of the short smoothing of each standardised key. */
  smoothAlpha: number;
  /** EWMA weight of the drift-following baseline (0 disables drift following). */
  baselineAlpha: number;
  /** Ridge added to the residual covariance, in units of its mean diagonal (keeps it invertible). */
  ridge: number;
  /** Training quantile of d² that maps to score 0.5. */
  calibrationQuantile: number;
  /** The baseline stops following while d² exceeds this many calibration units. */
  freezeAbove: number;
  /** Drift allowance (standardised variance) per unit of (1/varianceRatio − 1). */
  driftAllowance: number;
  /**
   * The baseline stays frozen for at most this many fit periods in a row (absent: MAX_FROZEN_FITS;
   * 0: for ever). See stepMultivariate.
   */
  maxFrozenFits?: number;
}

export interface MultivariateState {
  kind: 'multivariate';
  keys: string[];
  /** Training rows until the model is fitted, then null. */
  buffer: number[][] | null;
  mean: number[];
  sigma: number[];
  smooth: number[];
  baseline: number[];
  precision: number[];
  /** Per-key σ of the residual in standardised units (for the explanation's expected range). */
  residualSigma: number[];
  calibration: number;
  /** Points in a row the baseline has been frozen (absent in older snapshots). */
  frozenFor?: number;
}

/**
 * A state that has looked anomalous for twice as long as the whole fit period is, by then, the
 * device's new normal: it has been reported, and keeping the baseline frozen would report it for
 * ever. On SKAB's anomaly-free file (fit on its first 400 rows, the other 9,000 scored) the
 * accelerometers creep by a few of their fit-period sigmas within the hour, the baseline froze
 * once and 94.5 % of the rows were flagged; with the thaw, 42 %. A valve1 file scores at most 750
 * rows, so its figures cannot change.
 */
const MAX_FROZEN_FITS = 2;

export function initMultivariate(keys: string[]): MultivariateState {
  const k = keys.length;
  const zeros = () => new Array<number>(k).fill(0);
  return { kind: 'multivariate', keys, buffer: [], mean: zeros(), sigma: zeros(), smooth: zeros(), baseline: zeros(), precision: [], residualSigma: zeros(), calibration: 1 };
}

/** Advances smoothing (and, unless frozen, the baseline) by one standardised row; writes the residual to `out`. */
function advance(state: MultivariateState, cfg: MultivariateConfig, z: readonly number[], frozen: boolean, out: number[]): void {
  for (let j = 0; j < z.length; j++) {
    state.smooth[j] += cfg.smoothAlpha * (z[j] - state.smooth[j]);
    out[j] = state.smooth[j] - state.baseline[j];
    if (!frozen) state.baseline[j] += cfg.baselineAlpha * (state.smooth[j] - state.baseline[j]);
  }
}

function mahalanobis(p: readonly number[], r: readonly number[], k: number): number {
  let d2 = 0;
  for (let i = 0; i < k; i++) {
    let row = 0;
    for (let j = 0; j < k; j++) row += p[i * k + j] * r[j];
    d2 += r[i] * row;
  }
  return d2;
}

function standardise(state: MultivariateState, values: ArrayLike<number>, out: number[]): void {
  for (let j = 0; j < out.length; j++) {
    const x = values[j];
    // A missing key is imputed at its smoothed value: it neither raises nor lowers the score.
    out[j] = Number.isFinite(x) ? (x - state.mean[j]) / state.sigma[j] : state.smooth[j];
  }
}

function fit(state: MultivariateState, cfg: MultivariateConfig): void {
  const rows = state.buffer!;
  const k = state.keys.length;
  for (let j = 0; j < k; j++) {
    const col = rows.map((r) => r[j]).filter(Number.isFinite);
    const m = col.length ? col.reduce((a, b) => a + b, 0) / col.length : 0;
    const v = col.length > 1 ? col.reduce((a, b) => a + (b - m) ** 2, 0) / (col.length - 1) : 0;
    state.mean[j] = m;
    // A key constant in training still gets a scale, so later wiggles are not infinitely odd.
    state.sigma[j] = Math.max(Math.sqrt(v), Math.abs(m) * 1e-3, 1e-9);
  }
  const allowance = state.keys.map((_, j) => cfg.driftAllowance * Math.max(0, 1 / Math.max(varianceRatio(rows, j), 1e-3) - 1));
  // Replay the training rows exactly as live points will be processed.
  const z = new Array<number>(k).fill(0);
  const residuals: number[][] = [];
  state.smooth.fill(0);
  state.baseline.fill(0);
  for (const row of rows) {
    standardise(state, row, z);
    const r = new Array<number>(k);
    advance(state, cfg, z, false, r);
    residuals.push(r);
  }
  // The first points carry the EWMA start-up transient; leave them out of the statistics.
  const settled = residuals.slice(Math.min(residuals.length >> 2, Math.ceil(2 / cfg.smoothAlpha)));
  const cov = covariance(settled, k);
  let trace = 0;
  for (let j = 0; j < k; j++) trace += cov[j * k + j];
  const ridge = (cfg.ridge * trace) / k + 1e-12;
  for (let j = 0; j < k; j++) {
    cov[j * k + j] += ridge + allowance[j];
    state.residualSigma[j] = Math.sqrt(cov[j * k + j]);
  }
  state.precision = invert(cov, k);
  const d2 = settled.map((r) => mahalanobis(state.precision, r, k));
  state.calibration = Math.max(quantile(d2, cfg.calibrationQuantile), 1e-9);
  state.buffer = null;
}

/** var(Δx) / (2·var(x)) over the training rows of key j: 1 for white noise, → 0 for slow drift. */
export function varianceRatio(rows: readonly number[][], j: number): number {
  let n = 0;
  let mean = 0;
  for (const r of rows) if (Number.isFinite(r[j])) (mean += r[j], n++);
  if (n < 3) return 1;
  mean /= n;
  let v = 0;
  let dv = 0;
  let prev = NaN;
  let nd = 0;
  for (const r of rows) {
    const x = r[j];
    if (!Number.isFinite(x)) continue;
    v += (x - mean) ** 2;
    if (Number.isFinite(prev)) (dv += (x - prev) ** 2, nd++);
    prev = x;
  }
  v /= n;
  return v === 0 || nd === 0 ? 1 : dv / nd / (2 * v);
}

export function stepMultivariate(state: MultivariateState, cfg: MultivariateConfig, values: ArrayLike<number>, out: RawResult): RawResult {
  const k = state.keys.length;
  if (state.buffer) {
    state.buffer.push(Array.from({ length: k }, (_, j) => values[j]));
    if (state.buffer.length >= cfg.fitPoints) fit(state, cfg);
    return unscored(out, true);
  }
  const z = new Array<number>(k);
  standardise(state, values, z);
  // Freeze decision uses the residual before this point moves the baseline.
  const r = new Array<number>(k);
  advance(state, cfg, z, true, r);
  const d2 = mahalanobis(state.precision, r, k);
  const units = d2 / state.calibration;
  // After MAX_FROZEN_FITS fit periods of anomaly the baseline follows again, at its usual pace.
  const frozenFor = units <= cfg.freezeAbove ? 0 : (state.frozenFor ?? 0) + 1;
  state.frozenFor = frozenFor;
  const maxFrozen = (cfg.maxFrozenFits ?? MAX_FROZEN_FITS) * cfg.fitPoints;
  if (frozenFor === 0 || (maxFrozen > 0 && frozenFor > maxFrozen))
    for (let j = 0; j < k; j++) state.baseline[j] += cfg.baselineAlpha * (state.smooth[j] - state.baseline[j]);
  return explain(state, r, values, scored(out, units / (units + 1), 0, 0, 0, 0));
}

/** The key with the largest share of d², its expected range (baseline ± 3σ) and its value. */
function explain(state: MultivariateState, r: readonly number[], values: ArrayLike<number>, out: RawResult): RawResult {
  const k = state.keys.length;
  let best = 0;
  let bestShare = -Infinity;
  for (let i = 0; i < k; i++) {
    let row = 0;
    for (let j = 0; j < k; j++) row += state.precision[i * k + j] * r[j];
    const share = r[i] * row;
    if (share > bestShare) {
      bestShare = share;
      best = i;
    }
  }
  const centre = state.mean[best] + state.sigma[best] * state.baseline[best];
  const half = 3 * state.sigma[best] * state.residualSigma[best];
  out.key = best;
  out.lo = centre - half;
  out.hi = centre + half;
  out.observed = values[best];
  return out;
}
