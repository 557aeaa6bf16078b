/**
 * forecast(): regularise → detect season → fit SES / Holt / Holt-Winters → point forecasts with
 * Gaussian prediction intervals whose width grows with the horizon (closed-form ETS variance).
 */
import { normalQuantile } from '../math/stats.js';
import { varianceMultipliers, pointForecast, type SmoothingKind, type SmoothingParams } from './exponential-smoothing.js';
import { fitBestModel } from './fit-model.js';
import { toRegularGrid, type TimeSeries } from './regular-grid.js';
import { detectPeriod } from './seasonality.js';

export type ForecastHorizon = { steps: number } | { horizonMs: number };

export interface ForecastOptions {
  /** Central coverage of the intervals; default [0.8, 0.95]. `lower`/`upper` use the widest. */
  levels?: number[];
  /** Force a seasonal period in grid steps (0 disables seasonality); default: detect. */
  periodSteps?: number;
  /** Grid step; default: median spacing of the observations. */
  stepMs?: number;
  /** Damp the trend (safer for long horizons); default true. */
  damped?: boolean;
  /** Cap on forecast steps so a bad request cannot allocate unbounded memory. Default 10 000. */
  maxSteps?: number;
}

export interface ForecastInterval {
  level: number;
  lower: number;
  upper: number;
}

export interface ForecastPoint {
  ts: number;
  value: number;
  lower: number;
  upper: number;
  intervals: ForecastInterval[];
}

export interface ForecastResult {
  model: SmoothingKind | 'naive';
  stepMs: number;
  periodSteps: number | null;
  params: SmoothingParams | null;
  /** Standard deviation of the one-step-ahead residuals on the history. */
  residualSigma: number;
  points: ForecastPoint[];
}

const DEFAULT_MAX_STEPS = 10_000;

export function forecast(series: TimeSeries, horizon: ForecastHorizon, options: ForecastOptions = {}): ForecastResult {
  const levels = (options.levels ?? [0.8, 0.95]).slice().sort((a, b) => a - b);
  const grid = toRegularGrid(series, options.stepMs);
  const stepMs = grid.stepMs;
  const requested = 'steps' in horizon ? horizon.steps : Math.ceil(horizon.horizonMs / stepMs);
  const steps = Math.max(0, Math.min(options.maxSteps ?? DEFAULT_MAX_STEPS, Math.floor(requested)));
  const values = grid.values;
  const lastTs = grid.startTs + (values.length - 1) * stepMs;
  const zs = levels.map((l) => normalQuantile(0.5 + l / 2));

  const makePoints = (at: (h: number) => number, sdAt: (h: number) => number): ForecastPoint[] =>
    Array.from({ length: steps }, (_, i) => {
      const h = i + 1;
      const value = at(h);
      const sd = sdAt(h);
      const intervals = levels.map((level, k) => ({ level, lower: value - zs[k] * sd, upper: value + zs[k] * sd }));
      const widest = intervals[intervals.length - 1];
      return { ts: lastTs + h * stepMs, value, lower: widest.lower, upper: widest.upper, intervals };
    });

  if (values.length < 3) {
    // Too little history to fit anything: repeat the last value with no honest interval to give.
    const last = values.length ? values[values.length - 1] : NaN;
    return { model: 'naive', stepMs, periodSteps: null, params: null, residualSigma: NaN, points: makePoints(() => last, () => NaN) };
  }

  const period =
    options.periodSteps !== undefined
      ? options.periodSteps >= 2 ? options.periodSteps : null
      : detectPeriod(values, stepMs).periodSteps;
  const model = fitBestModel(values, period, options.damped ?? true);
  const multipliers = varianceMultipliers(model.kind, model.periodSteps, model.params, steps);
  const points = makePoints(
    (h) => pointForecast(model.run.state, model.params, h),
    (h) => model.sigma * Math.sqrt(multipliers[h - 1]),
  );
  return {
    model: model.kind,
    stepMs,
    periodSteps: model.kind === 'holt-winters' ? model.periodSteps : null,
    params: model.params,
    residualSigma: model.sigma,
    points,
  };
}
