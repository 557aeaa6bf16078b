/**
 * Predictive-maintenance core.
 *
 * - `estimateTimeToThreshold(series, { threshold })`: trend extrapolation for devices with no
 *   failure history.
 * - `trainRulModel(histories, options?)` → JSON-serialisable, versioned `RulModelState`;
 *   `predictRul(model, rows)` → `{ rulSteps, rulLowerSteps, rulUpperSteps, healthIndex }`.
 * - `predictedFailureCheck(state, { timeToFailureMs, timeToFailureLowerMs? }, options?)`: pure alarm
 *   decision with hysteresis (default horizon 24 h).
 * - `retrainReason(storedState, nowMs, unitsAvailable, policy?)`: whether a stored model is due for retraining.
 */
export {
  estimateTimeToThreshold,
  DEFAULT_TTT_WINDOW_MS,
  type ThresholdSeries,
  type TimeToThresholdOptions,
  type TimeToThresholdEstimate,
  type TimeToThresholdStatus,
} from './time-to-threshold.js';
export {
  trainRulModel,
  predictRul,
  predictRulTrajectory,
  parseRulModelState,
  cappedRulTargets,
  DEFAULT_RUL_CAP_STEPS,
  RUL_MODEL_KIND,
  RUL_MODEL_VERSION,
  type RulModelState,
  type RulEstimate,
  type RulTrainingOptions,
  type ResidualBand,
} from './rul-model.js';
export { type UnitHistory, type FeatureSpec, type ChannelSelectionOptions, selectChannels, unitFeatureMatrix, featureNames } from './features.js';
export { trainEnsemble, predictEnsemble, type BoostedEnsemble, type BoostingOptions, type RegressionTree } from './gradient-boosting.js';
export { healthIndexFromRul } from './health-index.js';
export {
  predictedFailureCheck,
  DEFAULT_FAILURE_HORIZON_MS,
  INITIAL_PREDICTED_FAILURE_STATE,
  type PredictedFailureState,
  type PredictedFailureOptions,
  type FailureEstimate,
  type AlarmTransition,
} from './predicted-failure.js';
export { retrainReason, type RetrainPolicy, type RetrainReason } from './retraining.js';
