/**
 * detectTrend(): robust slope (Theil–Sen) with confidence bounds, a Mann–Kendall direction test,
 * and PELT change points in the mean — one call answering "is this sensor drifting, how fast,
 * and when did it jump?".
 */
import { autocorrelation } from '../forecast/seasonality.js';
import { fitSimpleLinear } from '../math/linear-regression.js';
import { detectMeanChanges, type ChangePointOptions } from './change-points.js';
import { mannKendall } from './mann-kendall.js';
import { evenSubsample, theilSen, THEIL_SEN_MAX_POINTS } from './theil-sen.js';

const HOUR_MS = 3_600_000;

export interface TrendSeries {
  ts: number[];
  values: number[];
}

export interface TrendOptions {
  /** Significance level of the Mann–Kendall test; default 0.05. */
  significance?: number;
  /**
   * Slopes smaller than this (absolute, value units per hour) are "flat" even when significant:
   * a huge series makes tiny drifts significant without making them matter. Default 0.
   */
  minSlopePerHour?: number;
  changePoints?: ChangePointOptions;
}

export type TrendDirection = 'rising' | 'falling' | 'flat';

export interface TrendChangePoint {
  /** Timestamp of the first sample of the new regime. */
  ts: number;
  before: number;
  after: number;
}

export interface TrendResult {
  n: number;
  direction: TrendDirection;
  slopePerHour: number;
  slopePerDay: number;
  /** 95% (or 1 − significance) confidence bounds on the slope, per hour. */
  slopeLowerPerHour: number;
  slopeUpperPerHour: number;
  /** Value of the robust line at the first timestamp. */
  interceptAtStart: number;
  pValue: number;
  kendallTau: number;
  changePoints: TrendChangePoint[];
}

export function detectTrend(series: TrendSeries, options: TrendOptions = {}): TrendResult {
  const significance = options.significance ?? 0.05;
  const order = series.ts
    .map((_t, i) => i)
    .filter((i) => Number.isFinite(series.ts[i]) && Number.isFinite(series.values[i]))
    .sort((a, b) => series.ts[a] - series.ts[b]);
  const ts = order.map((i) => series.ts[i]);
  const values = order.map((i) => series.values[i]);
  const n = values.length;
  const t0 = n ? ts[0] : 0;
  const hours = ts.map((t) => (t - t0) / HOUR_MS);

  const sub = evenSubsample(n, THEIL_SEN_MAX_POINTS);
  const subHours = sub.map((i) => hours[i]);
  const subValues = sub.map((i) => values[i]);
  // Serial correlation of the residuals around a straight line, measured on the subsample we test.
  const line = fitSimpleLinear(subHours, subValues);
  const residuals = subValues.map((v, k) => v - line.intercept - line.slope * subHours[k]);
  const mk = mannKendall(subValues, n > 3 ? autocorrelation(residuals, 1) : 0);
  const ts1 = theilSen(subHours, subValues, mk.varianceS, 1 - significance);

  const significant = mk.pValue < significance && Math.abs(ts1.slope) >= (options.minSlopePerHour ?? 0);
  const direction: TrendDirection = !significant || ts1.slope === 0 ? 'flat' : ts1.slope > 0 ? 'rising' : 'falling';
  const changes = detectMeanChanges(values, options.changePoints);
  // A steady ramp is not a staircase: keep the change points only when the piecewise-constant
  // model explains the data better than one straight line (BIC), else report none.
  const changePoints = lineBeatsSteps(hours, values, changes.map((c) => c.index))
    ? []
    : changes.map((c) => ({ ts: ts[c.index], before: c.before, after: c.after }));
  return {
    n,
    direction,
    slopePerHour: ts1.slope,
    slopePerDay: ts1.slope * 24,
    slopeLowerPerHour: ts1.slopeLower,
    slopeUpperPerHour: ts1.slopeUpper,
    interceptAtStart: ts1.intercept,
    pValue: mk.pValue,
    kendallTau: mk.tau,
    changePoints,
  };
}

/** True when one straight line has a lower BIC than the piecewise-constant segmentation. */
function lineBeatsSteps(hours: number[], values: number[], boundaries: number[]): boolean {
  const n = values.length;
  if (boundaries.length === 0 || n < 4) return false;
  const line = fitSimpleLinear(hours, values);
  let rssLine = 0;
  for (let i = 0; i < n; i++) rssLine += (values[i] - line.intercept - line.slope * hours[i]) ** 2;
  let rssSteps = 0;
  const edges = [0, ...boundaries, n];
  for (let s = 0; s + 1 < edges.length; s++) {
    let sum = 0;
    for (let i = edges[s]; i < edges[s + 1]; i++) sum += values[i];
    const mean = sum / Math.max(1, edges[s + 1] - edges[s]);
    for (let i = edges[s]; i < edges[s + 1]; i++) rssSteps += (values[i] - mean) ** 2;
  }
  const floor = 1e-12 * n;
  const bic = (rss: number, params: number) => n * Math.log(Math.max(rss, floor) / n) + params * Math.log(n);
  return bic(rssLine, 3) <= bic(rssSteps, 2 * boundaries.length + 2);
}
