// A small, dependency-free CSV reader for offline scoring. Benchmarks and exports disagree on the
// separator (SKAB uses `;`, NAB `,`), so the separator is sniffed from the header line.
import { readFileSync } from 'node:fs';

export interface CsvTable {
  separator: string;
  header: string[];
  rows: string[][];
}

const CANDIDATE_SEPARATORS = [',', ';', '\t', '|'];

/** Picks the candidate that splits the header into the most fields (ties go to the comma). */
export function sniffSeparator(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const sep of CANDIDATE_SEPARATORS) {
    const count = splitLine(headerLine, sep).length;
    if (count > bestCount) {
      best = sep;
      bestCount = count;
    }
  }
  return best;
}

/** Splits one line, honouring double quotes ("a;b" stays one field, "" is an escaped quote). */
export function splitLine(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

export function parseCsv(text: string, separator?: string): CsvTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('the CSV file is empty');
  const sep = separator ?? sniffSeparator(lines[0]);
  const header = splitLine(lines[0], sep).map((h) => h.trim());
  const rows = lines.slice(1).map((l) => splitLine(l, sep));
  return { separator: sep, header, rows };
}

export function readCsvFile(path: string, separator?: string): CsvTable {
  return parseCsv(readFileSync(path, 'utf8'), separator);
}

/**
 * Timestamps as epoch ms. Accepts epoch seconds/ms numbers and ISO-like strings; a string without
 * a zone ("2014-04-01 00:05:00", as in NAB and SKAB) is read as UTC so results do not depend on
 * the machine's time zone.
 */
export function parseTimestamp(raw: string): number {
  const s = raw.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return n < 1e11 ? n * 1000 : n; // below 1e11 it can only be seconds (1e11 ms is 1973)
  }
  const iso = s.replace(' ', 'T');
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(iso);
  return Date.parse(hasZone ? iso : `${iso}Z`);
}

/** A numeric cell; empty or unparsable cells become NaN (a missing value, not an error). */
export function parseNumber(raw: string | undefined): number {
  if (raw === undefined) return NaN;
  const s = raw.trim();
  return s === '' ? NaN : Number(s);
}
