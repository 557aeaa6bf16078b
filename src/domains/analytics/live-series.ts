// A live series and its model, as the live detection service and its model memory see them.
// The Series record is small bookkeeping that stays in memory for every known series; the model
// (detector state, kilobytes to tens of kilobytes) may be spilled to storage and loaded back.
import type { Detector, DetectionResult, FeedbackState } from './detectors/index.js';
import { restoreDetector } from './detectors/index.js';
import type { Residency } from './model-memory.js';
import { RegimeAwareDetector } from './detectors/regimes.js';
import { explainedKeys } from './detectors/relational.js';

/** What the live path needs of a series' model, univariate or multivariate. */
export interface SeriesModel {
  readonly keys: readonly string[];
  readonly fitPoints: number;
  /**
   * A number for a one-key model, a record or a row in key order for a multivariate one. The
   * result carries its explanation when the point is anomalous (isAnomaly, so on every alarm); on
   * ordinary points it may not (the live path reads it nowhere else): multi-key models skip it
   * there (updateForAlarms), the per-key wrapper builds it anyway (its direct calls measured faster).
   */
  update(ts: number, values: SeriesValues): DetectionResult;
  snapshot(): unknown;
  /** The model kind as shown by GET /api/v1/models. */
  describe(): string;
  /** Estimated heap bytes of the model's state (see model-size.ts). */
  estimatedBytes(): number;
  /** Operator feedback: an alarm with this score was dismissed as false. */
  dismissed(score: number): void;
  readonly feedback: FeedbackState | undefined;
  setFeedback(feedback: FeedbackState | undefined): void;
  sensitivity(): { threshold: number; dismissals: number };
  /** A relational model's keys that the other keys explain (see device-relations.ts); empty before its fit. */
  explainedKeys?(): string[];
}

/**
 * A point of a series, as the model takes it: a number for a one-key model; for a multivariate
 * one a record by key, or a row of its values in the model's key order (NaN where missing).
 */
export type SeriesValues = number | Record<string, number> | number[];

export function isRow(values: SeriesValues): values is number[] {
  return Array.isArray(values);
}

export interface Series {
  tenantId: string;
  deviceId: string;
  /** The series name: the key, or the joined keys of a multivariate model. */
  name: string;
  keys: string[];
  /** The model; null while it is spilled to storage (see model-memory.ts). */
  detector: SeriesModel | null;
  /** The model's kind when it was last resident, for listing a spilled model. */
  kind: string;
  version: number;
  trainedFrom: number | null;
  trainedTo: number | null;
  points: number;
  fitPoints: number;
  /** The model changed since it was last saved. */
  dirty: boolean;
  /** A state of this model (this version) is in storage. */
  stored: boolean;
  /** Points that arrived while the model was being loaded back; null when it is not loading. */
  pending: { ts: number; values: SeriesValues }[] | null;
  /** Changes other than points (operator feedback) waiting for the model to be loaded back. */
  afterLoad?: ((model: SeriesModel) => void)[];
  /** The model memory's bookkeeping while the model is resident (model-memory.ts). */
  residency?: Residency | null;
  /** A multivariate series' reusable sample row and its keys' positions in it (see observeRelationsAt). */
  row?: number[];
  keyIndex?: ReadonlyMap<string, number>;
  /** A relational model's explained keys, once fitted: their per-key deviation alarms are its to raise. */
  explained?: ReadonlySet<string>;
  /** The model's sensitivity when it was last resident, for listing a spilled model. */
  sensitivity?: { threshold: number; dismissals: number };
}

/**
 * A series record with every field present, always in this order: every series then has one
 * object shape, so the per-point code that reads them stays monomorphic (optional fields added
 * later, in varying order, made it megamorphic).
 */
export function seriesRecord(
  o: Pick<Series, 'tenantId' | 'deviceId' | 'name' | 'keys' | 'detector' | 'kind' | 'version' | 'trainedFrom' | 'trainedTo' | 'points' | 'fitPoints' | 'stored'>,
): Series {
  return {
    tenantId: o.tenantId,
    deviceId: o.deviceId,
    name: o.name,
    keys: o.keys,
    detector: o.detector,
    kind: o.kind,
    version: o.version,
    trainedFrom: o.trainedFrom,
    trainedTo: o.trainedTo,
    points: o.points,
    fitPoints: o.fitPoints,
    dirty: false,
    stored: o.stored,
    pending: null,
    afterLoad: undefined,
    residency: null,
    row: undefined,
    keyIndex: undefined,
    explained: undefined,
    sensitivity: undefined,
  };
}

/** Per-key model: learns whether the series runs in two operating regimes (see regimes.ts). */
export function univariateModel(detector: RegimeAwareDetector): SeriesModel {
  return {
    keys: detector.keys,
    fitPoints: detector.fitPoints,
    update: (ts, value) => detector.update(ts, value as number),
    snapshot: () => detector.snapshot(),
    describe: () => detector.describe(),
    estimatedBytes: () => detector.estimatedBytes(),
    dismissed: (score) => detector.dismissed(score),
    get feedback() {
      return detector.feedback;
    },
    setFeedback: (f) => detector.setFeedback(f),
    sensitivity: () => detector.sensitivity(),
  };
}

/** A detector used directly: multivariate models, and per-key state saved before regimes existed. */
export function plainModel(detector: Detector): SeriesModel {
  const row = [0];
  return {
    keys: detector.keys,
    fitPoints: detector.snapshot().fitPoints,
    update: (ts, values) => {
      if (typeof values !== 'number') return detector.updateForAlarms(ts, values);
      row[0] = values;
      return detector.updateForAlarms(ts, row);
    },
    snapshot: () => detector.snapshot(),
    describe: () => (detector.keys.length > 1 ? (detector.kind === 'relational' ? 'relational' : 'multivariate') : detector.kind === 'auto' ? 'seasonal' : detector.kind),
    estimatedBytes: () => detector.estimatedBytes(),
    dismissed: (score) => detector.dismissed(score),
    get feedback() {
      return detector.snapshot().feedback;
    },
    setFeedback: (f) => detector.setFeedback(f),
    sensitivity: () => detector.sensitivity(),
    explainedKeys: () => {
      const core = detector.snapshot().core;
      return core.kind === 'relational' ? explainedKeys(core) : [];
    },
  };
}

export function restoreModel(state: unknown): SeriesModel {
  if ((state as { kind?: string })?.kind === 'regimes') return univariateModel(RegimeAwareDetector.restore(state));
  return plainModel(restoreDetector(state));
}
