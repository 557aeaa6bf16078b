/**
 * Forecasting core: exponential smoothing (SES, Holt damped trend, additive Holt-Winters) with
 * automatic seasonal-period detection and prediction intervals.
 *
 * Server entry point: `forecast(series, { horizonMs } | { steps }, options?)`.
 * Pure and synchronous; ~10k points fit in tens of milliseconds.
 */
export { forecast, type ForecastHorizon, type ForecastOptions, type ForecastPoint, type ForecastResult, type ForecastInterval } from './forecast.js';
export { chooseForecastStep, ROUND_STEPS_MS, type ForecastStep, type StepSource } from './forecast-step.js';
export { toRegularGrid, inferStepMs, type TimeSeries, type RegularSeries } from './regular-grid.js';
export { detectPeriod, autocorrelation, type PeriodDetection } from './seasonality.js';
export { type SmoothingKind, type SmoothingParams } from './exponential-smoothing.js';
