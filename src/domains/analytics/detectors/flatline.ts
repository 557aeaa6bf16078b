// Flatline (stuck value) check for one key. A sensor that freezes keeps sending its last value:
// every value is in range, so a deviation score never moves, yet the series has stopped
// measuring. What is unusual is the run of identical values. The check learns how often a value
// repeats its predecessor (a quantised or idle signal repeats a lot, a noisy one almost never)
// and the longest run seen while learning, and flags a run that is both improbable under that
// repeat rate and well beyond anything seen: a pump's current sitting at exactly 0 while it is
// stopped is a long run learnt in the fit period, not a fault.
// A key whose value has never changed is a constant (a set point), not a stuck sensor: it is never
// flagged. State: five numbers.

export interface FlatlineState {
  prev: number;
  /** Identical values in a row, counting the first one. */
  run: number;
  /** Longest run seen so far (while learning, and runs that ended without being flagged). */
  longest: number;
  /** Smoothed share of points equal to their predecessor. */
  repeatRate: number;
  n: number;
}

/** A run must be at least this much longer than the longest one seen. */
const LONGEST_FACTOR = 2;
/** …at least this many points… */
const MIN_RUN = 10;
/** …and this improbable if repeats were independent at the learnt rate. */
const MAX_RUN_PROBABILITY = 1e-6;
/** Memory of the repeat rate, in points. */
const RATE_MEMORY = 2000;

export function newFlatline(): FlatlineState {
  return { prev: NaN, run: 0, longest: 0, repeatRate: 0, n: 0 };
}

/** The run length at which the current statistics flag a flatline. */
export function flatlineLimit(s: FlatlineState): number {
  // Laplace-smoothed rate, so a series that never repeated still needs a real run.
  const p = Math.min(0.999, (s.repeatRate * Math.min(s.n, RATE_MEMORY) + 1) / (Math.min(s.n, RATE_MEMORY) + 2));
  const improbable = Math.ceil(Math.log(MAX_RUN_PROBABILITY) / Math.log(p));
  return Math.max(MIN_RUN, LONGEST_FACTOR * s.longest, improbable);
}

/**
 * Feeds a value. `learning` points only teach. Returns the run length when this point makes
 * the run reach the flatline limit (once per run), else 0.
 */
export function stepFlatline(s: FlatlineState, x: number, learning: boolean): number {
  if (!Number.isFinite(x)) return 0;
  const repeat = x === s.prev;
  let flagged = 0;
  if (repeat) {
    s.run++;
    // `longest` is 0 until a run has ended, i.e. until the value first changed: a key that never
    // has (a set point reported with every sample) is a constant, not a stuck sensor.
    // (The limit is at least MIN_RUN: shorter runs need no logarithms to tell.)
    if (!learning && s.longest > 0 && s.run >= MIN_RUN && s.run === flatlineLimit(s)) flagged = s.run;
  } else {
    // A run that ended unflagged was ordinary for this series: it raises the bar.
    if (learning || s.run < MIN_RUN || s.run < flatlineLimit(s)) s.longest = Math.max(s.longest, s.run);
    s.run = 1;
  }
  // The repeat rate learns from ordinary points only: a stuck sensor must not teach it that
  // repeats are normal.
  if (s.run < MIN_RUN || learning) {
    const a = 1 / Math.min(s.n + 1, RATE_MEMORY);
    s.repeatRate += a * ((repeat ? 1 : 0) - s.repeatRate);
    s.n++;
  }
  s.prev = x;
  return flagged;
}
