// Online robust location/scale in O(1): a Huber-clipped EWMA of the level and an EWMA of the
// clipped absolute deviation. Clipping at `clipZ` sigmas keeps one wild point from dragging the
// level or inflating the scale, which is what a rolling median/MAD buys, without its O(window)
// sort. Early on (n < 1/alpha) a running mean is used so the first value does not linger.

export interface RobustTracker {
  n: number;
  level: number;
  /** EWMA of the clipped |x - level|. */
  absDev: number;
  /** Consecutive points beyond clipZ on one side (+ above, − below); absent in older snapshots. */
  shiftRun?: number;
}

export interface TrackerConfig {
  levelAlpha: number;
  scaleAlpha: number;
  clipZ: number;
  /**
   * After this many consecutive points beyond clipZ on the same side, the level jumps to the
   * new value: a step change is reported once (the alarm fires on its first points) and then
   * becomes the new normal instead of a slow drift that alarms again and again. 0: never.
   */
  shiftPoints?: number;
}

export function newTracker(): RobustTracker {
  return { n: 0, level: 0, absDev: 0 };
}

/** Mean absolute deviation → standard deviation for Gaussian noise (√(π/2)). */
const ABS_DEV_TO_SIGMA = 1.2533;

/** Relative floor on sigma: a perfectly flat series still tolerates 0.1% wiggles. */
export function sigmaOf(t: RobustTracker): number {
  return Math.max(t.absDev * ABS_DEV_TO_SIGMA, Math.abs(t.level) * 1e-3, 1e-9);
}

/** Feeds x; returns its deviation from the level in sigmas, measured before the update. */
export function trackRobust(t: RobustTracker, cfg: TrackerConfig, x: number): number {
  if (t.n === 0) {
    t.n = 1;
    t.level = x;
    return 0;
  }
  const sigma = sigmaOf(t);
  const dev = x - t.level;
  const limit = cfg.clipZ * sigma;
  const clipped = dev > limit ? limit : dev < -limit ? -limit : dev;
  if (cfg.shiftPoints) {
    const run = t.shiftRun ?? 0;
    t.shiftRun = dev > limit ? Math.max(run, 0) + 1 : dev < -limit ? Math.min(run, 0) - 1 : 0;
    if (Math.abs(t.shiftRun) >= cfg.shiftPoints) {
      t.level = x;
      t.shiftRun = 0;
      t.n++;
      return dev / sigma;
    }
  }
  const warm = 1 / (t.n + 1);
  t.level += Math.max(cfg.levelAlpha, warm) * clipped;
  t.absDev += Math.max(cfg.scaleAlpha, warm) * (Math.abs(clipped) - t.absDev);
  t.n++;
  return dev / sigma;
}
