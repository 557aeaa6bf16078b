/**
 * Theil–Sen slope: the median of pairwise slopes, robust to up to ~29% outliers.
 * Long series are thinned to an evenly spaced subsample to bound the O(n²) pair count.
 */
import { median, normalQuantile } from '../math/stats.js';

export interface TheilSenFit {
  slope: number;
  intercept: number;
  /** Confidence bounds on the slope (Sen 1968, from the distribution of Kendall's S). */
  slopeLower: number;
  slopeUpper: number;
}

/** 600 points → ~180k pairwise slopes: milliseconds, and still a precise median. */
export const THEIL_SEN_MAX_POINTS = 600;

/** Evenly spaced indices 0..n−1, at most maxPoints of them, always keeping both ends. */
export function evenSubsample(n: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: maxPoints }, (_, k) => Math.round((k * (n - 1)) / (maxPoints - 1)));
}

export function theilSen(x: ArrayLike<number>, y: ArrayLike<number>, varianceS: number, confidence = 0.95): TheilSenFit {
  const n = x.length;
  const slopes: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = x[j] - x[i];
      if (dx !== 0) slopes.push((y[j] - y[i]) / dx);
    }
  }
  if (slopes.length === 0) return { slope: 0, intercept: n ? median(y) : NaN, slopeLower: 0, slopeUpper: 0 };
  const sorted = Float64Array.from(slopes).sort();
  const slope = median(sorted);
  const residualIntercepts = Array.from({ length: n }, (_, i) => y[i] - slope * x[i]);
  const c = normalQuantile(0.5 + confidence / 2) * Math.sqrt(varianceS);
  const N = sorted.length;
  const lowerRank = Math.max(0, Math.floor((N - c) / 2));
  const upperRank = Math.min(N - 1, Math.ceil((N + c) / 2));
  return { slope, intercept: median(residualIntercepts), slopeLower: sorted[lowerRank], slopeUpper: sorted[upperRank] };
}
