export { parseCsv, readCsvFile, sniffSeparator, splitLine, parseTimestamp, parseNumber } from './read-csv.js';
export type { CsvTable } from './read-csv.js';
