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

/** What a detector core reports before the shared alarm policy turns the score into labels. */
export interface RawResult {
  score: number;
  warmingUp: boolean;
  explanation?: Explanation;
}
