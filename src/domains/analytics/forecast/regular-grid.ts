/**
 * Puts an irregularly sampled series onto a regular grid so that exponential smoothing
 * (which assumes one observation per step) sees evenly spaced data.
 */
import { median } from '../math/stats.js';

export interface TimeSeries {
  /** Epoch milliseconds, any order; duplicates are averaged. */
  ts: number[];
  values: number[];
}

export interface RegularSeries {
  startTs: number;
  stepMs: number;
  values: number[];
  /** How many grid points were filled by interpolation rather than observed. */
  filledCount: number;
}

/**
 * Step = median spacing of the observations (robust to a few gaps and bursts).
 * Each grid point takes the mean of observations whose timestamp rounds to it;
 * empty grid points are linearly interpolated between their observed neighbours.
 */
export function toRegularGrid(series: TimeSeries, stepMs?: number): RegularSeries {
  const pairs: [number, number][] = [];
  for (let i = 0; i < Math.min(series.ts.length, series.values.length); i++) {
    const t = series.ts[i];
    const v = series.values[i];
    if (Number.isFinite(t) && Number.isFinite(v)) pairs.push([t, v]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0) return { startTs: 0, stepMs: stepMs ?? 1, values: [], filledCount: 0 };
  const step = stepMs ?? inferStepMs(pairs.map((p) => p[0]));
  const startTs = pairs[0][0];
  const length = Math.round((pairs[pairs.length - 1][0] - startTs) / step) + 1;
  const sums = new Float64Array(length);
  const counts = new Uint32Array(length);
  for (const [t, v] of pairs) {
    const k = Math.round((t - startTs) / step);
    sums[k] += v;
    counts[k]++;
  }
  const values = new Array<number>(length);
  let filledCount = 0;
  let prev = -1;
  for (let k = 0; k < length; k++) {
    if (counts[k] === 0) continue;
    values[k] = sums[k] / counts[k];
    if (prev >= 0 && k - prev > 1) {
      for (let g = prev + 1; g < k; g++) {
        const w = (g - prev) / (k - prev);
        values[g] = values[prev] * (1 - w) + values[k] * w;
        filledCount++;
      }
    }
    prev = k;
  }
  return { startTs, stepMs: step, values, filledCount };
}

export function inferStepMs(sortedTs: number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < sortedTs.length; i++) {
    const g = sortedTs[i] - sortedTs[i - 1];
    if (g > 0) gaps.push(g);
  }
  return gaps.length ? median(gaps) : 1;
}
