/**
 * Learned remaining-useful-life model for a device profile, trained on run-to-failure histories.
 *
 * Target: piecewise-linear RUL, min(steps to failure, cap) — early in life degradation is not
 * observable, so asking a model to tell RUL 300 from 200 only teaches it noise (Heimes 2008).
 * Regressor: gradient-boosted trees on causal window features (features.ts).
 * Uncertainty: residual spread measured on units held out from a calibration fit, by RUL band.
 * The state is plain JSON with a version so the server can store and reload it.
 */
import { normalQuantile, seededRandom } from '../math/stats.js';
import { featureNames, selectChannels, unitFeatureMatrix, DEFAULT_WINDOWS, type ChannelSelectionOptions, type FeatureSpec, type UnitHistory } from './features.js';
import { predictEnsemble, trainEnsemble, type BoostedEnsemble, type BoostingOptions } from './gradient-boosting.js';
import { healthIndexFromRul } from './health-index.js';

export const RUL_MODEL_KIND = 'vigil.rul.gbt';
export const RUL_MODEL_VERSION = 1;
/** The cap most C-MAPSS papers use; comparable numbers need the same cap. */
export const DEFAULT_RUL_CAP_STEPS = 125;

export interface RulTrainingOptions {
  rulCapSteps?: number;
  channelNames?: string[];
  selection?: ChannelSelectionOptions;
  boosting?: BoostingOptions;
  /** Share of units held out to measure prediction spread (0 disables; intervals then use training residuals). Default 0.2. */
  calibrationFraction?: number;
  /** Time span the histories cover, recorded in the state for provenance. */
  trainingWindow?: { fromTs?: number; toTs?: number };
  /** Injected clock for reproducible state (ISO string); default now. */
  trainedAt?: string;
}

export interface ResidualBand {
  /** Band applies to predictions ≤ this many steps (last band: Infinity is stored as null in JSON). */
  upToRulSteps: number | null;
  /** Root-mean-square error of held-out predictions in the band. */
  rmseSteps: number;
  /** Mean of (predicted − true); > 0 means the model is late (optimistic). */
  biasSteps: number;
}

export interface RulModelState {
  kind: typeof RUL_MODEL_KIND;
  version: number;
  trainedAt: string;
  trainingWindow: { units: number; rows: number; fromTs?: number; toTs?: number };
  rulCapSteps: number;
  features: FeatureSpec;
  featureNames: string[];
  ensemble: BoostedEnsemble;
  residualBands: ResidualBand[];
  trainingMs: number;
}

export interface RulEstimate {
  /** Point estimate of remaining steps (cycles, hours, ... — the unit of one history row). */
  rulSteps: number;
  /** One-sided lower bound at the requested confidence (pessimistic: failure may come this soon). */
  rulLowerSteps: number;
  rulUpperSteps: number;
  /** 1 = healthy (RUL at or above the cap), 0 = at predicted end of life. */
  healthIndex: number;
}

/** Band edges in steps: errors are smaller near failure, where the degradation is visible. */
const BAND_EDGES = [25, 50, 75, 100];

export function cappedRulTargets(rows: number, capSteps: number): number[] {
  return Array.from({ length: rows }, (_, t) => Math.min(capSteps, rows - 1 - t));
}

function fitCore(units: UnitHistory[], capSteps: number, options: RulTrainingOptions) {
  const targets = units.map((u) => cappedRulTargets(u.rows.length, capSteps));
  const names = options.channelNames ?? (units[0]?.rows[0] ?? []).map((_, i) => `ch${i}`);
  const spec = selectChannels(units, targets, names, options.selection, DEFAULT_WINDOWS);
  const X: number[][] = [];
  const y: number[] = [];
  units.forEach((u, k) => {
    const F = unitFeatureMatrix(u.rows, spec);
    for (let t = 0; t < F.length; t++) {
      X.push(F[t]);
      y.push(targets[k][t]);
    }
  });
  const ensemble = trainEnsemble(X, y, options.boosting);
  return { spec, ensemble, rows: X.length };
}

export function trainRulModel(units: UnitHistory[], options: RulTrainingOptions = {}): RulModelState {
  const started = performance.now();
  if (units.length === 0) throw new Error('trainRulModel needs at least one run-to-failure history');
  const capSteps = options.rulCapSteps ?? DEFAULT_RUL_CAP_STEPS;
  const residualBands = calibrate(units, capSteps, options);
  const { spec, ensemble, rows } = fitCore(units, capSteps, options);
  return {
    kind: RUL_MODEL_KIND,
    version: RUL_MODEL_VERSION,
    trainedAt: options.trainedAt ?? new Date().toISOString(),
    trainingWindow: { units: units.length, rows, ...options.trainingWindow },
    rulCapSteps: capSteps,
    features: spec,
    featureNames: featureNames(spec),
    ensemble,
    residualBands,
    trainingMs: Math.round(performance.now() - started),
  };
}

/**
 * Fits on most units and scores every step of the held-out ones, so the bands describe errors
 * on unseen units (training residuals of boosted trees are far too optimistic).
 */
function calibrate(units: UnitHistory[], capSteps: number, options: RulTrainingOptions): ResidualBand[] {
  const fraction = options.calibrationFraction ?? 0.2;
  const held = Math.floor(units.length * fraction);
  const edges = [...BAND_EDGES, Infinity];
  const sq = edges.map(() => 0);
  const bias = edges.map(() => 0);
  const count = edges.map(() => 0);
  if (held >= 1 && units.length - held >= 2) {
    const random = seededRandom(12345);
    const order = units.map((_, i) => i).sort(() => random() - 0.5);
    const heldSet = new Set(order.slice(0, held));
    const fit = fitCore(units.filter((_, i) => !heldSet.has(i)), capSteps, options);
    for (const i of heldSet) {
      const F = unitFeatureMatrix(units[i].rows, fit.spec);
      const truth = cappedRulTargets(units[i].rows.length, capSteps);
      for (let t = 0; t < F.length; t++) {
        const pred = Math.min(capSteps, Math.max(0, predictEnsemble(fit.ensemble, F[t])));
        const b = edges.findIndex((e) => pred <= e);
        sq[b] += (pred - truth[t]) ** 2;
        bias[b] += pred - truth[t];
        count[b]++;
      }
    }
  }
  // Empty bands borrow a conservative default of 20% of the cap.
  return edges.map((e, b) => ({
    upToRulSteps: Number.isFinite(e) ? e : null,
    rmseSteps: count[b] ? Math.sqrt(sq[b] / count[b]) : 0.2 * capSteps,
    biasSteps: count[b] ? bias[b] / count[b] : 0,
  }));
}

function toEstimate(model: RulModelState, raw: number, z: number): RulEstimate {
  const cap = model.rulCapSteps;
  const rul = Math.min(cap, Math.max(0, raw));
  const band = model.residualBands.find((b) => b.upToRulSteps === null || rul <= b.upToRulSteps) ?? model.residualBands[model.residualBands.length - 1];
  const spread = z * (band?.rmseSteps ?? 0);
  return {
    rulSteps: rul,
    rulLowerSteps: Math.max(0, rul - spread),
    rulUpperSteps: rul + spread,
    healthIndex: healthIndexFromRul(rul, cap),
  };
}

/**
 * RUL after the last row of `rows` (oldest first, same channel layout as training).
 * `confidence` sets the one-sided bounds (default 0.9).
 */
export function predictRul(model: RulModelState, rows: number[][], confidence = 0.9): RulEstimate {
  if (rows.length === 0) throw new Error('predictRul needs at least one row');
  const F = unitFeatureMatrix(rows, model.features);
  return toEstimate(model, predictEnsemble(model.ensemble, F[F.length - 1]), normalQuantile(confidence));
}

/** RUL after every prefix of `rows` — one pass, for back-testing and replaying a stream. */
export function predictRulTrajectory(model: RulModelState, rows: number[][], confidence = 0.9): RulEstimate[] {
  const z = normalQuantile(confidence);
  return unitFeatureMatrix(rows, model.features).map((f) => toEstimate(model, predictEnsemble(model.ensemble, f), z));
}

/** Accepts a stored state only if it is a RUL model of a version this code understands. */
export function parseRulModelState(json: unknown): RulModelState {
  const s = json as Partial<RulModelState> | null;
  if (!s || s.kind !== RUL_MODEL_KIND) throw new Error('not a Vigil RUL model state');
  if (s.version !== RUL_MODEL_VERSION) throw new Error(`unsupported RUL model version ${String(s.version)} (expected ${RUL_MODEL_VERSION})`);
  if (!s.features || !s.ensemble || !Array.isArray(s.residualBands)) throw new Error('RUL model state is incomplete');
  return s as RulModelState;
}
