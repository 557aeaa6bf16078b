// Automatic detection of a daily or weekly cycle from a warm-up buffer, via the autocorrelation
// at the lag of each candidate period (sampling interval taken as the median gap, so a few
// skipped points do not matter). Calendar periods only: IoT seasonality is human or solar.

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** A cycle is accepted when the autocorrelation at its lag reaches this. */
export const MIN_AUTOCORRELATION = 0.3;
/** Cycles must repeat this many times in the buffer before we trust the estimate. */
export const MIN_CYCLES = 2.5;
/**
 * A weekly profile has seven times the bins of a daily one, each learnt from seven times fewer
 * visits, so it must explain clearly more (autocorrelation higher by this much) to be chosen.
 */
export const WEEKLY_MARGIN = 0.05;

/** Reused by medianGapMs: the warm-up buffer is re-checked every 64 points on the live path. */
let gapScratch = new Float64Array(0);

export function medianGapMs(ts: readonly number[]): number {
  if (gapScratch.length < ts.length) gapScratch = new Float64Array(ts.length * 2);
  const gaps = gapScratch;
  let n = 0;
  for (let i = 1; i < ts.length; i++) if (ts[i] > ts[i - 1]) gaps[n++] = ts[i] - ts[i - 1];
  if (n === 0) return 0;
  // The element a full sort would put at n >> 1, found without sorting (quickselect, O(n)).
  return kthSmallest(gaps, n, n >> 1);
}

/** The k-th smallest of x[0..n) (0-based); reorders x. Hoare partitions around the middle element. */
function kthSmallest(x: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = x[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (x[i] < pivot) i++;
      while (x[j] > pivot) j--;
      if (i <= j) {
        const t = x[i];
        x[i++] = x[j];
        x[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return x[k];
  }
  return x[k];
}

export function autocorrelation(x: readonly number[], lag: number): number {
  const n = x.length;
  if (lag <= 0 || lag >= n - 1) return 0;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    den += d * d;
    if (i + lag < n) num += d * (x[i + lag] - mean);
  }
  // Per-pair normalisation: the plain estimator shrinks long lags by (n − lag)/n, which would make a
  // weekly cycle look weaker than a daily one in a buffer of only a few weeks.
  return den === 0 ? 0 : num / (n - lag) / (den / n);
}

export interface PeriodCandidate {
  periodMs: number;
  acf: number;
}

/** Scores every candidate period that fits MIN_CYCLES times in the buffer. */
export function evaluatePeriods(x: readonly number[], gapMs: number): PeriodCandidate[] {
  const out: PeriodCandidate[] = [];
  if (gapMs <= 0) return out;
  for (const periodMs of [DAY_MS, WEEK_MS]) {
    const lag = Math.round(periodMs / gapMs);
    if (lag < 4 || x.length < MIN_CYCLES * lag) continue;
    out.push({ periodMs, acf: autocorrelation(x, lag) });
  }
  return out;
}

/** A period found by search (not a calendar one) must reach this autocorrelation: searching many lags finds chance peaks. */
export const FREE_MIN_AUTOCORRELATION = 0.5;

/**
 * The best cycle of any length: the lag with the highest autocorrelation among its local peaks,
 * after the autocorrelation has first dropped below zero (a smooth series is correlated with its
 * recent past at every short lag; that is not a cycle), repeating MIN_CYCLES times in the buffer.
 * O(n · n/MIN_CYCLES): run it rarely.
 */
export function freePeriod(x: readonly number[], gapMs: number): PeriodCandidate | null {
  if (gapMs <= 0) return null;
  const maxLag = Math.floor(x.length / MIN_CYCLES);
  let crossed = false;
  let prev = 1;
  const peaks: PeriodCandidate[] = [];
  let prevAcf = autocorrelation(x, 1);
  for (let lag = 2; lag <= maxLag; lag++) {
    const acf = autocorrelation(x, lag);
    if (prevAcf < 0) crossed = true;
    // prevAcf is a local peak at lag − 1 when it beats both neighbours.
    if (crossed && lag - 1 >= 4 && prevAcf > prev && prevAcf >= acf && prevAcf >= FREE_MIN_AUTOCORRELATION) peaks.push({ periodMs: (lag - 1) * gapMs, acf: prevAcf });
    prev = prevAcf;
    prevAcf = acf;
  }
  if (peaks.length === 0) return null;
  // Multiples of a cycle correlate as well as the cycle itself: take the shortest near-best peak.
  const best = Math.max(...peaks.map((p) => p.acf));
  return peaks.find((p) => p.acf >= best - FREE_PEAK_MARGIN)!;
}

/** Peaks within this much of the best autocorrelation count as equally good (multiples of one cycle). */
const FREE_PEAK_MARGIN = 0.05;
