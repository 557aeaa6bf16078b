// Turns a stream of scores into labels. Shared by every detector so "anomalous" means the same
// thing everywhere: the score must stay at or above `threshold` for `persistence` consecutive
// points (one noisy point is not an incident), and a new alarm is raised only after
// `refractoryPoints` points without one (one incident, one notification). Once raised, the
// anomaly holds while the score stays at or above `exitThreshold` (hysteresis: a fault that is
// still there but momentarily less obvious is not reported as over and begun again).

export interface AlarmPolicy {
  threshold: number;
  /** Lower cut-off that keeps an ongoing anomaly open; equal to `threshold` for no hysteresis. */
  exitThreshold: number;
  persistence: number;
  refractoryPoints: number;
}

export interface AlarmState {
  run: number;
  sinceAlarm: number;
  active: boolean;
}

export function newAlarmState(): AlarmState {
  // Start "long ago" so the very first anomaly can raise an alarm.
  return { run: 0, sinceAlarm: Number.MAX_SAFE_INTEGER, active: false };
}

export function stepAlarm(state: AlarmState, policy: AlarmPolicy, score: number): { isAnomaly: boolean; alarm: boolean } {
  state.run = score >= policy.threshold ? state.run + 1 : 0;
  const isAnomaly = state.run >= policy.persistence || (state.active && score >= policy.exitThreshold);
  let alarm = false;
  if (isAnomaly && !state.active && state.sinceAlarm >= policy.refractoryPoints) {
    alarm = true;
    state.sinceAlarm = 0;
  } else if (state.sinceAlarm < Number.MAX_SAFE_INTEGER) state.sinceAlarm++;
  state.active = isAnomaly;
  return { isAnomaly, alarm };
}

/**
 * What operators' dismissals did to a series' alarm policy. Each alarm dismissed as false halves
 * the tail probability the series may alarm at, and sets it at most a tenth of the dismissed
 * alarm's own tail: the same deviation (give or take the noise of the scale estimate) no longer
 * alarms, a clearly larger one still does. Scores are tail probabilities (1 − p), so these
 * factors mean the same thing on every series. Scores that saturate at 1 always alarm.
 */
export interface FeedbackState {
  dismissals: number;
  threshold: number;
  exitThreshold: number;
}

/** Smallest tail a threshold may demand; scores that saturate at 1 always pass it. */
const MIN_TAIL = 1e-9;
const TAIL_FACTOR_PER_DISMISSAL = 0.5;
const TAIL_FACTOR_BELOW_DISMISSED = 0.1;

export function afterDismissal(policy: AlarmPolicy, dismissedScore: number, prior: FeedbackState | undefined): FeedbackState {
  const threshold = prior?.threshold ?? policy.threshold;
  const exitThreshold = prior?.exitThreshold ?? policy.exitThreshold;
  const tail = 1 - threshold;
  const dismissedTail = Number.isFinite(dismissedScore) ? 1 - Math.min(1, Math.max(0, dismissedScore)) : tail;
  const nextTail = Math.max(MIN_TAIL, Math.min(tail * TAIL_FACTOR_PER_DISMISSAL, dismissedTail * TAIL_FACTOR_BELOW_DISMISSED));
  const ratio = tail > 0 ? nextTail / tail : 1;
  return {
    dismissals: (prior?.dismissals ?? 0) + 1,
    threshold: 1 - nextTail,
    exitThreshold: Math.min(1 - nextTail, 1 - (1 - exitThreshold) * ratio),
  };
}

/** The policy in force: the configured one, tightened by operators' dismissals. */
export function effectivePolicy(policy: AlarmPolicy, feedback: FeedbackState | undefined): AlarmPolicy {
  return feedback ? { ...policy, threshold: feedback.threshold, exitThreshold: feedback.exitThreshold } : policy;
}
