// Robust detector: each key's value against a Huber-clipped EWMA level, in units of a clipped
// EWMA absolute deviation, fed through the shared surprise score. O(1) state per key, no
// warm-up buffer, follows slow drift. Choose it for non-seasonal gauges (pressure, latency, a
// battery level) and when throughput or memory matter most.
import { scored, unscored, type RawResult } from './types.js';
import { newTracker, sigmaOf, trackRobust, type RobustTracker, type TrackerConfig } from './robust-stats.js';
import { newSurprise, stepSurprise, type SurpriseConfig, type SurpriseState } from './surprise.js';
import { extremeBand, newShape, withShape, type ShapeConfig, type ShapeState } from './shape-novelty.js';

export interface RobustConfig {
  tracker: TrackerConfig;
  /** Points per key before scores are trusted. */
  warmupPoints: number;
  surprise: SurpriseConfig;
  /** Shape novelty of the raw series, combined with the surprise score (shape-novelty.ts). */
  shape: ShapeConfig;
}

interface KeyState {
  tracker: RobustTracker;
  surprise: SurpriseState;
  /** Present while shape novelty is enabled (created on first use, so older snapshots resume). */
  shape?: ShapeState;
}

export interface RobustState {
  kind: 'robust';
  keys: string[];
  perKey: KeyState[];
}

export function initRobust(keys: string[], cfg: RobustConfig): RobustState {
  return { kind: 'robust', keys, perKey: keys.map(() => ({ tracker: newTracker(), surprise: newSurprise(cfg.surprise) })) };
}

export function stepRobust(state: RobustState, cfg: RobustConfig, values: ArrayLike<number>, out: RawResult): RawResult {
  let best = -1;
  let bestScore = -1;
  let lo = 0;
  let hi = 0;
  let warmingUp = false;
  for (let k = 0; k < state.perKey.length; k++) {
    const x = values[k];
    if (!Number.isFinite(x)) continue; // a skipped key keeps its state
    const ks = state.perKey[k];
    const level = ks.tracker.level;
    const sigma = sigmaOf(ks.tracker);
    const z = trackRobust(ks.tracker, cfg.tracker, x);
    let score = stepSurprise(ks.surprise, cfg.surprise, Math.abs(z));
    let expectedLo = level - 3 * sigma;
    let expectedHi = level + 3 * sigma;
    if (cfg.shape.enabled) {
      const band = ks.shape ? extremeBand(ks.shape, cfg.shape) : null;
      score = withShape((ks.shape ??= newShape(cfg.shape)), cfg.shape, x, score);
      if (band && (x < band[0] || x > band[1])) [expectedLo, expectedHi] = band;
    }
    if (ks.tracker.n <= cfg.warmupPoints) warmingUp = true;
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
