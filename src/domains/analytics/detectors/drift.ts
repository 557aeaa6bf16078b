// Slow-drift check for one key: a two-sided Page (CUSUM) test on the standardised deviation from
// a following level. A sensor that drifts (a fouled probe, a loosening mount) moves a little
// every point; the level tracker of the deviation detectors follows it, so each point stays in
// range and no single score is unusual. What is unusual is that the small deviations keep the
// same sign for longer than the series ever does. The CUSUM adds them up (minus a reference of
// REFERENCE_Z sigmas per point) and is reset to 0 whenever the deviations turn.
//
// How far the sum may go is learnt from the series itself, not set per device type. Every
// excursion (from leaving 0 to returning to it) has a peak. Peaks over a level U have, for a
// random walk with a negative drift, an exponential tail (peaks-over-threshold with shape 0):
// with q the share of excursions that pass U and β their mean excess over it, a peak passes h
// with probability q·exp(−(h − U)/β). The check flags an excursion whose CUSUM passes the h at
// which ordinary excursions would be flagged at a hundredth of the alarm policy's per-point tail
// (1e-3 live; operators' dismissals tighten it), so a series that wanders slowly (an ambient humidity) tolerates more than a
// steady one. One excursion, one flag. Every finished excursion teaches q and β, a flagged one
// counting as reaching h, so a drift that recurs every day (an office's CO2 at 8 am) raises the
// bar instead of alarming forever, while one real drift among hundreds of excursions barely
// moves it. State: eleven numbers.
import { newTracker, trackRobust, type RobustTracker, type TrackerConfig } from './robust-stats.js';

export interface DriftState {
  tracker: RobustTracker;
  /** CUSUM of upward and downward deviations, in sigmas. */
  up: number;
  down: number;
  /** Peak of the current excursion (either side). */
  peak: number;
  /** Finished excursions seen (capped at PEAK_MEMORY: the weights below are EWMAs after that). */
  excursions: number;
  /** Share of finished excursions whose peak passed OVER. */
  overShare: number;
  /** Mean excess over OVER of those peaks. */
  meanExcess: number;
  /** Finished excursions that passed OVER (capped at PEAK_MEMORY). */
  overCount: number;
  /** Mean points from the end of one excursion to the end of the next (the excursion rate's inverse). */
  pointsPerExcursion: number;
  /** Points since the last excursion ended. */
  sinceEnd: number;
  /** The current excursion has been flagged. */
  flagged: boolean;
}

/** Per-point allowance: deviations below this many sigmas do not add up. */
const REFERENCE_Z = 0.5;
/** Deviations are clipped here before they add up: a spike is the deviation detector's, not a drift. */
const CLIP_Z = 3;
/**
 * The level the deviations are measured from follows with a time constant of 1/levelAlpha points.
 * Slower than the deviation detectors' (20 points), so a ramp leaves a larger lag behind it.
 */
const TRACKER: TrackerConfig = { levelAlpha: 0.02, scaleAlpha: 0.005, clipZ: 4 };
/** Peaks over this CUSUM (sigmas) describe the tail. */
const OVER = 2;
/** Memory of the tail statistics, in excursions. */
const PEAK_MEMORY = 500;
/**
 * Until this many excursions have passed OVER the check only learns: the mean excess of n peaks
 * has a relative standard error of 1/√n, about a fifth here. (With 5, the first days' estimates
 * were loose enough for an office's morning CO2 and VOC ramps to alarm on unseen devices.)
 */
const MIN_OVER = 20;
/** Floor on the mean excess: a smooth series must not get a hair trigger. */
const MIN_EXCESS = 1;

export function newDrift(): DriftState {
  return { tracker: newTracker(), up: 0, down: 0, peak: 0, excursions: 0, overShare: 0, meanExcess: 0, overCount: 0, pointsPerExcursion: 1, sinceEnd: 0, flagged: false };
}

/**
 * The share of the alarm policy's per-point tail the drift check may spend on ordinary data. Each
 * of its flags is an alarm of its own (no persistence or refractory period merges them), so it
 * gets a hundredth: with the live tail of 1e-3, about 0.014 false drift alarms per series per
 * day at one point a minute.
 */
const TAIL_SHARE = 0.01;

/**
 * The CUSUM at which an excursion is flagged, for a per-point tail probability: the per-excursion
 * tail is that times the points per excursion (white noise starts an excursion every few points,
 * a slowly wandering series a few times a day).
 */
export function driftLimit(s: DriftState, tail: number): number {
  const share = Math.max(s.overShare, 1 / (s.excursions + 1));
  const perExcursion = Math.min(1, tail * TAIL_SHARE * s.pointsPerExcursion);
  return OVER + Math.max(s.meanExcess, MIN_EXCESS) * Math.max(0, Math.log(share / Math.max(perExcursion, 1e-12)));
}

function learnPeak(s: DriftState, peak: number): void {
  s.excursions = Math.min(s.excursions + 1, PEAK_MEMORY);
  s.pointsPerExcursion += (s.sinceEnd - s.pointsPerExcursion) / s.excursions;
  s.sinceEnd = 0;
  const over = peak > OVER;
  s.overShare += ((over ? 1 : 0) - s.overShare) / s.excursions;
  if (!over) return;
  s.overCount = Math.min(s.overCount + 1, PEAK_MEMORY);
  s.meanExcess += (peak - OVER - s.meanExcess) / s.overCount;
}

/**
 * Feeds a value. `learning` points only teach. Returns the CUSUM (in sigmas, signed by the
 * direction of the drift) on the point that flags an excursion, once per excursion, else 0.
 */
export function stepDrift(s: DriftState, x: number, learning: boolean, tail: number): number {
  if (!Number.isFinite(x)) return 0;
  const warm = s.tracker.n < 1 / TRACKER.levelAlpha;
  const z0 = trackRobust(s.tracker, TRACKER, x);
  if (warm) return 0;
  const z = z0 > CLIP_Z ? CLIP_Z : z0 < -CLIP_Z ? -CLIP_Z : z0;
  s.sinceEnd++;
  s.up = Math.max(0, s.up + z - REFERENCE_Z);
  s.down = Math.max(0, s.down - z - REFERENCE_Z);
  const cusum = Math.max(s.up, s.down);
  if (cusum === 0) {
    if (s.peak > 0) learnPeak(s, s.flagged ? Math.min(s.peak, driftLimit(s, tail)) : s.peak);
    s.peak = 0;
    s.flagged = false;
    return 0;
  }
  if (cusum > s.peak) s.peak = cusum;
  // The limit is at least OVER (for a finite tail), so a smaller CUSUM needs no logarithm to tell.
  if (learning || s.flagged || s.overCount < MIN_OVER || (cusum < OVER && Number.isFinite(tail)) || cusum < driftLimit(s, tail)) return 0;
  s.flagged = true;
  return s.up >= s.down ? cusum : -cusum;
}
