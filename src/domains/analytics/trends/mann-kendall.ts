/**
 * Mann–Kendall monotonic trend test with tie correction and a lag-1 autocorrelation variance
 * inflation (sensor data is serially correlated, which otherwise makes every wiggle "significant").
 */
import { normalCdf } from '../math/stats.js';

export interface MannKendallResult {
  /** Σ sign(y_j − y_i) over i < j. */
  s: number;
  /** Variance of S under H0, after tie correction and autocorrelation inflation. */
  varianceS: number;
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Kendall's τ = S / (n(n−1)/2), in [−1, 1]. */
  tau: number;
  /** Multiplier applied to Var(S) for serial correlation (1 = none detected). */
  autocorrelationInflation: number;
}

/** O(n²): call it on a subsample (≤ ~1000 points) for long series. */
export function mannKendall(y: ArrayLike<number>, lag1Autocorrelation = 0): MannKendallResult {
  const n = y.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const yi = y[i];
    for (let j = i + 1; j < n; j++) {
      const d = y[j] - yi;
      s += d > 0 ? 1 : d < 0 ? -1 : 0;
    }
  }
  const ties = new Map<number, number>();
  for (let i = 0; i < n; i++) ties.set(y[i], (ties.get(y[i]) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) if (t > 1) tieTerm += t * (t - 1) * (2 * t + 5);
  // AR(1) effective-sample-size factor (1 + r)/(1 − r), clipped so a near-unit root cannot explode it.
  const r = Math.max(0, Math.min(0.9, lag1Autocorrelation));
  const inflation = (1 + r) / (1 - r);
  const varianceS = (((n * (n - 1) * (2 * n + 5)) - tieTerm) / 18) * inflation;
  const z = varianceS > 0 ? (s > 0 ? (s - 1) / Math.sqrt(varianceS) : s < 0 ? (s + 1) / Math.sqrt(varianceS) : 0) : 0;
  const pValue = 2 * (1 - normalCdf(Math.abs(z)));
  const pairs = (n * (n - 1)) / 2;
  return { s, varianceS, z, pValue, tau: pairs > 0 ? s / pairs : 0, autocorrelationInflation: inflation };
}
