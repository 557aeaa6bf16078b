/**
 * Causal feature engineering for remaining-useful-life models. For every step t of a unit's
 * history only rows 0..t are used (what a live device would have seen), so training and online
 * prediction compute identical features.
 *
 * Per informative channel (z-scored with training statistics): short and long moving means,
 * drift of the short mean from the unit's own early-life baseline (units start at different
 * wear levels), and least-squares slopes over two windows. The same five are also computed for a
 * fused "degradation index" (mean of sign-aligned channels), which averages out sensor noise.
 * Plus the unit's age in steps.
 */
import { correlation } from '../math/stats.js';

/** One unit's multichannel history, oldest first; one row per step (cycle, hour, ...). */
export interface UnitHistory {
  id: string;
  rows: number[][];
}

export interface FeatureSpec {
  /** Indices into each row of the channels that carry degradation information. */
  channels: number[];
  channelNames: string[];
  means: number[];
  stds: number[];
  /** +1 if the channel rises as the unit degrades, −1 if it falls. */
  signs: number[];
  /** Absolute correlation of each kept channel with the capped RUL target. */
  correlations: number[];
  windows: FeatureWindows;
}

export interface FeatureWindows {
  shortMean: number;
  longMean: number;
  baseline: number;
  shortSlope: number;
  longSlope: number;
}

/** Chosen on C-MAPSS-like cycle data: 5 steps smooths sensor noise, 40 sees the degradation knee. */
export const DEFAULT_WINDOWS: FeatureWindows = { shortMean: 5, longMean: 15, baseline: 20, shortSlope: 15, longSlope: 40 };

const PER_SIGNAL = ['mean_short', 'mean_long', 'drift_from_baseline', 'slope_short', 'slope_long'];

export interface ChannelSelectionOptions {
  /** Channels whose |corr(channel, capped RUL)| is below this carry no usable signal. Default 0.2. */
  minCorrelation?: number;
  /** Keep at most this many channels, strongest first. Default 16. */
  maxChannels?: number;
}

/** Picks informative channels by variance and correlation with the (capped) RUL target. */
export function selectChannels(
  units: UnitHistory[],
  targets: number[][],
  channelNames: string[],
  options: ChannelSelectionOptions = {},
  windows: FeatureWindows = DEFAULT_WINDOWS,
): FeatureSpec {
  const width = units[0]?.rows[0]?.length ?? 0;
  const flatTargets = targets.flat();
  const candidates: { channel: number; mean: number; std: number; corr: number }[] = [];
  for (let c = 0; c < width; c++) {
    const column = units.flatMap((u) => u.rows.map((r) => r[c]));
    const m = column.reduce((a, b) => a + b, 0) / column.length;
    const sd = Math.sqrt(column.reduce((a, b) => a + (b - m) ** 2, 0) / column.length);
    // Relative floor: a channel stuck at one value (or quantised to float noise) is uninformative.
    if (!(sd > 1e-9 * Math.max(1, Math.abs(m)))) continue;
    const corr = correlation(column, flatTargets);
    if (Math.abs(corr) >= (options.minCorrelation ?? 0.2)) candidates.push({ channel: c, mean: m, std: sd, corr });
  }
  candidates.sort((a, b) => Math.abs(b.corr) - Math.abs(a.corr));
  const kept = candidates.slice(0, options.maxChannels ?? 16).sort((a, b) => a.channel - b.channel);
  return {
    channels: kept.map((k) => k.channel),
    channelNames: kept.map((k) => channelNames[k.channel] ?? `ch${k.channel}`),
    means: kept.map((k) => k.mean),
    stds: kept.map((k) => k.std),
    // RUL falls as the unit degrades, so a channel positively correlated with RUL falls with wear.
    signs: kept.map((k) => (k.corr > 0 ? -1 : 1)),
    correlations: kept.map((k) => Math.abs(k.corr)),
    windows,
  };
}

export function featureNames(spec: FeatureSpec): string[] {
  const names: string[] = [];
  for (const ch of [...spec.channelNames, 'degradation_index']) for (const f of PER_SIGNAL) names.push(`${ch}:${f}`);
  names.push('age_steps');
  return names;
}

/** Feature rows for every prefix of a unit's history: result[t] uses rows 0..t only. */
export function unitFeatureMatrix(rows: number[][], spec: FeatureSpec): number[][] {
  const T = rows.length;
  const k = spec.channels.length;
  const signals: Float64Array[] = spec.channels.map((c, j) => Float64Array.from(rows, (r) => (r[c] - spec.means[j]) / spec.stds[j]));
  const fused = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += spec.signs[j] * signals[j][t];
    fused[t] = k ? s / k : 0;
  }
  signals.push(fused);
  const out: number[][] = Array.from({ length: T }, () => []);
  const w = spec.windows;
  for (const y of signals) {
    // Prefix sums of y and i·y give any window's mean and slope in O(1).
    const s0 = new Float64Array(T + 1);
    const s1 = new Float64Array(T + 1);
    for (let i = 0; i < T; i++) {
      s0[i + 1] = s0[i] + y[i];
      s1[i + 1] = s1[i] + i * y[i];
    }
    const meanOf = (a: number, b: number) => (s0[b] - s0[a]) / (b - a);
    const slopeOf = (a: number, b: number) => {
      const n = b - a;
      if (n < 3) return 0;
      const iBar = (a + b - 1) / 2;
      const sumY = s0[b] - s0[a];
      return (s1[b] - s1[a] - iBar * sumY) / ((n * (n * n - 1)) / 12);
    };
    for (let t = 0; t < T; t++) {
      const end = t + 1;
      const from = (win: number) => Math.max(0, end - win);
      const shortMean = meanOf(from(w.shortMean), end);
      const baseline = meanOf(0, Math.min(end, w.baseline));
      out[t].push(shortMean, meanOf(from(w.longMean), end), shortMean - baseline, slopeOf(from(w.shortSlope), end), slopeOf(from(w.longSlope), end));
    }
  }
  for (let t = 0; t < T; t++) out[t].push(t + 1);
  return out;
}
