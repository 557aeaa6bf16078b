// Monotone counters (energy in kWh, litres, packets): their level is meaningless, their rate is
// the signal. Shared by the per-key wrapper (regimes.ts) and the relational model, which both
// judge a counter by its rate per second.

/** A counter may step back this rarely (resets, rounding) over the fit period. */
const MAX_COUNTER_DECREASES = 0.01;
/** …and must step forward at least this often. */
const MIN_COUNTER_INCREASES = 0.5;

/** True for a monotone non-decreasing counter: its level is meaningless, its rate is the signal. */
export function looksLikeCounter(values: readonly number[]): boolean {
  const n = values.length;
  if (n < 20) return false;
  let up = 0;
  let down = 0;
  for (let i = 1; i < n; i++) {
    if (values[i]! > values[i - 1]!) up++;
    else if (values[i]! < values[i - 1]!) down++;
  }
  return down <= MAX_COUNTER_DECREASES * (n - 1) && up >= MIN_COUNTER_INCREASES * (n - 1) && values[n - 1]! > values[0]!;
}

/**
 * A counter's rate per second between two readings; NaN when it cannot be told (a missing
 * reading, no time between them) or the counter stepped back (a reset or wrap: no rate).
 */
export function counterRate(prevTs: number, prev: number, ts: number, value: number): number {
  const dtSec = (ts - prevTs) / 1000;
  if (!(dtSec > 0) || !Number.isFinite(prev) || !Number.isFinite(value) || value < prev) return NaN;
  return (value - prev) / dtSec;
}
