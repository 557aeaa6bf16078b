// Shared shapes of the streaming detectors. Every detector core is a pair of functions over a
// plain, JSON-serialisable state object: `init(keys, options)` and `step(state, ts, values)`.
// `step` updates the state it is given in place (one allocation-free pass per point is what
// makes 200k points/s possible) and returns the point's result; `snapshot()` is a deep copy.

export type DetectorKind = 'auto' | 'robust' | 'seasonal' | 'multivariate' | 'relational';

/** Why a point scored high: the key that contributed most, its expected range and its value. */
export interface Explanation {
  key: string;
  expected: [number, number];
  observed: number;
}

export interface DetectionResult {
  /** Anomaly score in [0, 1]; comparable across series of one detector kind. */
  score: number;
  /** True while the series is judged anomalous (score above threshold, persistence met). */
  isAnomaly: boolean;
  /**
   * True only on the point that raises a new alarm: the first anomalous point after a quiet
   * spell of `refractoryPoints`. Use it for notifications; `isAnomaly` for per-point labels.
   */
  alarm: boolean;
  /** Still learning (fit period or warm-up): score is 0 and no alarm is raised. */
  warmingUp: boolean;
  explanation?: Explanation;
  /** Set when the alarm is for a stuck value: the number of identical values in a row. */
  flatline?: number;
  /** Set when the alarm is for a slow drift: the CUSUM of the deviations in sigmas (sign = direction). */
  drift?: number;
}

/**
 * What a detector core reports before the shared alarm policy turns the score into labels. One
 * object per detector, overwritten by every point: the explanation is built from its numbers only
 * for the results that carry one, not allocated by the core on every point.
 */
export interface RawResult {
  score: number;
  warmingUp: boolean;
  /** Index of the key that explains the score (the highest-scoring one); -1: no explanation. */
  key: number;
  /** That key's expected range and its value, as the explanation reports them. */
  lo: number;
  hi: number;
  observed: number;
}

export function newRawResult(): RawResult {
  return { score: 0, warmingUp: true, key: -1, lo: 0, hi: 0, observed: 0 };
}

/** Sets `out` to "no score" (warming up, or nothing scored) and returns it. */
export function unscored(out: RawResult, warmingUp: boolean): RawResult {
  out.score = 0;
  out.warmingUp = warmingUp;
  out.key = -1;
  return out;
}

/** Sets `out` to a score explained by key `key` and returns it. */
export function scored(out: RawResult, score: number, key: number, lo: number, hi: number, observed: number): RawResult {
  out.score = score;
  out.warmingUp = false;
  out.key = key;
  out.lo = lo;
  out.hi = hi;
  out.observed = observed;
  return out;
}
