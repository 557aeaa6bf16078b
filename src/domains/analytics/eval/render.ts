// Renders stored evaluation results (bench/results/*.json) into Markdown sections of
// docs/analytics.md, between `<!-- BEGIN generated: <id> -->` and `<!-- END generated: <id> -->`.
// The scripts write the JSON and re-render the doc; a test re-renders from the stored JSON and
// fails when the doc differs, so figures in the doc are never typed by hand.
import type { NabCvResult, NabSummary, SkabCvResult, SkabSummary } from './cross-validate.js';
import type { SkabNormalResult } from './run-benchmarks.js';

export interface AnomalyEvalRecord {
  measured: string;
  command: string;
  detectorCost?: { nsPerPoint: number; detector: string };
  nab?: NabCvResult;
  skab?: SkabCvResult;
  /** The fixed default on SKAB's anomaly-free recording (runSkabNormal); absent in older records. */
  skabNormal?: SkabNormalResult | null;
}

const f1 = (x: number | null) => (x === null ? '–' : x.toFixed(1));
const f3 = (x: number | null) => (x === null ? '–' : x.toFixed(3));
const f2 = (x: number | null) => (x === null ? '–' : x.toFixed(2));

function nabFolds(s: NabSummary, withChoice: boolean): string[] {
  const head = withChoice ? '| held-out category | files | windows found | false alarms | standard | chosen on the other six (train score) |' : '| category | files | windows found | false alarms | standard |';
  const sep = withChoice ? '|---|---|---|---|---|---|' : '|---|---|---|---|---|';
  const rows = s.folds.map((f) => {
    const base = `| ${f.fold} | ${f.files} | ${f.detectedWindows}/${f.windows} | ${f.falsePositives} | ${f1(f.standard)} |`;
    return withChoice ? `${base} \`${f.chosen}\` (${f1(f.trainStandard)}) |` : base;
  });
  return [head, sep, ...rows];
}

function skabFolds(s: SkabSummary, withChoice: boolean): string[] {
  const head = withChoice ? '| held-out files | F1 | FAR % | MAR % | chosen on the other folds (train F1 / FAR %) |' : '| files | F1 | FAR % | MAR % |';
  const sep = withChoice ? '|---|---|---|---|---|' : '|---|---|---|---|';
  const rows = s.folds.map((f) => {
    const base = `| ${f.fold} | ${f3(f.f1)} | ${f2(f.farPercent)} | ${f2(f.marPercent)} |`;
    return withChoice ? `${base} \`${f.chosen}\` (${f3(f.trainF1)} / ${f2(f.trainFarPercent)}) |` : base;
  });
  return [head, sep, ...rows];
}

export function renderAnomalyEval(r: AnomalyEvalRecord): string {
  const out: string[] = [`Measured ${r.measured} with \`${r.command}\`.`, ''];
  if (r.nab) {
    const n = r.nab;
    const cv = n.crossValidated;
    out.push(
      `**NAB**, ${n.files} files, ${n.windows} windows, leave one category out (${cv.folds.length} folds, ${n.candidates} candidate configurations${n.selection === 'mean-of-training-categories' ? '; each chosen by the mean of the other categories\' normalised scores' : n.selection === 'paired-advantage-over-default' ? '; a fold runs the default unless a candidate beats it on the other categories, category by category, by more than one standard error of the differences' : ''}); detections are alarm onsets.`,
      '',
      '| | mean of folds | worst fold | pooled (all files held out) | low FP | low FN | windows found | false alarms |',
      '|---|---|---|---|---|---|---|---|',
      `| cross-validated | ${f1(cv.meanStandard)} | ${f1(cv.worstStandard)} | ${f1(cv.pooled.standard)} | ${f1(cv.pooled.lowFp)} | ${f1(cv.pooled.lowFn)} | ${cv.pooled.detectedWindows}/${cv.pooled.windows} | ${cv.pooled.falsePositives} |`,
      `| fixed default \`${n.fixed.config}\` | ${f1(n.fixed.meanStandard)} | ${f1(n.fixed.worstStandard)} | ${f1(n.fixed.pooled.standard)} | ${f1(n.fixed.pooled.lowFp)} | ${f1(n.fixed.pooled.lowFn)} | ${n.fixed.pooled.detectedWindows}/${n.fixed.pooled.windows} | ${n.fixed.pooled.falsePositives} |`,
      '',
      'Per fold, cross-validated (a category without windows has no normalised score; its false alarms still count in the pooled score):',
      '',
      ...nabFolds(cv, true),
      '',
      'Per category, fixed default:',
      '',
      ...nabFolds(n.fixed, false),
      '',
    );
  }
  if (r.skab) {
    const s = r.skab;
    const cv = s.crossValidated;
    out.push(
      `**SKAB** valve1, ${s.files} files in ${s.foldCount} folds of consecutive files (${s.candidates} candidate configurations; chosen on the training folds: ${s.selection === 'worst-training-fold-far' ? 'best pooled F1 among those with FAR < 5 % on every training fold, else the lowest worst-fold FAR' : 'best F1 with FAR < 5 %, else lowest FAR'}); first 400 rows of each file fit, the rest scored.`,
      '',
      '| | mean F1 | worst F1 | mean FAR % | worst FAR % | pooled F1 / FAR % / MAR % |',
      '|---|---|---|---|---|---|',
      `| cross-validated | ${f3(cv.meanF1)} | ${f3(cv.worstF1)} | ${f2(cv.meanFarPercent)} | ${f2(cv.worstFarPercent)} | ${f3(cv.pooled.f1)} / ${f2(cv.pooled.farPercent)} / ${f2(cv.pooled.marPercent)} |`,
      `| fixed default \`${s.fixed.config}\` | ${f3(s.fixed.meanF1)} | ${f3(s.fixed.worstF1)} | ${f2(s.fixed.meanFarPercent)} | ${f2(s.fixed.worstFarPercent)} | ${f3(s.fixed.pooled.f1)} / ${f2(s.fixed.pooled.farPercent)} / ${f2(s.fixed.pooled.marPercent)} |`,
      '',
      ...skabFolds(cv, true),
      '',
      'Fixed default per fold:',
      '',
      ...skabFolds(s.fixed, false),
      '',
    );
    const normal = r.skabNormal;
    if (normal)
      out.push(
        `Normal operation it was not fitted on (fixed default): SKAB's anomaly-free recording in ${normal.pieces} pieces of ${normal.pieceRows} rows (a labelled file's mean length), each fit on its first 400 rows: ${normal.flaggedRows} of ${normal.scoredRows} scored rows flagged (${f2(normal.flaggedPercent)} %).`,
        '',
      );
  }
  if (r.detectorCost) out.push(`Default detector (${r.detectorCost.detector}) cost: ${r.detectorCost.nsPerPoint.toFixed(0)} ns per point.`, '');
  return out.join('\n');
}

export interface FleetEvalRecord {
  measured: string;
  command: string;
  setup: string;
  types: {
    type: string;
    series: number;
    falseAlarmsPerSeriesPerDay: number;
    anomalousPointsPercent: number;
    caught: number;
    faults: number;
    /** Episodes that began while the models were still learning (no model may alarm then); absent in older records. */
    duringLearning?: number;
    /** Of the episodes that began after the models had learned, how many were caught. */
    caughtAfterLearning?: number;
    falseAlarmsByKey: Record<string, number>;
  }[];
  faultKinds: { kind: string; caught: number; episodes: number }[];
}

const percent = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(0)}%`;

export function renderFleetEval(r: FleetEvalRecord): string {
  const learningColumn = r.types.some((t) => t.duringLearning !== undefined);
  const out = [
    `Measured ${r.measured} with \`${r.command}\`: ${r.setup}.`,
    '',
    `| device type | series | false alarms / series / day (clean fleet) | points labelled anomalous (clean) | fault episodes caught |${learningColumn ? ' caught of those begun after learning |' : ''} false alarms by key (clean, all devices) |`,
    `| --- | --- | --- | --- | --- |${learningColumn ? ' --- |' : ''} --- |`,
    ...r.types.map(
      (t) =>
        `| ${t.type} | ${t.series} | ${t.falseAlarmsPerSeriesPerDay.toFixed(2)} | ${t.anomalousPointsPercent.toFixed(2)}% | ${t.caught} of ${t.faults} (${percent(t.caught, t.faults)}) |${learningColumn ? ` ${t.caughtAfterLearning ?? '–'} of ${t.faults - (t.duringLearning ?? 0)} (${percent(t.caughtAfterLearning ?? 0, t.faults - (t.duringLearning ?? 0))}) |` : ''} ${Object.entries(t.falseAlarmsByKey).map(([k, n]) => `${k} ${n}`).join(', ') || '–'} |`,
    ),
    '',
    '| fault kind | episodes caught |',
    '| --- | --- |',
    ...r.faultKinds.map((k) => `| ${k.kind} | ${k.caught} of ${k.episodes} |`),
    '',
  ];
  return out.join('\n');
}

export interface RulEvalRecord {
  measured: string;
  command: string;
  engines: number;
  folds: number;
  capCycles: number;
  seed: number;
  rmseOneDrawPerEngine: number;
  phm08OneDrawPerEngine: number;
  draws: number;
  rmseAllDraws: number;
  testLikeDraws: number;
  rmseTestLike: number;
  phm08TestLikePer100: number;
}

export function renderRulEval(r: RulEvalRecord): string {
  return [
    `Measured ${r.measured} with \`${r.command}\`: C-MAPSS FD001, ${r.engines} engines, ${r.folds}-fold cross-validation over engines, RUL capped at ${r.capCycles} cycles, seed ${r.seed}.`,
    '',
    '| view | RMSE (cycles) | PHM08 |',
    '| --- | --- | --- |',
    `| one random truncation per held-out engine | ${r.rmseOneDrawPerEngine.toFixed(2)} | ${r.phm08OneDrawPerEngine.toFixed(0)} (sum over engines) |`,
    `| ${r.draws} truncations | ${r.rmseAllDraws.toFixed(2)} | |`,
    `| test-set-like: ${r.testLikeDraws} truncations with true RUL 7..145, uncapped truth | ${r.rmseTestLike.toFixed(2)} | ${r.phm08TestLikePer100.toFixed(0)} (per 100 predictions) |`,
    '',
  ].join('\n');
}

const begin = (id: string) => `<!-- BEGIN generated: ${id} -->`;
const end = (id: string) => `<!-- END generated: ${id} -->`;

/** The doc with the section `id` replaced by `content`; throws when its markers are missing. */
export function replaceGenerated(doc: string, id: string, content: string): string {
  const a = doc.indexOf(begin(id));
  const b = doc.indexOf(end(id));
  if (a < 0 || b < a) throw new Error(`markers for generated section "${id}" not found`);
  return doc.slice(0, a) + begin(id) + '\n' + content.trimEnd() + '\n' + doc.slice(b);
}

/** The current content of section `id` (as replaceGenerated writes it), or null. */
export function readGenerated(doc: string, id: string): string | null {
  const a = doc.indexOf(begin(id));
  const b = doc.indexOf(end(id));
  if (a < 0 || b < a) return null;
  return doc.slice(a + begin(id).length + 1, b);
}
