// Streaming anomaly detectors: the public surface for the live ingest path and `vigil detect`.
//
//   const d = createDetector('auto', ['temperature'], { fitPoints: 400 });
//   const r = d.update(Date.now(), { temperature: 21.5 });   // or d.update(ts, [21.5])
//   r.score        // [0,1]
//   r.isAnomaly    // per-point label (threshold + persistence)
//   r.alarm        // true on the point that opens a new incident (then quiet for a while)
//   r.explanation  // { key, expected: [lo, hi], observed }
//   const saved = JSON.stringify(d.snapshot());               // persist per series
//   const again = restoreDetector(JSON.parse(saved));         // resume exactly where it was
//
// Kinds: 'robust' (Huber-EWMA level/scale, O(1) per key), 'seasonal' (Holt-Winters residual,
// daily/weekly period found automatically, O(period) per key), 'multivariate' (Mahalanobis over
// the keys, trained on the first `fitPoints` points, O(k²)), 'auto' (seasonal for one key,
// multivariate for several). A univariate series is the one-key case. Timestamps are epoch ms;
// irregular sampling is fine (the seasonal profile is indexed by time of day/week), and a
// missing value (absent key, NaN, null) is skipped by univariate models and imputed by the
// multivariate one; a point with every value missing leaves the state unchanged.
// Every update is causal: its result depends only on the points given so far.
import { afterDismissal, effectivePolicy, newAlarmState, stepAlarm, type AlarmPolicy, type AlarmState, type FeedbackState } from './alarm-policy.js';
import { MULTIVARIATE, POLICIES, RELATIONAL, ROBUST, SEASONAL } from './config.js';
import { initRelational, stepRelational, type RelationalState } from './relational.js';
import { initMultivariate, stepMultivariate, type MultivariateState } from './multivariate.js';
import { initRobust, stepRobust, type RobustState } from './robust.js';
import { initSeasonal, stepSeasonal, type SeasonalState } from './seasonal.js';
import { newRawResult, type DetectionResult, type DetectorKind, type Explanation, type RawResult } from './types.js';
import { DETECTOR_OVERHEAD_BYTES, estimateHeapBytes } from '../model-size.js';
import type { SurpriseConfig } from './surprise.js';
import type { ShapeConfig } from './shape-novelty.js';
import type { TrackerConfig } from './robust-stats.js';
import type { MultivariateConfig } from './multivariate.js';

export type { DetectionResult, DetectorKind, Explanation } from './types.js';
export type { AlarmPolicy, FeedbackState } from './alarm-policy.js';
export { seasonalPeriods } from './seasonal.js';

/** Fewest points the multivariate model is trained on (and at least 5 per key). */
export const MIN_TRAINING_POINTS = 50;

/** Points a model learns from before it judges: the fit period, and for a multivariate model
 *  enough points for a covariance (at least MIN_TRAINING_POINTS, and 5 per key). */
export function learningPoints(fitPoints: number, keyCount: number): number {
  return keyCount > 1 ? Math.max(fitPoints, MIN_TRAINING_POINTS, 5 * keyCount) : fitPoints;
}

export const DETECTOR_KINDS: readonly DetectorKind[] = ['auto', 'robust', 'seasonal', 'multivariate', 'relational'];

export interface DetectorOptions {
  /** Training points before scoring starts (the multivariate model's clean period). Default 400. */
  fitPoints?: number;
  /** Overrides of the alarm policy; the defaults are the benchmarked ones. */
  policy?: Partial<AlarmPolicy>;
  /** Overrides of the cores' configuration, for cross-validation (`npm run eval:anomaly`). */
  tuning?: DetectorTuning;
}

/** Core settings a cross-validation may vary; absent fields keep the defaults in config.ts. */
export interface DetectorTuning {
  surprise?: Partial<SurpriseConfig>;
  tracker?: Partial<TrackerConfig>;
  multivariate?: Partial<MultivariateConfig>;
  relational?: { ridge?: number };
  seasonal?: { freePeriodSearch?: boolean };
  shape?: Partial<ShapeConfig>;
}

type CoreState = RobustState | SeasonalState | MultivariateState | RelationalState;

export interface DetectorSnapshot {
  version: 1;
  kind: DetectorKind;
  keys: string[];
  fitPoints: number;
  policy: AlarmPolicy;
  /** Points seen; points with every value missing are not counted. */
  points: number;
  core: CoreState;
  alarm: AlarmState;
  /** Present only when created with non-default core settings (older snapshots lack it). */
  tuning?: DetectorTuning;
  /** Operators' dismissals, present once an alarm of this series was dismissed as false. */
  feedback?: FeedbackState;
}

export interface Detector {
  readonly kind: DetectorKind;
  readonly keys: readonly string[];
  update(ts: number, values: Record<string, number | null | undefined> | ArrayLike<number>): DetectionResult;
  /**
   * Like update, but the result carries its explanation only when the point is anomalous (the
   * live path reads it nowhere else); lastExplanation() gives it for any point. Saves building
   * an explanation on every point.
   */
  updateForAlarms(ts: number, values: Record<string, number | null | undefined> | ArrayLike<number>): DetectionResult;
  /** The explanation update() gave (or would have given) the last point. */
  lastExplanation(): Explanation | undefined;
  snapshot(): DetectorSnapshot;
  /** Estimated heap bytes of the state, for the model memory budget (see ../model-size.ts). */
  estimatedBytes(): number;
  /** An alarm with this score was dismissed as false: lower the sensitivity (see afterDismissal). */
  dismissed(score: number): void;
  /** Replaces the feedback state (a retrained model keeps what operators taught the old one). */
  setFeedback(feedback: FeedbackState | undefined): void;
  /** The alarm policy in force and how many dismissals shaped it. */
  sensitivity(): { threshold: number; dismissals: number };
}

/** The concrete model 'auto' resolves to for these keys. */
export function resolveKind(kind: DetectorKind, keys: readonly string[]): Exclude<DetectorKind, 'auto'> {
  if (kind !== 'auto') return kind;
  return keys.length > 1 ? 'multivariate' : 'seasonal';
}

export function createDetector(kind: DetectorKind, keys: string[], options: DetectorOptions = {}): Detector {
  if (!DETECTOR_KINDS.includes(kind)) throw new Error(`unknown detector kind "${kind}"`);
  if (keys.length === 0) throw new Error('a detector needs at least one key');
  if (options.fitPoints !== undefined && !(Number.isInteger(options.fitPoints) && options.fitPoints >= 0))
    throw new Error(`fitPoints must be a non-negative integer, not ${options.fitPoints}`);
  const concrete = resolveKind(kind, keys);
  const cfg = tunedConfigs(options.tuning);
  const core: CoreState =
    concrete === 'robust'
      ? initRobust(keys, cfg.robust)
      : concrete === 'seasonal'
        ? initSeasonal(keys, cfg.seasonal)
        : concrete === 'relational'
          ? initRelational(keys, cfg.relational)
          : initMultivariate(keys);
  return fromSnapshot({
    version: 1,
    kind,
    keys: keys.slice(),
    fitPoints: options.fitPoints ?? MULTIVARIATE.fitPoints,
    policy: { ...POLICIES[concrete], ...options.policy },
    points: 0,
    core,
    alarm: newAlarmState(),
    ...(options.tuning ? { tuning: structuredClone(options.tuning) } : {}),
  });
}

function tunedConfigs(t: DetectorTuning | undefined) {
  if (!t) return { robust: ROBUST, seasonal: SEASONAL, multivariate: MULTIVARIATE, relational: RELATIONAL };
  const surprise = { ...ROBUST.surprise, ...t.surprise };
  const tracker = { ...ROBUST.tracker, ...t.tracker };
  const shape = { ...ROBUST.shape, ...t.shape };
  return {
    robust: { ...ROBUST, surprise, tracker, shape },
    seasonal: { ...SEASONAL, ...t.seasonal, surprise, tracker, shape },
    multivariate: { ...MULTIVARIATE, ...t.multivariate },
    relational: { ...RELATIONAL, ...t.relational, surprise: { ...RELATIONAL.surprise, ...t.surprise }, tracker: { ...RELATIONAL.tracker, ...t.tracker } },
  };
}

/** Rebuilds a detector from `snapshot()` output (after JSON round-trip). */
export function restoreDetector(snapshot: unknown): Detector {
  const s = snapshot as DetectorSnapshot;
  if (!s || s.version !== 1 || !s.core || !Array.isArray(s.keys)) throw new Error('not a detector snapshot (version 1)');
  return fromSnapshot(structuredClone(s));
}

function fromSnapshot(s: DetectorSnapshot): Detector {
  const k = s.keys.length;
  const row = new Array<number>(k);
  const core = s.core;
  // A covariance needs data: however short the requested fit period, the multivariate model
  // trains on at least MIN_TRAINING_POINTS points (it reports warming-up until then).
  const cfg = tunedConfigs(s.tuning);
  const multivariateCfg = { ...cfg.multivariate, fitPoints: Math.max(learningPoints(s.fitPoints, k), MIN_TRAINING_POINTS) };
  const robustCfg = cfg.robust;
  const seasonalCfg = cfg.seasonal;
  const relationalCfg = { ...cfg.relational, fitPoints: Math.max(learningPoints(s.fitPoints, k), MIN_TRAINING_POINTS) };
  // The core writes every point's raw result here; explanations are built from it on demand.
  const raw = newRawResult();
  const stepCore = (ts: number, v: ArrayLike<number>): RawResult =>
    core.kind === 'robust'
      ? stepRobust(core, robustCfg, v, raw)
      : core.kind === 'seasonal'
        ? stepSeasonal(core, seasonalCfg, ts, v, raw)
        : core.kind === 'relational'
          ? stepRelational(core, relationalCfg, v, ts, raw)
          : stepMultivariate(core, multivariateCfg, v, raw);
  let policy = effectivePolicy(s.policy, s.feedback);
  /** The last point's result was scored and explained (its numbers are in `raw`). */
  let explained = false;
  const explain = (): Explanation => ({ key: s.keys[raw.key], expected: [raw.lo, raw.hi], observed: raw.observed });
  const step = (ts: number, values: Record<string, number | null | undefined> | ArrayLike<number>, explainAlways: boolean): DetectionResult => {
    explained = false;
    let present = 0;
    if (isArrayLike(values)) {
      for (let j = 0; j < k; j++) present += Number.isFinite((row[j] = toNumber(values[j]))) ? 1 : 0;
    } else {
      for (let j = 0; j < k; j++) present += Number.isFinite((row[j] = toNumber(values[s.keys[j]]))) ? 1 : 0;
    }
    if (present === 0) return { score: 0, isAnomaly: s.alarm.active, alarm: false, warmingUp: s.points < s.fitPoints };
    s.points++;
    stepCore(ts, row);
    // During the fit period nothing is judged, even by models that could already score.
    if (raw.warmingUp || s.points <= s.fitPoints) return { score: 0, isAnomaly: false, alarm: false, warmingUp: true };
    const { isAnomaly, alarm } = stepAlarm(s.alarm, policy, raw.score);
    explained = raw.key >= 0;
    return { score: raw.score, isAnomaly, alarm, warmingUp: false, explanation: explained && (explainAlways || isAnomaly) ? explain() : undefined };
  };
  return {
    kind: s.kind,
    keys: s.keys,
    dismissed(score) {
      s.feedback = afterDismissal(s.policy, score, s.feedback);
      policy = effectivePolicy(s.policy, s.feedback);
    },
    setFeedback(feedback) {
      if (feedback) s.feedback = structuredClone(feedback);
      else delete s.feedback;
      policy = effectivePolicy(s.policy, s.feedback);
    },
    sensitivity: () => ({ threshold: policy.threshold, dismissals: s.feedback?.dismissals ?? 0 }),
    update: (ts, values) => step(ts, values, true),
    updateForAlarms: (ts, values) => step(ts, values, false),
    lastExplanation: () => (explained ? explain() : undefined),
    snapshot: () => structuredClone(s),
    estimatedBytes: () => DETECTOR_OVERHEAD_BYTES + estimateHeapBytes(s),
  };
}

function isArrayLike(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function toNumber(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}
