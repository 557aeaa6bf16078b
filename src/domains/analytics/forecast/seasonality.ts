/**
 * Seasonal period detection by autocorrelation of the linearly detrended series.
 * Calendar periods (hourly, daily, weekly) implied by the sampling step are tried first;
 * otherwise the first strong ACF peak is accepted, only after the ACF has crossed zero
 * (a random walk or trend keeps ACF high at every lag and must not look seasonal).
 */
import { fitSimpleLinear } from '../math/linear-regression.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/** An ACF of 0.3 at the seasonal lag is a common rule of thumb for "visible" seasonality. */
const MIN_CALENDAR_ACF = 0.3;
/** Uncalendared peaks need stronger evidence since we search many lags. */
const MIN_SCAN_ACF = 0.5;
/** Bounds the O(n·lag) scan so 10k-point series stay in milliseconds. */
const MAX_SCAN_LAG = 2000;

export interface PeriodDetection {
  periodSteps: number | null;
  acf: number;
  source: 'calendar' | 'scan' | 'none';
}

export function autocorrelation(values: ArrayLike<number>, lag: number): number {
  const n = values.length;
  if (lag >= n - 1) return 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let den = 0;
  for (let i = 0; i < n; i++) den += (values[i] - m) ** 2;
  if (den === 0) return 0;
  let num = 0;
  for (let i = lag; i < n; i++) num += (values[i] - m) * (values[i - lag] - m);
  return num / den;
}

function detrend(values: number[]): Float64Array {
  const x = values.map((_, i) => i);
  const fit = fitSimpleLinear(x, values);
  return Float64Array.from(values, (v, i) => v - fit.intercept - fit.slope * i);
}

/** Needs at least two full cycles of history for Holt-Winters initialisation. */
export function detectPeriod(values: number[], stepMs: number): PeriodDetection {
  const n = values.length;
  const resid = detrend(values);
  const calendar = [HOUR_MS, DAY_MS, WEEK_MS]
    .map((p) => p / stepMs)
    .filter((lag) => lag >= 2 && Math.abs(lag - Math.round(lag)) / lag < 0.02)
    .map(Math.round)
    .filter((lag) => n >= 2 * lag + 2);
  // A real period shows a peak at its lag with a dip in between (at half the lag); a smooth
  // slow signal has high ACF at every short lag, which must not count as e.g. "hourly".
  const scored = calendar
    .map((lag) => ({ lag, acf: autocorrelation(resid, lag), halfway: autocorrelation(resid, Math.round(lag / 2)) }))
    .filter((s) => s.acf - s.halfway >= MIN_CALENDAR_ACF);
  const bestAcf = Math.max(-1, ...scored.map((s) => s.acf));
  if (bestAcf >= MIN_CALENDAR_ACF) {
    // Weekly data is also daily-correlated at lag 7·d; prefer the shortest lag nearly as good.
    const chosen = scored.find((s) => s.acf >= 0.9 * bestAcf)!;
    return { periodSteps: chosen.lag, acf: chosen.acf, source: 'calendar' };
  }
  const maxLag = Math.min(Math.floor(n / 2) - 1, MAX_SCAN_LAG);
  let crossedZero = false;
  let prev = 1;
  let prevPrev = 1;
  for (let lag = 1; lag <= maxLag; lag++) {
    const acf = autocorrelation(resid, lag);
    if (acf < 0) crossedZero = true;
    // prev is a local maximum at lag − 1.
    if (crossedZero && lag - 1 >= 2 && prev >= MIN_SCAN_ACF && prev > prevPrev && prev >= acf) {
      return { periodSteps: lag - 1, acf: prev, source: 'scan' };
    }
    prevPrev = prev;
    prev = acf;
  }
  return { periodSteps: null, acf: 0, source: 'none' };
}
