/**
 * Time-to-threshold from a degradation trend, for devices without run-to-failure training data:
 * fit a straight line on the recent window, extrapolate to the failure threshold, and bracket the
 * crossing time with the line's confidence band (where the optimistic and pessimistic lines cross).
 */
import { fitSimpleLinear } from '../math/linear-regression.js';
import { normalQuantile } from '../math/stats.js';

const HOUR_MS = 3_600_000;

export interface ThresholdSeries {
  ts: number[];
  values: number[];
}

export interface TimeToThresholdOptions {
  /** Failure level of the monitored quantity (e.g. vibration RMS 7.1 mm/s). */
  threshold: number;
  /** Which side is failure; default: the side the recent trend is moving towards. */
  failWhen?: 'above' | 'below';
  /** Only samples in the last windowMs before the newest sample are fitted. Default 7 days. */
  windowMs?: number;
  /** Coverage of the [earliest, latest] bracket. Default 0.9. */
  confidence?: number;
  /** Crossings further out than this are reported as not approaching. Default 365 days. */
  maxHorizonMs?: number;
}

export type TimeToThresholdStatus = 'approaching' | 'crossed' | 'not-approaching' | 'insufficient-data';

export interface TimeToThresholdEstimate {
  status: TimeToThresholdStatus;
  /** Point estimate from now (newest sample) to the crossing; null unless approaching/crossed (0). */
  timeToThresholdMs: number | null;
  /** Earliest plausible crossing (pessimistic side of the band); null when unknown. */
  earliestMs: number | null;
  /** Latest plausible crossing; null when the optimistic line never reaches the threshold in range. */
  latestMs: number | null;
  slopePerHour: number;
  slopeStdErrPerHour: number;
  /** Fitted value at the newest sample (less noisy than the raw last value). */
  currentValue: number;
  samplesUsed: number;
}

export const DEFAULT_TTT_WINDOW_MS = 7 * 24 * HOUR_MS;
const MIN_SAMPLES = 5;

export function estimateTimeToThreshold(series: ThresholdSeries, options: TimeToThresholdOptions): TimeToThresholdEstimate {
  const windowMs = options.windowMs ?? DEFAULT_TTT_WINDOW_MS;
  const maxHorizonMs = options.maxHorizonMs ?? 365 * 24 * HOUR_MS;
  const z = normalQuantile(0.5 + (options.confidence ?? 0.9) / 2);
  let newest = -Infinity;
  for (let i = 0; i < series.ts.length; i++) if (Number.isFinite(series.values[i])) newest = Math.max(newest, series.ts[i]);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < series.ts.length; i++) {
    if (Number.isFinite(series.values[i]) && series.ts[i] >= newest - windowMs) {
      x.push((series.ts[i] - newest) / HOUR_MS); // hours relative to now (≤ 0)
      y.push(series.values[i]);
    }
  }
  const fit = fitSimpleLinear(x, y);
  const base = { slopePerHour: fit.slope, slopeStdErrPerHour: fit.slopeStdErr, currentValue: fit.intercept, samplesUsed: x.length };
  if (x.length < MIN_SAMPLES || !Number.isFinite(fit.slopeStdErr)) {
    return { status: 'insufficient-data', timeToThresholdMs: null, earliestMs: null, latestMs: null, ...base };
  }
  const failWhen = options.failWhen ?? (fit.slope >= 0 ? 'above' : 'below');
  const sign = failWhen === 'above' ? 1 : -1;
  // Work in "distance to failure" units: positive margin = still healthy.
  const margin = (hours: number, band: number) => {
    const se = fit.residualSigma * Math.sqrt(1 / fit.n + (hours - fit.meanX) ** 2 / fit.sxx);
    return sign * (options.threshold - (fit.intercept + fit.slope * hours)) - band * z * se;
  };
  if (margin(0, 0) <= 0) return { status: 'crossed', timeToThresholdMs: 0, earliestMs: 0, latestMs: 0, ...base };
  const maxHours = maxHorizonMs / HOUR_MS;
  const point = firstCrossingHours((h) => margin(h, 0), maxHours);
  const earliest = firstCrossingHours((h) => margin(h, 1), maxHours);
  const latest = firstCrossingHours((h) => margin(h, -1), maxHours);
  const toMs = (h: number | null) => (h === null ? null : h * HOUR_MS);
  if (point === null) {
    return { status: 'not-approaching', timeToThresholdMs: null, earliestMs: toMs(earliest), latestMs: null, ...base };
  }
  return { status: 'approaching', timeToThresholdMs: toMs(point), earliestMs: toMs(earliest ?? 0), latestMs: toMs(latest), ...base };
}

/** First h in [0, maxHours] where f(h) ≤ 0: coarse geometric scan, then bisection. */
function firstCrossingHours(f: (h: number) => number, maxHours: number): number | null {
  if (f(0) <= 0) return 0;
  const steps = 400;
  let prev = 0;
  for (let k = 1; k <= steps; k++) {
    // Geometric spacing resolves both near-term (minutes) and far (months) crossings.
    const h = maxHours * Math.pow(k / steps, 3);
    if (f(h) <= 0) {
      let lo = prev;
      let hi = h;
      for (let it = 0; it < 60; it++) {
        const mid = (lo + hi) / 2;
        if (f(mid) <= 0) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prev = h;
  }
  return null;
}
