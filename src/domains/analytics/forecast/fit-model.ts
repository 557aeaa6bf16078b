/**
 * Fits smoothing parameters by minimising the one-step-ahead squared error (Nelder–Mead on
 * logit-transformed parameters so the search is unconstrained), then picks among SES, Holt and
 * Holt-Winters by AIC so that seasonality or trend is only used when the data pays for it.
 */
import { nelderMead } from '../math/nelder-mead.js';
import { runSmoothing, type SmoothingKind, type SmoothingParams, type SmoothingRun } from './exponential-smoothing.js';

export interface FittedModel {
  kind: SmoothingKind;
  periodSteps: number;
  params: SmoothingParams;
  run: SmoothingRun;
  /** Residual standard deviation of one-step errors. */
  sigma: number;
  aic: number;
}

/** Damping below 0.8 flattens trends within a few steps; R's forecast::ets uses the same range. */
const PHI_MIN = 0.8;

const logistic = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

function decode(kind: SmoothingKind, raw: number[], damped: boolean): SmoothingParams {
  // Keep α away from 0 and 1 so the filter neither freezes nor just copies the last value.
  const alpha = 0.001 + 0.998 * logistic(raw[0]);
  const beta = kind === 'ses' ? 0 : alpha * logistic(raw[1]);
  const gamma = kind === 'holt-winters' ? (1 - alpha) * logistic(raw[2]) : 0;
  const phi = kind === 'ses' ? 0 : damped ? PHI_MIN + (1 - PHI_MIN) * logistic(raw[3] ?? 3) : 1;
  return { alpha, beta, gamma, phi };
}

export function fitKind(values: number[], kind: SmoothingKind, periodSteps: number, damped: boolean, scoreFromIndex = 0): FittedModel {
  const start = kind === 'ses' ? [logit(0.3)] : kind === 'holt' ? [logit(0.3), logit(0.1)] : [logit(0.3), logit(0.1), logit(0.1)];
  if (kind !== 'ses' && damped) {
    while (start.length < 3) start.push(0);
    start.push(logit(0.9));
  }
  const objective = (raw: number[]) => {
    const r = runSmoothing(values, kind, periodSteps, decode(kind, raw, damped), scoreFromIndex);
    return Number.isFinite(r.sse) ? r.sse / r.errorCount : Number.MAX_VALUE;
  };
  const best = nelderMead(objective, start, { step: 1, maxIterations: 150 * start.length, tolerance: 1e-7 });
  const params = decode(kind, best.x, damped);
  const run = runSmoothing(values, kind, periodSteps, params, scoreFromIndex);
  const n = run.errorCount;
  const freeParams = kind === 'ses' ? 1 : kind === 'holt' ? 2 : 3;
  // Initial states are set heuristically, not optimised, so only smoothing parameters count.
  // Counting all m seasonal states made long periods (288 five-minute steps) lose to Holt on
  // one-step error even when the season dominates multi-step forecasts; the seasonal candidate
  // is already gated by ACF evidence in detectPeriod.
  const k = freeParams + (damped && kind !== 'ses' ? 1 : 0);
  const mse = Math.max(run.sse / n, 1e-300);
  return {
    kind,
    periodSteps,
    params,
    run,
    sigma: Math.sqrt(run.sse / Math.max(1, n - freeParams)),
    aic: n * Math.log(mse) + 2 * k,
  };
}

export function fitBestModel(values: number[], periodSteps: number | null, damped: boolean): FittedModel {
  const seasonalOk = periodSteps !== null && values.length >= 2 * periodSteps + 2;
  // AIC is only comparable on the same scored window; Holt-Winters cannot score its first two cycles.
  const scoreFrom = seasonalOk ? 2 * periodSteps! : 2;
  const candidates: FittedModel[] = [fitKind(values, 'ses', 1, false, scoreFrom)];
  if (values.length >= 12) candidates.push(fitKind(values, 'holt', 1, damped, scoreFrom));
  if (seasonalOk) candidates.push(fitKind(values, 'holt-winters', periodSteps!, damped, scoreFrom));
  candidates.sort((a, b) => a.aic - b.aic);
  return candidates[0];
}
