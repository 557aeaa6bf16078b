// Runs a detector over the labelled benchmarks in a datasets directory, through the same batch
// path as `vigil detect` (read CSV → scoreTable), and scores the output.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseTimestamp, readCsvFile } from '../csv/index.js';
import { scoreTable } from '../detectors/batch.js';
import type { DetectorKind } from '../detectors/index.js';
import { addConfusion, emptyConfusion, skabMetrics, type Confusion, type SkabMetrics } from './skab.js';
import { NAB_PROFILES, normaliseNab, scoreNabFile, windowRows, type NabFileScore } from './nab.js';

/** SKAB's protocol: the first 400 rows of each file fit the model, the rest are scored. */
export const SKAB_FIT_ROWS = 400;
const SKAB_LABEL_COLUMNS = ['anomaly', 'changepoint'];

export interface SkabResult {
  files: number;
  rows: number;
  confusion: Confusion;
  metrics: SkabMetrics;
}

/** Directories of SKAB CSVs with labels (everything under data/ except anomaly-free). */
export function skabFiles(skabDir: string): string[] {
  const data = join(skabDir, 'data');
  const files: string[] = [];
  for (const sub of readdirSync(data).sort()) {
    if (sub === 'anomaly-free' || !statSync(join(data, sub)).isDirectory()) continue;
    const names = readdirSync(join(data, sub)).filter((f) => f.endsWith('.csv'));
    names.sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
    for (const f of names) files.push(join(data, sub, f));
  }
  return files;
}

export function runSkab(skabDir: string, detector: DetectorKind): SkabResult {
  const confusion = emptyConfusion();
  const files = skabFiles(skabDir);
  let rows = 0;
  for (const file of files) {
    const table = readCsvFile(file);
    const result = scoreTable(table, { detector, ignoreColumns: SKAB_LABEL_COLUMNS, fitRows: SKAB_FIT_ROWS });
    const labelIdx = table.header.indexOf('anomaly');
    const labels = table.rows.map((r) => Number(r[labelIdx]) === 1);
    addConfusion(confusion, labels, result.results.map((r) => r.isAnomaly), SKAB_FIT_ROWS);
    rows += table.rows.length;
  }
  return { files: files.length, rows, confusion, metrics: skabMetrics(confusion) };
}

/** SKAB's anomaly-free recording, scored in pieces the length of a labelled file. */
export interface SkabNormalResult {
  pieces: number;
  pieceRows: number;
  scoredRows: number;
  flaggedRows: number;
  flaggedPercent: number;
}

/**
 * False alarms on normal operation the model was not fitted on: SKAB's anomaly-free recording
 * (2.6 hours) is cut into consecutive pieces as long as the mean labelled file, and each piece is
 * scored like a benchmark file (its first 400 rows fit, the rest judged). valve1's own normal rows
 * sit next to their faults and say little about how a model fitted on 400 seconds copes with the
 * ordinary drift of the next quarter hour; this does. Null when the recording is not there.
 */
export function runSkabNormal(skabDir: string, detector: DetectorKind): SkabNormalResult | null {
  const path = join(skabDir, 'data', 'anomaly-free', 'anomaly-free.csv');
  const files = skabFiles(skabDir);
  if (!existsSync(path) || files.length === 0) return null;
  const pieceRows = Math.round(files.reduce((a, f) => a + readCsvFile(f).rows.length, 0) / files.length);
  const table = readCsvFile(path);
  let pieces = 0;
  let scoredRows = 0;
  let flaggedRows = 0;
  for (let start = 0; start + pieceRows <= table.rows.length; start += pieceRows) {
    const result = scoreTable({ ...table, rows: table.rows.slice(start, start + pieceRows) }, { detector, fitRows: SKAB_FIT_ROWS });
    for (let i = SKAB_FIT_ROWS; i < pieceRows; i++) if (result.results[i].isAnomaly) flaggedRows++;
    scoredRows += pieceRows - SKAB_FIT_ROWS;
    pieces++;
  }
  return { pieces, pieceRows, scoredRows, flaggedRows, flaggedPercent: scoredRows ? (100 * flaggedRows) / scoredRows : 0 };
}

export interface NabResult {
  files: number;
  rows: number;
  windows: number;
  detectedWindows: number;
  falsePositives: number;
  standard: number;
  lowFp: number;
  lowFn: number;
  perFile: { file: string; standard: NabFileScore }[];
}

export function runNab(nabDir: string, detector: DetectorKind): NabResult {
  const windowsByFile = JSON.parse(readFileSync(join(nabDir, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const perProfile: Record<keyof typeof NAB_PROFILES, NabFileScore[]> = { standard: [], reward_low_FP_rate: [], reward_low_FN_rate: [] };
  const perFile: NabResult['perFile'] = [];
  let rows = 0;
  for (const name of Object.keys(windowsByFile).sort()) {
    const path = join(nabDir, 'data', name);
    if (!existsSync(path)) continue;
    const table = readCsvFile(path);
    const result = scoreTable(table, { detector });
    const ts = result.timestamps.map(parseTimestamp);
    const windows = windowRows(ts, windowsByFile[name].map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)]));
    // NAB counts detections: a live system notifies once per incident, so the alarm onsets are
    // what we submit (is_anomaly stays up for the whole incident; every such row would be a
    // separate detection to NAB).
    const detections = result.results.map((r) => r.alarm);
    for (const p of Object.keys(perProfile) as (keyof typeof NAB_PROFILES)[]) perProfile[p].push(scoreNabFile(detections, windows, NAB_PROFILES[p]));
    perFile.push({ file: name, standard: perProfile.standard[perProfile.standard.length - 1] });
    rows += table.rows.length;
  }
  const std = perProfile.standard;
  return {
    files: std.length,
    rows,
    windows: std.reduce((a, f) => a + f.windows, 0),
    detectedWindows: std.reduce((a, f) => a + f.detectedWindows, 0),
    falsePositives: std.reduce((a, f) => a + f.falsePositives, 0),
    standard: normaliseNab(std, NAB_PROFILES.standard),
    lowFp: normaliseNab(perProfile.reward_low_FP_rate, NAB_PROFILES.reward_low_FP_rate),
    lowFn: normaliseNab(perProfile.reward_low_FN_rate, NAB_PROFILES.reward_low_FN_rate),
    perFile,
  };
}
