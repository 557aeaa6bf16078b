/**
 * "Predicted failure" alarm decision with hysteresis, as a pure state machine:
 * (state, estimate) → { state, firing, transition }.
 *
 * Raise when the (pessimistic, if provided) time to failure is below the horizon for
 * `raiseAfter` consecutive estimates; clear only when the point estimate is back above
 * horizon × `clearFactor` for `clearAfter` consecutive estimates. The gap between the raise and
 * clear levels plus the confirmation counts keep a noisy estimate hovering near the horizon
 * from flapping the alarm.
 */

export const DEFAULT_FAILURE_HORIZON_MS = 24 * 3_600_000;

export interface FailureEstimate {
  /** Point estimate of time to failure (RUL or time-to-threshold), in ms. */
  timeToFailureMs: number;
  /** Pessimistic bound; when given the alarm raises on it (earlier warning). */
  timeToFailureLowerMs?: number;
}

export interface PredictedFailureOptions {
  /** Default 24 h. */
  horizonMs?: number;
  /** Clear level = horizon × clearFactor. Default 1.5. */
  clearFactor?: number;
  /** Consecutive below-horizon estimates needed to raise. Default 2. */
  raiseAfter?: number;
  /** Consecutive above-clear-level estimates needed to clear. Default 3. */
  clearAfter?: number;
}

export interface PredictedFailureState {
  firing: boolean;
  belowCount: number;
  aboveCount: number;
}

export type AlarmTransition = 'raised' | 'cleared' | null;

export const INITIAL_PREDICTED_FAILURE_STATE: PredictedFailureState = Object.freeze({ firing: false, belowCount: 0, aboveCount: 0 });

export function predictedFailureCheck(
  state: PredictedFailureState | undefined,
  estimate: FailureEstimate,
  options: PredictedFailureOptions = {},
): { state: PredictedFailureState; firing: boolean; transition: AlarmTransition } {
  const prev = state ?? INITIAL_PREDICTED_FAILURE_STATE;
  const horizonMs = options.horizonMs ?? DEFAULT_FAILURE_HORIZON_MS;
  const clearLevelMs = horizonMs * (options.clearFactor ?? 1.5);
  const raiseAfter = Math.max(1, options.raiseAfter ?? 2);
  const clearAfter = Math.max(1, options.clearAfter ?? 3);
  const raiseOn = Math.min(estimate.timeToFailureMs, estimate.timeToFailureLowerMs ?? Infinity);
  const below = raiseOn < horizonMs;
  const above = estimate.timeToFailureMs > clearLevelMs;
  const belowCount = below ? prev.belowCount + 1 : 0;
  const aboveCount = above ? prev.aboveCount + 1 : 0;
  if (!prev.firing && belowCount >= raiseAfter) {
    return { state: { firing: true, belowCount, aboveCount: 0 }, firing: true, transition: 'raised' };
  }
  if (prev.firing && aboveCount >= clearAfter) {
    return { state: { firing: false, belowCount: 0, aboveCount }, firing: false, transition: 'cleared' };
  }
  return { state: { firing: prev.firing, belowCount, aboveCount }, firing: prev.firing, transition: null };
}
