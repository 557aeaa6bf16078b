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
