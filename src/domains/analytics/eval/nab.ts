// The NAB scorer as NAB v1.1 defines it (Lavin & Ahmad 2015; datasets README):
// - the first min(floor(0.15·N), 750) rows are probationary: detections there are ignored;
// - only the earliest detection in a window counts, worth A_TP·σ(y)/σ(−1), y = −(end − i + 1)/width
//   (−1 at the window's first row, ≈0 at its last), σ(y) = 2/(1 + e^{5y}) − 1;
// - a window without detection costs −A_FN;
// - a detection outside every window adds A_FP·σ(d), d = (i − end of the previous window)/its
//   width, and A_FP·(−1) if d > 3 or no window came before;
// - the corpus score is normalised: 100·(S − S_null)/(S_perfect − S_null), S_null = −A_FN·#windows,
//   S_perfect = A_TP·#windows.

export interface NabProfile {
  tp: number;
  fp: number;
  fn: number;
}

export const NAB_PROFILES: Record<'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate', NabProfile> = {
  standard: { tp: 1, fp: 0.11, fn: 1 },
  reward_low_FP_rate: { tp: 1, fp: 0.22, fn: 1 },
  reward_low_FN_rate: { tp: 1, fp: 0.11, fn: 2 },
};

export const scaledSigmoid = (y: number): number => (y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1);

export function probationRows(n: number): number {
  return Math.min(Math.floor(0.15 * n), 750);
}

/** Window [startMs, endMs] → inclusive row range, by the rows' timestamps. */
export function windowRows(timestampsMs: readonly number[], windows: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of windows) {
    const start = timestampsMs.findIndex((t) => t >= a);
    if (start < 0) continue;
    let end = start;
    while (end + 1 < timestampsMs.length && timestampsMs[end + 1] <= b) end++;
    out.push([start, end]);
  }
  return out.sort((x, y) => x[0] - y[0]);
}

export interface NabFileScore {
  score: number;
  windows: number;
  detectedWindows: number;
  falsePositives: number;
}

export function scoreNabFile(detections: readonly boolean[], windows: readonly [number, number][], profile: NabProfile): NabFileScore {
  const n = detections.length;
  const probation = probationRows(n);
  const detected = new Array<boolean>(windows.length).fill(false);
  let score = 0;
  let falsePositives = 0;
  for (let i = probation; i < n; i++) {
    if (!detections[i]) continue;
    const w = windows.findIndex(([a, b]) => i >= a && i <= b);
    if (w >= 0) {
      if (!detected[w]) {
        detected[w] = true;
        const [a, b] = windows[w];
        const width = b - a + 1;
        score += (profile.tp * scaledSigmoid(-(b - i + 1) / width)) / scaledSigmoid(-1);
      }
      continue;
    }
    falsePositives++;
    let prev = -1;
    for (let k = 0; k < windows.length; k++) if (windows[k][1] < i) prev = k;
    if (prev < 0) score += profile.fp * -1;
    else {
      const [a, b] = windows[prev];
      score += profile.fp * scaledSigmoid((i - b) / (b - a + 1));
    }
  }
  const detectedWindows = detected.filter(Boolean).length;
  score -= profile.fn * (windows.length - detectedWindows);
  return { score, windows: windows.length, detectedWindows, falsePositives };
}

/** Normalised corpus score from the per-file raw scores. */
export function normaliseNab(files: readonly NabFileScore[], profile: NabProfile): number {
  const windows = files.reduce((a, f) => a + f.windows, 0);
  const raw = files.reduce((a, f) => a + f.score, 0);
  const nullScore = -profile.fn * windows;
  const perfect = profile.tp * windows;
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}
