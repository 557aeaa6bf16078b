// Seasonal forecaster-residual detector: additive Holt-Winters without trend, whose seasonal
// profile is indexed by the time of day (or of week), not by a point counter, so skipped points
// and irregular sampling do not shift the season. The period is found automatically from a
// warm-up buffer (see period.ts); until one is found, or if none exists, it behaves like the
// robust detector. The residual (observed − forecast) goes through the shared surprise score.
// State: O(period bins) per key, plus a bounded warm-up buffer that is dropped once decided.
import { scored, unscored, type RawResult } from './types.js';
import { newTracker, sigmaOf, trackRobust, type RobustTracker, type TrackerConfig } from './robust-stats.js';
import { newSurprise, stepSurprise, type SurpriseConfig, type SurpriseState } from './surprise.js';
import { extremeBand, gateSurprise, judgingShapes, newExtreme, newShape, stepShape, type ShapeConfig, type ShapeState } from './shape-novelty.js';
import { DAY_MS, MIN_AUTOCORRELATION, MIN_CYCLES, WEEK_MS, WEEKLY_MARGIN, evaluatePeriods, freePeriod, medianGapMs } from './period.js';

export interface SeasonalConfig {
  tracker: TrackerConfig;
  /** EWMA weight of each seasonal bin, per visit of that bin. */
  seasonAlpha: number;
  warmupPoints: number;
  /** Cap on the warm-up buffer (points): bounds memory for series without any cycle. */
  maxBufferPoints: number;
  /** Cap on bins per period: a week at 5-minute sampling is 2016 bins. */
  maxBins: number;
  surprise: SurpriseConfig;
  /** Shape novelty of the raw series, combined with the residual's surprise (shape-novelty.ts). */
  shape: ShapeConfig;
  /**
   * Also search for a cycle of any length (a machine's own duty cycle) while no calendar cycle
   * fits the buffer. Off by default: on NAB and the simulated fleet it found chance cycles more
   * often than real ones (see docs/analytics.md).
   */
  freePeriodSearch?: boolean;
}

interface KeyState {
  /** Warm-up buffer, null once the period decision is final. */
  buffer: { ts: number[]; x: number[] } | null;
  periodMs: number;
  season: number[];
  /** Level of the deseasonalised series; its deviation scale is the residual scale. */
  tracker: RobustTracker;
  surprise: SurpriseState;
  /** Present while shape novelty is enabled (created on first use, so older snapshots resume). */
  shape?: ShapeState;
  /**
   * Shapes of the residual (value − seasonal profile), kept once a period is adopted: the
   * familiarity gate's judge from the time it has learnt them (see shapeScore).
   */
  residualShape?: ShapeState;
  n: number;
}

export interface SeasonalState {
  kind: 'seasonal';
  keys: string[];
  perKey: KeyState[];
}

export function initSeasonal(keys: string[], cfg: SeasonalConfig): SeasonalState {
  return {
    kind: 'seasonal',
    keys,
    perKey: keys.map(() => ({ buffer: { ts: [], x: [] }, periodMs: 0, season: [], tracker: newTracker(), surprise: newSurprise(cfg.surprise), n: 0 })),
  };
}

function binOf(ks: KeyState, ts: number): number {
  const m = ks.season.length;
  const phase = ((ts % ks.periodMs) + ks.periodMs) % ks.periodMs;
  return Math.min(m - 1, Math.floor((phase / ks.periodMs) * m));
}

/** Installs a period: seasonal profile from the buffer, then replays it to settle the level. */
function adoptPeriod(ks: KeyState, cfg: SeasonalConfig, periodMs: number, gapMs: number): void {
  const buf = ks.buffer!;
  const bins = Math.max(2, Math.min(cfg.maxBins, Math.round(periodMs / gapMs)));
  let mean = 0;
  for (const v of buf.x) mean += v;
  mean /= buf.x.length;
  const sum = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  ks.periodMs = periodMs;
  ks.season = sum; // binOf needs the length
  for (let i = 0; i < buf.x.length; i++) {
    const b = binOf(ks, buf.ts[i]);
    sum[b] += buf.x[i] - mean;
    count[b]++;
  }
  ks.season = sum.map((s, b) => (count[b] ? s / count[b] : 0));
  ks.tracker = newTracker();
  // The residual means something else under a new profile: its shapes are learnt again.
  delete ks.residualShape;
  for (let i = 0; i < buf.x.length; i++) trackRobust(ks.tracker, cfg.tracker, buf.x[i] - ks.season[binOf(ks, buf.ts[i])]);
}

/**
 * Running sum and count of a warm-up buffer's positive gaps, over its first `upTo` timestamps.
 * Kept beside the state, not in it (snapshots stay as they were): after a restore the buffer is a
 * new object and its sums are rebuilt once.
 */
interface GapSums {
  upTo: number;
  sum: number;
  count: number;
}
const gapSums = new WeakMap<object, GapSums>();

/**
 * True when no calendar period can fit the buffer yet, told without the median gap: at least half
 * the positive gaps are at or above their median, so the median is at most twice their mean, and
 * the day's lag (the shorter one) at least DAY_MS over that bound. A series sampled every few
 * seconds never gets near 2.5 days in 4096 points: the O(buffer) median every 64 points found
 * nothing but cost a tenth of the live path's CPU. The margin covers rounding of the sum.
 */
function noPeriodFits(buf: { ts: number[] }): boolean {
  const ts = buf.ts;
  let g = gapSums.get(buf);
  if (!g) gapSums.set(buf, (g = { upTo: 1, sum: 0, count: 0 }));
  for (let i = g.upTo; i < ts.length; i++) {
    if (ts[i] > ts[i - 1]) {
      g.sum += ts[i] - ts[i - 1];
      g.count++;
    }
  }
  if (ts.length > g.upTo) g.upTo = ts.length;
  if (g.count === 0) return true; // no positive gap: the median gap is 0 and nothing is evaluated
  const gapBound = ((2 * g.sum) / g.count) * (1 + 1e-9);
  return ts.length < MIN_CYCLES * Math.round(DAY_MS / gapBound);
}

function considerPeriods(ks: KeyState, cfg: SeasonalConfig): void {
  const buf = ks.buffer!;
  const freeSearchNow = cfg.freePeriodSearch && ks.periodMs === 0 && isPowerOfTwo(buf.x.length) && buf.x.length >= FREE_SEARCH_FROM_POINTS;
  if (!freeSearchNow && noPeriodFits(buf)) {
    // What the full check below does when no candidate fits: only the size cap applies.
    if (buf.x.length >= cfg.maxBufferPoints) ks.buffer = null;
    return;
  }
  const gapMs = medianGapMs(buf.ts);
  const candidates = evaluatePeriods(buf.x, gapMs);
  const day = candidates.find((c) => c.periodMs === DAY_MS);
  const week = candidates.find((c) => c.periodMs === WEEK_MS);
  const weekLag = gapMs > 0 ? WEEK_MS / gapMs : Infinity;
  const weekPossible = weekLag * MIN_CYCLES <= cfg.maxBufferPoints;
  if (week) {
    const best = week.acf >= MIN_AUTOCORRELATION && week.acf >= (day?.acf ?? -1) + WEEKLY_MARGIN ? week : day && day.acf >= MIN_AUTOCORRELATION ? day : null;
    if (best && best.periodMs !== ks.periodMs) adoptPeriod(ks, cfg, best.periodMs, gapMs);
    ks.buffer = null;
    return;
  }
  if (day && day.acf >= MIN_AUTOCORRELATION && ks.periodMs !== DAY_MS) adoptPeriod(ks, cfg, DAY_MS, gapMs);
  else if (cfg.freePeriodSearch && !day && ks.periodMs === 0 && isPowerOfTwo(buf.x.length) && buf.x.length >= FREE_SEARCH_FROM_POINTS) {
    // No calendar cycle fits the buffer yet: look for a cycle of any length (a machine's own
    // duty cycle, a batch process). Rarely: the search is quadratic in the buffer.
    const free = freePeriod(buf.x, gapMs);
    if (free) adoptPeriod(ks, cfg, free.periodMs, gapMs);
  }
  if (!weekPossible && day) ks.buffer = null;
  else if (buf.x.length >= cfg.maxBufferPoints) ks.buffer = null;
}

/**
 * Shape novelty for a seasonal key: novelty of the raw series' shape, and the familiarity gate on
 * the shape of the residual once a daily or weekly profile is in use. The raw gate alone is blind
 * to time of day: a day whose jump does not come (NAB's art_daily_nojump) stays flat and low,
 * the most familiar shape of all (every night looks like it), so the seasonal model's surprise at
 * the missing jump was held back. What the profile does not explain is what must look familiar.
 * Until the residual's shapes are learnt (2 × learnWindows windows after the period is adopted)
 * the raw gate stands in. `residual` is NaN while no period is in use.
 */
function shapeScore(ks: KeyState, cfg: ShapeConfig, x: number, residual: number, surprise: number): number {
  const raw = (ks.shape ??= newShape(cfg));
  const extreme = newExtreme(raw, cfg, x);
  const novelty = stepShape(raw, cfg, x);
  let judge = raw;
  if (Number.isFinite(residual)) {
    const resid = (ks.residualShape ??= newShape(cfg));
    stepShape(resid, cfg, residual);
    if (judgingShapes(resid)) judge = resid;
  }
  const score = gateSurprise(judge, cfg, surprise);
  return extreme ? 1 : novelty > score ? novelty : score;
}

const CHECK_EVERY_POINTS = 64;
/** The search for a cycle of any length runs at buffer sizes 512, 1024, 2048 and 4096. */
const FREE_SEARCH_FROM_POINTS = 512;
const isPowerOfTwo = (n: number) => (n & (n - 1)) === 0;

export function stepSeasonal(state: SeasonalState, cfg: SeasonalConfig, ts: number, values: ArrayLike<number>, out: RawResult): RawResult {
  let best = -1;
  let bestScore = -1;
  let lo = 0;
  let hi = 0;
  let warmingUp = false;
  for (let k = 0; k < state.perKey.length; k++) {
    const x = values[k];
    if (!Number.isFinite(x)) continue;
    const ks = state.perKey[k];
    const bin = ks.periodMs ? binOf(ks, ts) : -1;
    const s = bin >= 0 ? ks.season[bin] : 0;
    const forecast = ks.tracker.level + s;
    const sigma = sigmaOf(ks.tracker);
    const z = trackRobust(ks.tracker, cfg.tracker, x - s);
    if (bin >= 0) {
      const dev = x - ks.tracker.level - s;
      const limit = cfg.tracker.clipZ * sigma;
      ks.season[bin] += cfg.seasonAlpha * (dev > limit ? limit : dev < -limit ? -limit : dev);
    }
    let score = stepSurprise(ks.surprise, cfg.surprise, Math.abs(z));
    let expectedLo = forecast - 3 * sigma;
    let expectedHi = forecast + 3 * sigma;
    if (cfg.shape.enabled) {
      const band = ks.shape ? extremeBand(ks.shape, cfg.shape) : null;
      score = shapeScore(ks, cfg.shape, x, bin >= 0 ? x - s : NaN, score);
      if (band && (x < band[0] || x > band[1])) [expectedLo, expectedHi] = band;
    }
    ks.n++;
    if (ks.buffer) {
      ks.buffer.ts.push(ts);
      ks.buffer.x.push(x);
      if (ks.buffer.x.length % CHECK_EVERY_POINTS === 0) considerPeriods(ks, cfg);
    }
    if (ks.n <= cfg.warmupPoints) warmingUp = true;
    if (score > bestScore) {
      best = k;
      bestScore = score;
      lo = expectedLo;
      hi = expectedHi;
    }
  }
  if (best < 0 || warmingUp) return unscored(out, true);
  return scored(out, bestScore, best, lo, hi, values[best]);
}

/** The detected period of each key in ms (0: none found, or not decided yet). */
export function seasonalPeriods(state: SeasonalState): Record<string, number> {
  return Object.fromEntries(state.keys.map((k, i) => [k, state.perKey[i].periodMs]));
}
