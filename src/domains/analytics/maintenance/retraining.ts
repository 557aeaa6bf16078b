/**
 * Retraining policy for stored RUL models, kept pure so the scheduler only asks "now?".
 * A model is retrained when it is missing, of an older version, older than maxAgeMs, or when
 * enough new run-to-failure histories have been recorded since it was trained (each failure is
 * the scarcest training signal a profile gets, so a few of them justify a refit early).
 */
import { RUL_MODEL_VERSION, type RulModelState } from './rul-model.js';

export interface RetrainPolicy {
  /** Default 7 days. */
  maxAgeMs?: number;
  /** Default 3. */
  minNewFailures?: number;
}

export type RetrainReason = 'no-model' | 'old-version' | 'age' | 'new-failures' | null;

export function retrainReason(
  model: Pick<RulModelState, 'version' | 'trainedAt' | 'trainingWindow'> | null | undefined,
  nowMs: number,
  unitsAvailable: number,
  policy: RetrainPolicy = {},
): RetrainReason {
  if (!model) return 'no-model';
  if (model.version !== RUL_MODEL_VERSION) return 'old-version';
  const trainedAtMs = Date.parse(model.trainedAt);
  if (!Number.isFinite(trainedAtMs) || nowMs - trainedAtMs > (policy.maxAgeMs ?? 7 * 24 * 3_600_000)) return 'age';
  if (unitsAvailable - model.trainingWindow.units >= (policy.minNewFailures ?? 3)) return 'new-failures';
  return null;
}
