// The grid step a forecast runs at. By default the data's own step; when the horizon would span
// more steps than a forecast may have (a day ahead of 1-second data is 86,400 steps), the
// smallest round step that fits instead. A newcomer asking `horizon=1d` after a few minutes of
// 1 s data gets a forecast, not a 400 about step counts they never chose.

/** Round steps an automatic choice may land on, ascending. */
export const ROUND_STEPS_MS: readonly number[] = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000, 30 * 60_000,
  3_600_000, 2 * 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000,
  86_400_000, 7 * 86_400_000,
];

export type StepSource = 'data' | 'horizon' | 'request';

export interface ForecastStep {
  stepMs: number;
  /** data: the series' own step; horizon: coarsened to fit the horizon; request: the step parameter. */
  source: StepSource;
  steps: number;
}

/**
 * dataStepMs: median spacing of the points, or the averaging window. requestedStepMs: the
 * caller's `step`, taken as given (the caller then gets a 400 if it makes too many steps).
 */
export function chooseForecastStep(horizonMs: number, dataStepMs: number, maxSteps: number, requestedStepMs?: number): ForecastStep {
  if (requestedStepMs !== undefined) return { stepMs: requestedStepMs, source: 'request', steps: Math.ceil(horizonMs / requestedStepMs) };
  const dataSteps = Math.ceil(horizonMs / dataStepMs);
  if (dataSteps <= maxSteps) return { stepMs: dataStepMs, source: 'data', steps: dataSteps };
  const fitting = ROUND_STEPS_MS.find((s) => s > dataStepMs && Math.ceil(horizonMs / s) <= maxSteps);
  // Beyond a week per step nothing round is left: divide the horizon evenly.
  const stepMs = fitting ?? Math.ceil(horizonMs / maxSteps);
  return { stepMs, source: 'horizon', steps: Math.ceil(horizonMs / stepMs) };
}
