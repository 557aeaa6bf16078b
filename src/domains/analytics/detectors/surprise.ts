// Converts a stream of deviations (|z| in sigmas) into a score in [0,1] that says how unusual the
// recent few points are compared with this series' own history of deviations. Series differ in
// how heavy their tails are (a latency metric spikes all the time, a temperature never), so a
// fixed z threshold fires too often on some and never on others; judging the short-term mean
// deviation against the long-term distribution of deviations lets one threshold serve all.
// Memory: a ring of `shortWindow` numbers plus four scalars.

export interface SurpriseConfig {
  /** Points averaged for the "recent" deviation. */
  shortWindow: number;
  /** EWMA weight of the long-term deviation statistics (≈ 1/memory in points). */
  longAlpha: number;
  /** Deviations are capped here so one wild point cannot dominate the long-term variance. */
  zCap: number;
  /**
   * Calibrate the recent mean against the history of that same windowed mean (HTM's anomaly
   * likelihood does this), not against single points: a ten-point mean varies about √10 times
   * less than one point, so judging it by single-point spread under-states how unusual it is
   * for noisy series and over-states it for smooth ones. Off: the original point calibration.
   */
  windowCalibrated?: boolean;
  /**
   * A point whose own deviation is below this many sigmas scores 0, however unusual the recent
   * window: an alarm should point at a value outside its expected range, not at a run of
   * in-range values that a too-good model (a smooth, quantised key) finds a little off.
   * Absent or 0: no gate.
   */
  minPointZ?: number;
  /**
   * Also judge the point alone against the distribution of single-point deviations, widened by
   * this factor, and score the larger: a ten-point mean dilutes a one-sample spike ten times, so
   * a lone 8-sigma spike would otherwise pass unnoticed. The widening keeps the ordinary tails
   * of a noisy series from alarming. Absent or 0: window score only.
   */
  pointSpread?: number;
}

export interface SurpriseState {
  ring: number[];
  pos: number;
  sum: number;
  n: number;
  mean: number;
  variance: number;
  /** 'window' once the statistics describe the windowed mean (older snapshots lack it). */
  calibratedOn?: 'window';
  /** Single-point deviation statistics, kept when the window is calibrated on itself and `pointSpread` is set. */
  pointMean?: number;
  pointVariance?: number;
}

export function newSurprise(cfg: SurpriseConfig): SurpriseState {
  return { ring: new Array<number>(cfg.shortWindow).fill(0), pos: 0, sum: 0, n: 0, mean: 0, variance: 0 };
}

/** Standard normal upper tail, Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): plenty for scoring. */
export function normalTail(x: number): number {
  if (x < 0) return 1 - normalTail(-x);
  const t = 1 / (1 + 0.3275911 * (x / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 0.5 * poly * Math.exp(-(x * x) / 2);
}

export function stepSurprise(s: SurpriseState, cfg: SurpriseConfig, absZ: number): number {
  if (cfg.windowCalibrated && s.calibratedOn !== 'window') {
    // State restored from the point-calibrated model: its statistics mean something else, relearn them.
    s.calibratedOn = 'window';
    s.mean = 0;
    s.variance = 0;
    s.n = Math.min(s.n, 0);
  }
  const z = absZ > cfg.zCap ? cfg.zCap : absZ;
  s.sum += z - s.ring[s.pos];
  s.ring[s.pos] = z;
  s.pos = s.pos + 1 === s.ring.length ? 0 : s.pos + 1;
  const filled = Math.min(s.n + 1, s.ring.length);
  const shortMean = s.sum / filled;
  // Score against the statistics *before* this point joins them.
  const sd = Math.sqrt(s.variance) + 1e-3;
  let score = s.n < s.ring.length ? 0 : 1 - normalTail((shortMean - s.mean) / sd);
  const a = Math.max(cfg.longAlpha, 1 / (s.n + 1));
  if (cfg.pointSpread) {
    const pm = cfg.windowCalibrated ? (s.pointMean ?? 0) : s.mean;
    const pv = cfg.windowCalibrated ? (s.pointVariance ?? 0) : s.variance;
    if (s.n >= s.ring.length) {
      // Point-calibrated, the single point is judged on the same statistics: the same spread.
      const pointSd = cfg.windowCalibrated ? Math.sqrt(pv) + 1e-3 : sd;
      const single = 1 - normalTail((z - pm) / (pointSd * cfg.pointSpread));
      if (single > score) score = single;
    }
    if (cfg.windowCalibrated) {
      const dp = z - pm;
      s.pointMean = pm + a * dp;
      s.pointVariance = (1 - a) * (pv + a * dp * dp);
    }
  }
  const d = (cfg.windowCalibrated ? shortMean : z) - s.mean;
  s.mean += a * d;
  s.variance = (1 - a) * (s.variance + a * d * d);
  s.n++;
  return cfg.minPointZ && absZ < cfg.minPointZ ? 0 : score;
}
