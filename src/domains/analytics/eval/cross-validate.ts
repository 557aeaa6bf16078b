// Cross-validation of the detectors across benchmark files, so that the figures we report are
// measured on files no parameter was chosen on. Every candidate configuration (core settings ×
// alarm policy) is scored on every file once; for each fold the candidate with the best score on
// the other folds is chosen and judged on the held-out fold. The fixed default configuration is
// reported beside it, per fold as well, because that is what `vigil detect` and the live path run.
//
// Cost: one detector pass per file and core setting; the alarm policy is re-applied to the stored
// scores (stepAlarm is the same function the detector uses), so a policy grid is nearly free.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseTimestamp, readCsvFile } from '../csv/index.js';
import { scoreTable } from '../detectors/batch.js';
import { newAlarmState, stepAlarm, type AlarmPolicy } from '../detectors/alarm-policy.js';
import type { DetectorKind, DetectorTuning } from '../detectors/index.js';
import { NAB_PROFILES, normaliseNab, scoreNabFile, windowRows, type NabFileScore } from './nab.js';
import { addConfusion, emptyConfusion, skabMetrics, type Confusion } from './skab.js';
import { SKAB_FIT_ROWS, skabFiles } from './run-benchmarks.js';

export interface Candidate {
  name: string;
  tuning?: DetectorTuning;
  policy: AlarmPolicy;
}

export interface CoreVariant {
  name: string;
  tuning?: DetectorTuning;
}

/** Every (core variant × policy) pair, named "<core> <policy>". */
export function grid(cores: CoreVariant[], policies: AlarmPolicy[]): Candidate[] {
  const out: Candidate[] = [];
  for (const c of cores) for (const p of policies) out.push({ name: `${c.name} ${policyName(p)}`.trim(), tuning: c.tuning, policy: p });
  return out;
}

export function policyName(p: AlarmPolicy): string {
  return `thr=${p.threshold} exit=${p.exitThreshold} persist=${p.persistence} refr=${p.refractoryPoints}`;
}

interface ScoredRows {
  scores: Float64Array;
  /** 1 where the detector was still learning (not judged). */
  learning: Uint8Array;
}

/** The alarm policy over stored scores, exactly as the detector applies it live. */
export function applyPolicy(rows: ScoredRows, policy: AlarmPolicy): { isAnomaly: boolean[]; alarm: boolean[] } {
  const n = rows.scores.length;
  const isAnomaly = new Array<boolean>(n).fill(false);
  const alarm = new Array<boolean>(n).fill(false);
  const state = newAlarmState();
  for (let i = 0; i < n; i++) {
    if (rows.learning[i]) continue;
    const r = stepAlarm(state, policy, rows.scores[i]);
    isAnomaly[i] = r.isAnomaly;
    alarm[i] = r.alarm;
  }
  return { isAnomaly, alarm };
}

function scoreRows(table: ReturnType<typeof readCsvFile>, detector: DetectorKind, tuning: DetectorTuning | undefined, ignore: string[], fitRows?: number): ScoredRows & { timestamps: string[] } {
  const r = scoreTable(table, { detector, tuning, ignoreColumns: ignore, fitRows });
  const scores = new Float64Array(r.results.length);
  const learning = new Uint8Array(r.results.length);
  r.results.forEach((x, i) => ((scores[i] = x.score), (learning[i] = x.warmingUp ? 1 : 0)));
  return { scores, learning, timestamps: r.timestamps };
}

/** Groups candidates by core variant so each file is scored once per core setting. */
function byCore(candidates: Candidate[]): Map<string, { tuning?: DetectorTuning; indices: number[] }> {
  const m = new Map<string, { tuning?: DetectorTuning; indices: number[] }>();
  candidates.forEach((c, i) => {
    const key = JSON.stringify(c.tuning ?? null);
    if (!m.has(key)) m.set(key, { tuning: c.tuning, indices: [] });
    m.get(key)!.indices.push(i);
  });
  return m;
}

// ---------------------------------------------------------------- NAB

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * The candidate a fold runs, from each candidate's scores on the training categories: the default
 * unless another candidate beats it category by category by more than one standard error of those
 * differences (then the one with the best mean among such). With six training categories a
 * candidate that gains a lot on one and loses on the others would otherwise win on its mean; that
 * is the "helps one file, hurts the others" noise a fixed configuration must not follow.
 */
export function chooseOverDefault(perCategory: number[][], defaultIndex: number): number {
  const base = perCategory[defaultIndex];
  let best = defaultIndex;
  perCategory.forEach((scores, i) => {
    if (i === defaultIndex || scores.length < 2) return;
    const diff = scores.map((s, c) => s - base[c]);
    const m = mean(diff);
    const se = Math.sqrt(diff.reduce((a, d) => a + (d - m) * (d - m), 0) / (diff.length - 1) / diff.length);
    if (m > se && mean(scores) > mean(perCategory[best])) best = i;
  });
  return best;
}

export interface NabFold {
  fold: string;
  files: number;
  windows: number;
  /** Chosen on the other folds (null for the fixed configuration). */
  chosen: string | null;
  /** Normalised standard score of the chosen candidate on the training folds. */
  trainStandard: number | null;
  /** Normalised standard score on this fold; null when the fold has no window (score undefined). */
  standard: number | null;
  detectedWindows: number;
  falsePositives: number;
}

export interface NabSummary {
  folds: NabFold[];
  /** Mean and worst of the folds that have windows. */
  meanStandard: number;
  worstStandard: number;
  /** Every file scored with the candidate chosen without its fold, normalised over all files. */
  pooled: { standard: number; lowFp: number; lowFn: number; detectedWindows: number; windows: number; falsePositives: number };
}

export interface NabCvResult {
  files: number;
  windows: number;
  candidates: number;
  fixed: NabSummary & { config: string };
  crossValidated: NabSummary;
  /**
   * How a fold's configuration was chosen; absent in older records (pooled score of the other
   * categories). 'mean-of-training-categories': the best mean of their scores (until the third
   * round of issue 15); 'paired-advantage-over-default': see chooseOverDefault.
   */
  selection?: 'mean-of-training-categories' | 'paired-advantage-over-default';
}

type Profiles = Record<keyof typeof NAB_PROFILES, NabFileScore>;

export function crossValidateNab(nabDir: string, detector: DetectorKind, candidates: Candidate[], fixedIndex: number): NabCvResult {
  const windowsByFile = JSON.parse(readFileSync(join(nabDir, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const names = Object.keys(windowsByFile).sort();
  const files: { name: string; fold: string; outcomes: Profiles[] }[] = [];
  const tables = names.map((name) => {
    try {
      return readCsvFile(join(nabDir, 'data', name));
    } catch {
      return null; // file not in this subset
    }
  });
  const cores = byCore(candidates);
  names.forEach((name, f) => {
    const table = tables[f];
    if (!table) return;
    const outcomes = new Array<Profiles>(candidates.length);
    let windows: [number, number][] | null = null;
    for (const { tuning, indices } of cores.values()) {
      const rows = scoreRows(table, detector, tuning, []);
      windows ??= windowRows(rows.timestamps.map(parseTimestamp), windowsByFile[name].map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)]));
      for (const i of indices) {
        const { alarm } = applyPolicy(rows, candidates[i].policy);
        outcomes[i] = {
          standard: scoreNabFile(alarm, windows, NAB_PROFILES.standard),
          reward_low_FP_rate: scoreNabFile(alarm, windows, NAB_PROFILES.reward_low_FP_rate),
          reward_low_FN_rate: scoreNabFile(alarm, windows, NAB_PROFILES.reward_low_FN_rate),
        };
      }
    }
    files.push({ name, fold: basename(dirname(name)) || dirname(name), outcomes });
  });
  const folds = [...new Set(files.map((f) => f.fold))].sort();
  const summarise = (choice: (fold: string) => { index: number; train: number | null }, fixed: boolean): NabSummary => {
    const foldRows: NabFold[] = [];
    const pooled: Profiles[] = [];
    for (const fold of folds) {
      const { index, train } = choice(fold);
      const held = files.filter((f) => f.fold === fold).map((f) => f.outcomes[index]);
      pooled.push(...held);
      const std = held.map((h) => h.standard);
      const windows = std.reduce((a, s) => a + s.windows, 0);
      foldRows.push({
        fold,
        files: held.length,
        windows,
        chosen: fixed ? null : candidates[index].name,
        trainStandard: train,
        standard: windows > 0 ? normaliseNab(std, NAB_PROFILES.standard) : null,
        detectedWindows: std.reduce((a, s) => a + s.detectedWindows, 0),
        falsePositives: std.reduce((a, s) => a + s.falsePositives, 0),
      });
    }
    const scored = foldRows.filter((r) => r.standard !== null).map((r) => r.standard!);
    const std = pooled.map((p) => p.standard);
    return {
      folds: foldRows,
      meanStandard: scored.reduce((a, b) => a + b, 0) / Math.max(1, scored.length),
      worstStandard: Math.min(...scored),
      pooled: {
        standard: normaliseNab(std, NAB_PROFILES.standard),
        lowFp: normaliseNab(pooled.map((p) => p.reward_low_FP_rate), NAB_PROFILES.reward_low_FP_rate),
        lowFn: normaliseNab(pooled.map((p) => p.reward_low_FN_rate), NAB_PROFILES.reward_low_FN_rate),
        detectedWindows: std.reduce((a, s) => a + s.detectedWindows, 0),
        windows: std.reduce((a, s) => a + s.windows, 0),
        falsePositives: std.reduce((a, s) => a + s.falsePositives, 0),
      },
    };
  };
  const cv = summarise((fold) => {
    const train = files.filter((f) => f.fold !== fold);
    // Each training category counts alike (its normalised score), as the held-out category will:
    // pooling let the categories with the most windows decide alone. A category without windows
    // has no normalised score of its own and does not vote.
    const trainCategories = folds
      .filter((g) => g !== fold)
      .map((g) => train.filter((f) => f.fold === g))
      .filter((fs) => fs.some((f) => f.outcomes[0]!.standard.windows > 0));
    const perCategory = candidates.map((_, i) => trainCategories.map((fs) => normaliseNab(fs.map((f) => f.outcomes[i]!.standard), NAB_PROFILES.standard)));
    const index = chooseOverDefault(perCategory, fixedIndex);
    return { index, train: mean(perCategory[index]) };
  }, false);
  const fixed = summarise(() => ({ index: fixedIndex, train: null }), true);
  return {
    files: files.length,
    windows: files.reduce((a, f) => a + f.outcomes[fixedIndex].standard.windows, 0),
    candidates: candidates.length,
    selection: 'paired-advantage-over-default',
    fixed: { ...fixed, config: candidates[fixedIndex].name },
    crossValidated: cv,
  };
}

// ---------------------------------------------------------------- SKAB

export interface SkabFold {
  fold: string;
  files: number;
  chosen: string | null;
  trainF1: number | null;
  trainFarPercent: number | null;
  f1: number;
  farPercent: number;
  marPercent: number;
}

export interface SkabSummary {
  folds: SkabFold[];
  meanF1: number;
  worstF1: number;
  meanFarPercent: number;
  worstFarPercent: number;
  pooled: { f1: number; farPercent: number; marPercent: number };
}

export interface SkabCvResult {
  files: number;
  candidates: number;
  foldCount: number;
  /** How a fold's configuration was chosen; absent in older records (FAR pooled over the training folds). */
  selection?: 'worst-training-fold-far';
  fixed: SkabSummary & { config: string };
  crossValidated: SkabSummary;
}

/** FAR above which a configuration is out of bounds when choosing on training folds (the target). */
export const SKAB_FAR_BOUND_PERCENT = 5;

/** Best F1 among the candidates whose training FAR (the worst training fold's) is below the bound; else the lowest FAR. */
export function chooseSkab(metrics: { f1: number; farPercent: number }[]): number {
  const ok = metrics.map((m, i) => ({ m, i })).filter(({ m }) => m.farPercent < SKAB_FAR_BOUND_PERCENT);
  if (ok.length) return ok.reduce((b, x) => (x.m.f1 > b.m.f1 ? x : b)).i;
  return metrics.reduce((b, m, i) => (m.farPercent < metrics[b].farPercent ? i : b), 0);
}

const LABEL_COLUMNS = ['anomaly', 'changepoint'];

export function crossValidateSkab(skabDir: string, detector: DetectorKind, candidates: Candidate[], fixedIndex: number, foldCount: number): SkabCvResult {
  const paths = skabFiles(skabDir);
  const cores = byCore(candidates);
  // Contiguous blocks of files: neighbouring files of one testbed share conditions, so
  // interleaved folds would leak them.
  const foldOf = (f: number) => Math.floor((f * foldCount) / paths.length);
  const outcomes: Confusion[][] = paths.map((path) => {
    const table = readCsvFile(path);
    const labelIdx = table.header.indexOf('anomaly');
    const labels = table.rows.map((r) => Number(r[labelIdx]) === 1);
    const out = new Array<Confusion>(candidates.length);
    for (const { tuning, indices } of cores.values()) {
      const rows = scoreRows(table, detector, tuning, LABEL_COLUMNS, SKAB_FIT_ROWS);
      for (const i of indices) out[i] = addConfusion(emptyConfusion(), labels, applyPolicy(rows, candidates[i].policy).isAnomaly, SKAB_FIT_ROWS);
    }
    return out;
  });
  const sum = (cs: Confusion[]) => cs.reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, tn: a.tn + c.tn, fn: a.fn + c.fn }), emptyConfusion());
  const foldLabel = (k: number) => {
    const ids = paths.map((p, f) => (foldOf(f) === k ? basename(dirname(p)) + '/' + basename(p, '.csv') : null)).filter(Boolean) as string[];
    return `${ids[0]}…${ids[ids.length - 1]}`;
  };
  const summarise = (choice: (k: number) => { index: number; train: { f1: number; farPercent: number } | null }, fixed: boolean): SkabSummary => {
    const folds: SkabFold[] = [];
    const pooled: Confusion[] = [];
    for (let k = 0; k < foldCount; k++) {
      const { index, train } = choice(k);
      const held = outcomes.filter((_, f) => foldOf(f) === k).map((o) => o[index]);
      pooled.push(...held);
      const m = skabMetrics(sum(held));
      folds.push({ fold: foldLabel(k), files: held.length, chosen: fixed ? null : candidates[index].name, trainF1: train?.f1 ?? null, trainFarPercent: train?.farPercent ?? null, f1: m.f1, farPercent: m.farPercent, marPercent: m.marPercent });
    }
    const p = skabMetrics(sum(pooled));
    return {
      folds,
      meanF1: folds.reduce((a, f) => a + f.f1, 0) / folds.length,
      worstF1: Math.min(...folds.map((f) => f.f1)),
      meanFarPercent: folds.reduce((a, f) => a + f.farPercent, 0) / folds.length,
      worstFarPercent: Math.max(...folds.map((f) => f.farPercent)),
      pooled: { f1: p.f1, farPercent: p.farPercent, marPercent: p.marPercent },
    };
  };
  const cv = summarise((k) => {
    const train = outcomes.filter((_, f) => foldOf(f) !== k);
    const trainFolds = [...new Set(paths.map((_, f) => foldOf(f)))].filter((g) => g !== k);
    // A candidate must keep its false alarms down on every training fold, not only on their
    // pool: a configuration that is quiet on average but loud on one group of files is exactly
    // what failed on unseen files.
    const metrics = candidates.map((_, i) => {
      const pooled = skabMetrics(sum(train.map((o) => o[i])));
      const worstFar = Math.max(...trainFolds.map((g) => skabMetrics(sum(outcomes.filter((_, f) => foldOf(f) === g).map((o) => o[i]))).farPercent));
      return { f1: pooled.f1, farPercent: worstFar, pooledFar: pooled.farPercent };
    });
    const index = chooseSkab(metrics);
    return { index, train: { f1: metrics[index].f1, farPercent: metrics[index].pooledFar } };
  }, false);
  const fixed = summarise(() => ({ index: fixedIndex, train: null }), true);
  return { files: paths.length, candidates: candidates.length, foldCount, selection: 'worst-training-fold-far', fixed: { ...fixed, config: candidates[fixedIndex].name }, crossValidated: cv };
}
