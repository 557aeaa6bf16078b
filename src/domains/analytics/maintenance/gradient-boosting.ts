/**
 * A small gradient-boosted regression tree ensemble (squared loss), histogram-based so training
 * on ~20k rows × ~80 features takes about a second in plain JavaScript. Feature values are
 * bucketed into at most MAX_BINS quantile bins once; each split scans bucket histograms.
 * The trained model is plain JSON (flat arrays), so it can be stored and versioned as is.
 */
import { seededRandom } from '../math/stats.js';

export interface BoostingOptions {
  trees?: number;
  maxDepth?: number;
  learningRate?: number;
  /** Minimum rows in a leaf; guards against fitting noise in sparse corners. */
  minLeafRows?: number;
  /** Fraction of rows each tree sees (stochastic gradient boosting). */
  rowSampleRate?: number;
  /** Fraction of features each tree may split on. */
  featureSampleRate?: number;
  seed?: number;
}

export const DEFAULT_BOOSTING: Required<BoostingOptions> = {
  trees: 150,
  maxDepth: 4,
  learningRate: 0.1,
  minLeafRows: 20,
  rowSampleRate: 0.5,
  featureSampleRate: 0.3,
  seed: 7,
};

/** 32 quantile bins lose almost nothing on smooth sensor features and keep histograms tiny. */
const MAX_BINS = 32;

/** Flat-array tree: node i splits on feature[i] (−1 = leaf) at x ≤ threshold[i] → left[i]. */
export interface RegressionTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface BoostedEnsemble {
  base: number;
  learningRate: number;
  trees: RegressionTree[];
}

export function predictEnsemble(model: BoostedEnsemble, x: ArrayLike<number>): number {
  let y = model.base;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node] >= 0) node = x[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    y += tree.value[node];
  }
  return y;
}

function binEdges(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let b = 1; b < MAX_BINS; b++) {
    const e = sorted[Math.floor((b * (sorted.length - 1)) / MAX_BINS)];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

export function trainEnsemble(rows: number[][], target: number[], options: BoostingOptions = {}): BoostedEnsemble {
  const o = { ...DEFAULT_BOOSTING, ...options };
  const n = rows.length;
  const p = rows[0]?.length ?? 0;
  const random = seededRandom(o.seed);
  // Column-major bin codes: codes[f][i] = bin of rows[i][f].
  const edges: number[][] = [];
  const codes: Uint8Array[] = [];
  for (let f = 0; f < p; f++) {
    const column = Float64Array.from(rows, (r) => r[f]);
    const e = binEdges(column);
    edges.push(e);
    const c = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let lo = 0;
      let hi = e.length; // first edge ≥ value, by binary search
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (column[i] <= e[mid]) hi = mid;
        else lo = mid + 1;
      }
      c[i] = lo;
    }
    codes.push(c);
  }
  const base = target.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const prediction = new Float64Array(n).fill(base);
  const residual = new Float64Array(n);
  const trees: RegressionTree[] = [];
  const sumHist = new Float64Array(MAX_BINS);
  const countHist = new Uint32Array(MAX_BINS);

  for (let m = 0; m < o.trees; m++) {
    for (let i = 0; i < n; i++) residual[i] = target[i] - prediction[i];
    const sample: number[] = [];
    for (let i = 0; i < n; i++) if (random() < o.rowSampleRate) sample.push(i);
    const features: number[] = [];
    for (let f = 0; f < p; f++) if (random() < o.featureSampleRate) features.push(f);
    if (features.length === 0) features.push(Math.floor(random() * p));
    const tree: RegressionTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const splitBins: number[] = []; // training-only: bin index of each node's threshold

    const grow = (idx: number[], depth: number): number => {
      const node = tree.feature.length;
      let sum = 0;
      for (const i of idx) sum += residual[i];
      tree.feature.push(-1);
      splitBins.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(idx.length ? (o.learningRate * sum) / idx.length : 0);
      if (depth >= o.maxDepth || idx.length < 2 * o.minLeafRows) return node;
      let bestGain = 1e-9;
      let bestFeature = -1;
      let bestBin = -1;
      const parentScore = (sum * sum) / idx.length;
      for (const f of features) {
        const c = codes[f];
        sumHist.fill(0);
        countHist.fill(0);
        for (const i of idx) {
          sumHist[c[i]] += residual[i];
          countHist[c[i]]++;
        }
        let leftSum = 0;
        let leftCount = 0;
        for (let b = 0; b < edges[f].length; b++) {
          leftSum += sumHist[b];
          leftCount += countHist[b];
          const rightCount = idx.length - leftCount;
          if (leftCount < o.minLeafRows) continue;
          if (rightCount < o.minLeafRows) break;
          const rightSum = sum - leftSum;
          const gain = (leftSum * leftSum) / leftCount + (rightSum * rightSum) / rightCount - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
          }
        }
      }
      if (bestFeature < 0) return node;
      const c = codes[bestFeature];
      const leftIdx: number[] = [];
      const rightIdx: number[] = [];
      for (const i of idx) (c[i] <= bestBin ? leftIdx : rightIdx).push(i);
      tree.feature[node] = bestFeature;
      splitBins[node] = bestBin;
      tree.threshold[node] = edges[bestFeature][bestBin];
      tree.left[node] = grow(leftIdx, depth + 1);
      tree.right[node] = grow(rightIdx, depth + 1);
      return node;
    };
    grow(sample, 0);
    trees.push(tree);
    // Update every row (not only the sample) through the raw thresholds, as prediction will.
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (tree.feature[node] >= 0) node = codes[tree.feature[node]][i] <= splitBins[node] ? tree.left[node] : tree.right[node];
      prediction[i] += tree.value[node];
    }
  }
  return { base, learningRate: o.learningRate, trees };
}
