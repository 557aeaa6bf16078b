// Batch scoring of a table, point by point through the same streaming detector the live path
// uses, so offline results are causal by construction: row i is scored before row i+1 is read.
import { parseNumber, parseTimestamp, type CsvTable } from '../csv/index.js';
import { createDetector, type DetectionResult, type DetectorKind, type DetectorTuning } from './index.js';
import { BATCH_TUNING } from './config.js';

export interface BatchOptions {
  detector: DetectorKind;
  timestampColumn?: string;
  valueColumns?: string[];
  ignoreColumns?: string[];
  fitRows?: number;
  /** Core settings other than the batch defaults (BATCH_TUNING; cross-validation only). */
  tuning?: DetectorTuning;
}

export interface BatchResult {
  timestampColumn: string;
  valueColumns: string[];
  timestamps: string[];
  results: DetectionResult[];
}

/** Thrown for problems with the caller's input (bad column names…), reported as one line. */
export class InputError extends Error {}

function pickTimestampColumn(header: string[], wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (!header.includes(wanted)) throw new InputError(`timestamp column "${wanted}" not found (columns: ${header.join(', ')})`);
    return wanted;
  }
  if (header.includes('timestamp')) return 'timestamp';
  // SKAB calls it "datetime"; any single obvious time column is accepted when none is named.
  const guess = header.find((h) => /^(datetime|time|date|ts)$/i.test(h));
  if (!guess) throw new InputError(`no "timestamp" column; name one with --timestamp-column (columns: ${header.join(', ')})`);
  return guess;
}

export function scoreTable(table: CsvTable, opts: BatchOptions): BatchResult {
  const { header, rows } = table;
  const tsCol = pickTimestampColumn(header, opts.timestampColumn);
  const ignore = new Set(opts.ignoreColumns ?? []);
  for (const c of ignore) if (!header.includes(c)) throw new InputError(`ignored column "${c}" not found`);
  const valueCols = opts.valueColumns ?? header.filter((h) => h !== tsCol && !ignore.has(h));
  if (valueCols.length === 0) throw new InputError('no value columns to score');
  const idx = valueCols.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new InputError(`value column "${c}" not found (columns: ${header.join(', ')})`);
    return i;
  });
  const tsIdx = header.indexOf(tsCol);
  const tuning: DetectorTuning = { ...BATCH_TUNING, ...opts.tuning, shape: { ...BATCH_TUNING.shape, ...opts.tuning?.shape } };
  const detector = createDetector(opts.detector, valueCols, { fitPoints: opts.fitRows, tuning });
  const values = new Array<number>(idx.length);
  const timestamps: string[] = [];
  const results: DetectionResult[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const rawTs = (row[tsIdx] ?? '').trim();
    const ts = parseTimestamp(rawTs);
    if (!Number.isFinite(ts)) throw new InputError(`row ${r + 2}: unreadable timestamp "${rawTs}"`);
    for (let j = 0; j < idx.length; j++) values[j] = parseNumber(row[idx[j]]);
    timestamps.push(rawTs);
    results.push(detector.update(ts, values));
  }
  return { timestampColumn: tsCol, valueColumns: valueCols, timestamps, results };
}

const fmt = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : '');
const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** `timestamp,score,is_anomaly,alarm,key,expected_low,expected_high,observed`, comma-separated. */
export function formatScores(result: BatchResult): string {
  const lines = ['timestamp,score,is_anomaly,alarm,key,expected_low,expected_high,observed'];
  for (let i = 0; i < result.results.length; i++) {
    const r = result.results[i];
    const e = r.explanation;
    const explanation = e ? [quote(e.key), fmt(e.expected[0]), fmt(e.expected[1]), fmt(e.observed)].join(',') : ',,,';
    lines.push(`${quote(result.timestamps[i])},${r.score.toFixed(6)},${r.isAnomaly ? 1 : 0},${r.alarm ? 1 : 0},${explanation}`);
  }
  return lines.join('\n') + '\n';
}
