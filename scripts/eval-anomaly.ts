// `npm run eval:anomaly -- <datasets dir | SKAB dir | NAB dir> [--detector auto|robust|seasonal|multivariate|all]
//   [--record anomaly] [--no-record]`
// Scores the labelled benchmarks through the same path as `vigil detect` (read CSV → scoreTable)
// and prints our figures beside the published ones, for the one fixed configuration. Then
// cross-validates (NAB: leave one category out; SKAB: folds of consecutive files), writes the
// figures to bench/results/<record>.json and re-renders the `eval-<record>` section of
// docs/analytics.md from that file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DETECTOR_KINDS, type DetectorKind } from '../src/domains/analytics/detectors/index.js';
import { NAB_BOARD, SKAB_VALVE1 } from '../src/domains/analytics/eval/published.js';
import { runNab, runSkab, runSkabNormal, type SkabNormalResult } from '../src/domains/analytics/eval/run-benchmarks.js';
import { crossValidateNab, crossValidateSkab, type NabCvResult, type SkabCvResult } from '../src/domains/analytics/eval/cross-validate.js';
import { renderAnomalyEval, replaceGenerated, type AnomalyEvalRecord } from '../src/domains/analytics/eval/render.js';
import { NAB_GRID, SKAB_GRID, SKAB_FOLDS } from '../src/domains/analytics/eval/grids.js';

export const ANALYTICS_DOC = 'docs/analytics.md';
export const resultPath = (record: string) => join('bench', 'results', `${record}.json`);

const isSkab = (dir: string) => existsSync(join(dir, 'data', 'valve1')) || (basename(dir) === 'SKAB' && existsSync(join(dir, 'data')));
const isNab = (dir: string) => existsSync(join(dir, 'labels', 'combined_windows.json'));

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => '| ' + r.map((v, c) => v.padEnd(widths[c])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

/** Published NAB scores from the dataset's results file, else the README's scoreboard. */
function nabBoard(nabDir: string) {
  const file = join(nabDir, 'results', 'final_results.json');
  if (!existsSync(file)) return NAB_BOARD;
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, number>>;
  return Object.entries(json)
    .map(([name, s]) => ({ name, standard: s.standard, lowFp: s.reward_low_FP_rate, lowFn: s.reward_low_FN_rate }))
    .sort((a, b) => b.standard - a.standard);
}

function evalSkab(dir: string, kinds: DetectorKind[]): void {
  console.log(`\nSKAB (${dir}): first 400 rows of each file fit, the rest scored; TP/FP/TN/FN pooled over files`);
  const rows: (string | number)[][] = [];
  for (const kind of kinds) {
    const t0 = performance.now();
    const r = runSkab(dir, kind);
    const m = r.metrics;
    rows.push([`Vigil ${kind}`, m.precision.toFixed(3), m.recall.toFixed(3), m.f1.toFixed(3), m.farPercent.toFixed(2), m.marPercent.toFixed(2), `${r.files} files, ${((performance.now() - t0) / 1000).toFixed(1)} s`]);
  }
  for (const p of SKAB_VALVE1) rows.push([`${p.name} (published, valve1)`, '', '', p.f1.toFixed(2), p.farPercent.toFixed(2), p.marPercent.toFixed(2), '']);
  console.log(table(['detector', 'precision', 'recall', 'F1', 'FAR %', 'MAR %', 'note'], rows));
}

function evalNab(dir: string, kinds: DetectorKind[]): void {
  console.log(`\nNAB (${dir}): normalised scores over the files present; alarm onsets are the detections`);
  const rows: (string | number)[][] = [];
  for (const kind of kinds) {
    const t0 = performance.now();
    const r = runNab(dir, kind);
    rows.push([`Vigil ${kind}`, r.standard.toFixed(1), r.lowFp.toFixed(1), r.lowFn.toFixed(1), `${r.detectedWindows}/${r.windows} windows, ${r.falsePositives} FP, ${r.files} files, ${((performance.now() - t0) / 1000).toFixed(1)} s`]);
  }
  for (const p of nabBoard(dir)) rows.push([`${p.name} (published, whole corpus)`, p.standard.toFixed(1), p.lowFp.toFixed(1), p.lowFn.toFixed(1), '']);
  console.log(table(['detector', 'standard', 'low FP', 'low FN', 'note'], rows));
}

function main(): number {
  const { values, positionals } = parseArgs({
    options: { detector: { type: 'string', default: 'auto' }, record: { type: 'string', default: 'anomaly' }, 'no-record': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const dir = resolve(positionals[0] ?? '../shared/datasets');
  const kinds = values.detector === 'all' ? DETECTOR_KINDS.slice() : [values.detector as DetectorKind];
  if (!kinds.every((k) => DETECTOR_KINDS.includes(k))) {
    console.error(`eval-anomaly: --detector must be all or one of ${DETECTOR_KINDS.join(', ')}`);
    return 2;
  }
  const targets = [dir, join(dir, 'SKAB'), join(dir, 'NAB')];
  let found = 0;
  let nab: NabCvResult | undefined;
  let skab: SkabCvResult | undefined;
  let skabNormal: SkabNormalResult | null = null;
  for (const d of targets) {
    if (!existsSync(d)) continue;
    if (isSkab(d)) {
      evalSkab(d, kinds);
      found++;
      skab = crossValidateSkab(d, 'auto', SKAB_GRID.candidates, SKAB_GRID.fixedIndex, SKAB_FOLDS);
      skabNormal = runSkabNormal(d, 'auto');
      if (skabNormal) console.log(`\nSKAB anomaly-free recording in ${skabNormal.pieces} pieces of ${skabNormal.pieceRows} rows: ${skabNormal.flaggedPercent.toFixed(2)} % of scored rows flagged`);
      console.log(`\nSKAB cross-validated: mean F1 ${skab.crossValidated.meanF1.toFixed(3)}, worst ${skab.crossValidated.worstF1.toFixed(3)}, mean FAR ${skab.crossValidated.meanFarPercent.toFixed(2)} %, worst ${skab.crossValidated.worstFarPercent.toFixed(2)} %`);
    } else if (isNab(d)) {
      evalNab(d, kinds);
      found++;
      nab = crossValidateNab(d, 'auto', NAB_GRID.candidates, NAB_GRID.fixedIndex);
      console.log(`\nNAB cross-validated: mean of folds ${nab.crossValidated.meanStandard.toFixed(1)}, worst ${nab.crossValidated.worstStandard.toFixed(1)}, pooled ${nab.crossValidated.pooled.standard.toFixed(1)}`);
    }
  }
  if (found === 0) {
    console.error(`eval-anomaly: no SKAB or NAB dataset found in ${dir}`);
    return 1;
  }
  if (!values['no-record']) {
    const record: AnomalyEvalRecord = { measured: new Date().toISOString().slice(0, 10), command: `npm run eval:anomaly -- ${positionals[0] ?? '../shared/datasets'}${values.record === 'anomaly' ? '' : ` --record ${values.record}`}`, nab, skab, skabNormal };
    const path = resultPath(values.record!);
    mkdirSync(join('bench', 'results'), { recursive: true });
    writeFileSync(path, JSON.stringify(record, null, 2) + '\n');
    writeFileSync(ANALYTICS_DOC, replaceGenerated(readFileSync(ANALYTICS_DOC, 'utf8'), `eval-${values.record}`, renderAnomalyEval(record)));
    console.log(`\nwrote ${path} and its section in ${ANALYTICS_DOC}`);
  }
  return 0;
}

if (process.argv[1]?.endsWith('eval-anomaly.js')) process.exitCode = main();
