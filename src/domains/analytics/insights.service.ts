// Analytics over stored telemetry for the API: forecasts, trends with change points, and
// time-to-threshold. Loads a key's numeric history from the TelemetryStore (raw points when the
// window is small enough, otherwise windowed averages) and hands it to the pure analytics cores.
// Every call is scoped to a device of the caller's tenant.
import { Errors } from '../../errors.js';
import { durationMs, MAX_DURATION_MS } from '../../util/duration.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import { clip, parseKeys, parseTime } from '../telemetry/query.service.js';
import { chooseForecastStep, forecast, inferStepMs } from './forecast/index.js';
import { estimateTimeToThreshold, DEFAULT_TTT_WINDOW_MS } from './maintenance/index.js';
import { detectTrend } from './trends/index.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Up to this many points in the window are analysed as stored. */
export const RAW_POINT_LIMIT = 20_000;
/** Beyond RAW_POINT_LIMIT the window is averaged into at most about this many buckets. */
export const AGGREGATE_TARGET_WINDOWS = 10_000;
/** Forecasts longer than this many grid steps are refused. */
export const MAX_FORECAST_STEPS = 10_000;
/** At most this many keys per trends request. */
export const MAX_TREND_KEYS = 50;
export const MIN_FORECAST_POINTS = 10;
export const MIN_TREND_POINTS = 5;
export const MIN_THRESHOLD_POINTS = 5;
const DEFAULT_HISTORY_MS = 7 * DAY_MS;
const DEFAULT_HORIZON_MS = DAY_MS;
const DEFAULT_TRENDS_SPAN_MS = 7 * DAY_MS;
const MAX_HISTORY_MS = 366 * DAY_MS;
/** A forecast further ahead than a year says more about the model than about the device. */
const MAX_HORIZON_MS = 366 * DAY_MS;

/** A duration parameter ("30m", "1h", "1d", "1w" or milliseconds), or the fallback when absent. */
export function parseDuration(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = durationMs(value);
  if (ms === null) throw Errors.badRequest(`${name} must look like 30m, 1h, 1d, 1w or milliseconds, at most ${MAX_DURATION_MS} ms`, { [name]: clip(value) });
  return ms;
}

function requireKey(key: string | undefined): string {
  const k = key?.trim();
  if (!k) throw Errors.badRequest('key is required');
  return k;
}

/** NaN/±Infinity cannot travel as JSON numbers. */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export interface NumericSeries {
  ts: number[];
  values: number[];
  /** 'raw', or the averaging window in ms when the window held more than RAW_POINT_LIMIT points. */
  resolution: 'raw' | number;
}

export interface ForecastInput {
  key?: string;
  horizon?: string;
  history?: string;
  step?: string;
}

export interface TrendsInput {
  keys?: string;
  from?: string;
  to?: string;
}

export interface TimeToThresholdInput {
  key?: string;
  threshold?: number | string;
  window?: string;
  failWhen?: 'above' | 'below';
}

export class InsightsService {
  constructor(
    private readonly telemetry: TelemetryStore,
    private readonly metadata: MetadataStore,
  ) {}

  private async requireDevice(tenantId: string, deviceId: string): Promise<void> {
    if (!(await this.metadata.getDevice(tenantId, deviceId))) throw Errors.notFound(`device ${deviceId} not found`);
  }

  /** Newest timestamp of the key, or null when the device never sent it. */
  private async newestTs(tenantId: string, deviceId: string, key: string): Promise<number | null> {
    const [latest] = await this.telemetry.latest(tenantId, deviceId, [key]);
    return latest ? latest.ts : null;
  }

  /**
   * Numeric values of one key in [fromMs, toMs], ascending. Non-numeric values are ignored.
   * More than RAW_POINT_LIMIT stored points → averages over windows sized for ≤ ~10k windows
   * (timestamps at window centres).
   */
  async loadNumeric(tenantId: string, deviceId: string, key: string, fromMs: number, toMs: number): Promise<NumericSeries> {
    const raw = await this.telemetry.queryRaw({ tenantId, deviceId, keys: [key], fromMs, toMs, limit: RAW_POINT_LIMIT + 1, order: 'asc' });
    if (raw.length <= RAW_POINT_LIMIT) {
      const ts: number[] = [];
      const values: number[] = [];
      for (const p of raw) {
        if (typeof p.value === 'number' && Number.isFinite(p.value)) {
          ts.push(p.ts);
          values.push(p.value);
        }
      }
      return { ts, values, resolution: 'raw' };
    }
    const intervalMs = Math.max(1, Math.ceil((toMs - fromMs + 1) / AGGREGATE_TARGET_WINDOWS / 1000) * 1000);
    const rows = await this.telemetry.queryAggregate({ tenantId, deviceId, keys: [key], fromMs, toMs, intervalMs, aggregates: ['avg'] });
    const ts: number[] = [];
    const values: number[] = [];
    for (const r of rows) {
      if (typeof r.avg === 'number' && Number.isFinite(r.avg)) {
        ts.push(r.ts + intervalMs / 2);
        values.push(r.avg);
      }
    }
    return { ts, values, resolution: intervalMs };
  }

  async forecast(tenantId: string, deviceId: string, q: ForecastInput) {
    const key = requireKey(q.key);
    const horizonMs = parseDuration(q.horizon, 'horizon', DEFAULT_HORIZON_MS);
    const historyMs = parseDuration(q.history, 'history', DEFAULT_HISTORY_MS);
    const requestedStepMs = q.step === undefined || q.step === '' ? undefined : parseDuration(q.step, 'step', 0);
    if (horizonMs > MAX_HORIZON_MS) throw Errors.badRequest(`horizon must be at most ${MAX_HORIZON_MS / DAY_MS} days`, { horizon: q.horizon });
    if (historyMs > MAX_HISTORY_MS) throw Errors.badRequest(`history must be at most ${MAX_HISTORY_MS / DAY_MS} days`, { history: q.history });
    await this.requireDevice(tenantId, deviceId);

    const newest = await this.newestTs(tenantId, deviceId, key);
    const toMs = newest ?? Date.now();
    const fromMs = toMs - historyMs;
    const series = newest === null ? { ts: [], values: [], resolution: 'raw' as const } : await this.loadNumeric(tenantId, deviceId, key, fromMs, toMs);
    if (series.values.length < MIN_FORECAST_POINTS) {
      throw Errors.unprocessable(`forecast needs at least ${MIN_FORECAST_POINTS} numeric points of ${key} in the history window; found ${series.values.length}`, {
        key,
        from: fromMs,
        to: toMs,
        points: series.values.length,
      });
    }
    const dataStepMs = typeof series.resolution === 'number' ? series.resolution : inferStepMs(series.ts);
    const { stepMs, steps, source: stepSource } = chooseForecastStep(horizonMs, dataStepMs, MAX_FORECAST_STEPS, requestedStepMs);
    if (steps > MAX_FORECAST_STEPS) {
      // Only a requested step gets here: the automatic choice always fits.
      throw Errors.badRequest(`horizon spans ${steps} steps of ${stepMs} ms; at most ${MAX_FORECAST_STEPS} are allowed: use a coarser step, or leave step out to have one chosen`, {
        horizon: q.horizon,
        step: q.step,
        stepMs,
      });
    }
    const result = forecast({ ts: series.ts, values: series.values }, { steps }, { stepMs, levels: [0.8, 0.95] });
    const band = (intervals: { level: number; lower: number; upper: number }[], level: number) =>
      intervals.find((i) => Math.abs(i.level - level) < 1e-9) ?? { lower: NaN, upper: NaN };
    return {
      deviceId,
      key,
      history: { from: fromMs, to: toMs, points: series.values.length, resolution: series.resolution },
      model: {
        kind: result.model,
        periodSteps: result.periodSteps,
        periodMs: result.periodSteps === null ? null : result.periodSteps * result.stepMs,
        params: result.params,
        residualSigma: finiteOrNull(result.residualSigma),
      },
      stepMs: result.stepMs,
      stepSource,
      points: result.points.map((p) => {
        const b80 = band(p.intervals, 0.8);
        const b95 = band(p.intervals, 0.95);
        return {
          ts: p.ts,
          value: finiteOrNull(p.value),
          lower80: finiteOrNull(b80.lower),
          upper80: finiteOrNull(b80.upper),
          lower95: finiteOrNull(b95.lower),
          upper95: finiteOrNull(b95.upper),
        };
      }),
    };
  }

  async trends(tenantId: string, deviceId: string, q: TrendsInput) {
    const toMs = parseTime(q.to, 'to', Date.now());
    const fromMs = parseTime(q.from, 'from', toMs - DEFAULT_TRENDS_SPAN_MS);
    if (fromMs > toMs) throw Errors.badRequest('from must not be after to', { from: fromMs, to: toMs });
    const requested = parseKeys(q.keys);
    if (requested && requested.length > MAX_TREND_KEYS) throw Errors.badRequest(`keys may list at most ${MAX_TREND_KEYS} keys per request`, { keys: requested.length });
    await this.requireDevice(tenantId, deviceId);
    const keys = requested ?? (await this.telemetry.keys(tenantId, deviceId)).slice(0, MAX_TREND_KEYS);

    const trends: Record<string, {
      n: number;
      direction: string;
      slopePerHour: number | null;
      slopePerDay: number | null;
      slopeLowerPerHour: number | null;
      slopeUpperPerHour: number | null;
      pValue: number | null;
      kendallTau: number | null;
      resolution: 'raw' | number;
      changePoints: { ts: number; before: number | null; after: number | null }[];
    }> = Object.create(null); // keyed by telemetry key: a key is data, never a property of Object.prototype
    const skipped: { key: string; reason: string }[] = [];
    for (const key of keys) {
      const series = await this.loadNumeric(tenantId, deviceId, key, fromMs, toMs);
      if (series.values.length < MIN_TREND_POINTS) {
        skipped.push({ key, reason: `fewer than ${MIN_TREND_POINTS} numeric points (${series.values.length})` });
        continue;
      }
      const t = detectTrend({ ts: series.ts, values: series.values });
      trends[key] = {
        n: t.n,
        direction: t.direction,
        slopePerHour: finiteOrNull(t.slopePerHour),
        slopePerDay: finiteOrNull(t.slopePerDay),
        slopeLowerPerHour: finiteOrNull(t.slopeLowerPerHour),
        slopeUpperPerHour: finiteOrNull(t.slopeUpperPerHour),
        pValue: finiteOrNull(t.pValue),
        kendallTau: finiteOrNull(t.kendallTau),
        resolution: series.resolution,
        changePoints: t.changePoints.map((c) => ({ ts: c.ts, before: finiteOrNull(c.before), after: finiteOrNull(c.after) })),
      };
    }
    if (requested && Object.keys(trends).length === 0) {
      throw Errors.unprocessable(`no requested key has ${MIN_TREND_POINTS} or more numeric points between from and to`, { from: fromMs, to: toMs, skipped });
    }
    return { deviceId, from: fromMs, to: toMs, trends, skipped };
  }

  async timeToThreshold(tenantId: string, deviceId: string, q: TimeToThresholdInput) {
    const key = requireKey(q.key);
    const threshold = typeof q.threshold === 'string' && q.threshold.trim() !== '' ? Number(q.threshold) : q.threshold;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw Errors.badRequest('threshold must be a finite number', { threshold: q.threshold });
    const windowMs = parseDuration(q.window, 'window', DEFAULT_TTT_WINDOW_MS);
    if (windowMs > MAX_HISTORY_MS) throw Errors.badRequest(`window must be at most ${MAX_HISTORY_MS / DAY_MS} days`, { window: q.window });
    if (q.failWhen !== undefined && q.failWhen !== 'above' && q.failWhen !== 'below') {
      throw Errors.badRequest('failWhen must be above or below', { failWhen: q.failWhen });
    }
    await this.requireDevice(tenantId, deviceId);

    const newest = await this.newestTs(tenantId, deviceId, key);
    const toMs = newest ?? Date.now();
    const fromMs = toMs - windowMs;
    const series = newest === null ? { ts: [], values: [], resolution: 'raw' as const } : await this.loadNumeric(tenantId, deviceId, key, fromMs, toMs);
    if (series.values.length < MIN_THRESHOLD_POINTS) {
      throw Errors.unprocessable(`time-to-threshold needs at least ${MIN_THRESHOLD_POINTS} numeric points of ${key} in the window; found ${series.values.length}`, {
        key,
        from: fromMs,
        to: toMs,
        points: series.values.length,
      });
    }
    const estimate = estimateTimeToThreshold({ ts: series.ts, values: series.values }, { threshold, windowMs, failWhen: q.failWhen });
    // The core measures from the newest sample it saw; absolute times do not depend on that choice.
    const asOf = series.ts[series.ts.length - 1]!;
    const at = (ms: number | null) => (ms === null || !Number.isFinite(ms) ? null : Math.round(asOf + ms));
    return {
      deviceId,
      key,
      threshold,
      failWhen: q.failWhen ?? (estimate.slopePerHour >= 0 ? 'above' : 'below'),
      windowMs,
      asOf,
      resolution: series.resolution,
      status: estimate.status,
      timeToThresholdMs: estimate.timeToThresholdMs === null ? null : finiteOrNull(estimate.timeToThresholdMs),
      earliestMs: estimate.earliestMs === null ? null : finiteOrNull(estimate.earliestMs),
      latestMs: estimate.latestMs === null ? null : finiteOrNull(estimate.latestMs),
      expectedAt: at(estimate.timeToThresholdMs),
      earliestAt: at(estimate.earliestMs),
      latestAt: at(estimate.latestMs),
      slopePerHour: finiteOrNull(estimate.slopePerHour),
      slopeStdErrPerHour: finiteOrNull(estimate.slopeStdErrPerHour),
      currentValue: finiteOrNull(estimate.currentValue),
      samplesUsed: estimate.samplesUsed,
    };
  }
}
