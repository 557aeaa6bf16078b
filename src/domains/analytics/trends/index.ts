/**
 * Trend core: robust slope (Theil–Sen) with confidence bounds, Mann–Kendall direction test, and
 * change points in the mean (PELT, BIC penalty).
 *
 * Server entry point: `detectTrend({ ts, values }, options?)` → slope per hour/day, direction,
 * change points `[{ ts, before, after }]`. Pure and synchronous.
 */
export { detectTrend, type TrendSeries, type TrendOptions, type TrendResult, type TrendDirection, type TrendChangePoint } from './detect-trend.js';
export { detectMeanChanges, differenceSigma, type ChangePointOptions, type ChangePointIndex } from './change-points.js';
export { mannKendall, type MannKendallResult } from './mann-kendall.js';
export { theilSen, evenSubsample, type TheilSenFit } from './theil-sen.js';
