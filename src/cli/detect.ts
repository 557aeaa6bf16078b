// `vigil detect`: offline, causal batch scoring of a CSV file with the streaming detectors.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readCsvFile } from '../domains/analytics/csv/index.js';
import { DETECTOR_KINDS, type DetectorKind } from '../domains/analytics/detectors/index.js';
import { InputError, formatScores, scoreTable } from '../domains/analytics/detectors/batch.js';
import { MULTIVARIATE } from '../domains/analytics/detectors/config.js';

const HELP = `usage: vigil detect --input series.csv [options]

Scores every row of a CSV file (separator , ; tab or | sniffed from the header) with a streaming
detector. Causal: the output for row i depends only on rows 1..i.

options:
  --input FILE               CSV file to score (required)
  --output FILE              where to write scores (default: standard output)
  --timestamp-column NAME    time column (default: "timestamp", else datetime/time/date)
  --value-columns a,b        columns to score (default: all but timestamp and ignored ones)
  --ignore-columns a,b       columns to leave out, e.g. labels: anomaly,changepoint
  --detector KIND            auto | robust | seasonal | multivariate | relational (default: auto)
  --fit-rows N               first N rows only train the model (default: 400)
  --separator C              force the separator instead of sniffing it
  -h, --help                 this text

output columns: timestamp,score,is_anomaly,alarm,key,expected_low,expected_high,observed
  score in [0,1]; is_anomaly 0/1 per row; alarm 1 on the row that opens a new incident;
  key/expected_low/expected_high/observed explain which column looked wrong and why.`;

/** The fit period when --fit-rows is not given (the detectors' own default). */
const DEFAULT_FIT_ROWS = MULTIVARIATE.fitPoints;

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((c) => c.trim()).filter(Boolean));

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        input: { type: 'string' },
        output: { type: 'string' },
        'timestamp-column': { type: 'string' },
        'value-columns': { type: 'string' },
        'ignore-columns': { type: 'string' },
        detector: { type: 'string', default: 'auto' },
        'fit-rows': { type: 'string' },
        separator: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`vigil detect: ${(err as Error).message} (see --help)`);
    return 2;
  }
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  if (!args.input) {
    console.error('vigil detect: --input is required (see --help)');
    return 2;
  }
  const kind = args.detector as DetectorKind;
  if (!DETECTOR_KINDS.includes(kind)) {
    console.error(`vigil detect: --detector must be one of ${DETECTOR_KINDS.join(', ')}, not "${args.detector}"`);
    return 2;
  }
  let fitRows: number | undefined;
  if (args['fit-rows'] !== undefined) {
    fitRows = Number(args['fit-rows']);
    if (!Number.isInteger(fitRows) || fitRows < 0) {
      console.error(`vigil detect: --fit-rows must be a non-negative integer, not "${args['fit-rows']}"`);
      return 2;
    }
  }
  try {
    const table = readCsvFile(args.input, args.separator);
    const result = scoreTable(table, {
      detector: kind,
      timestampColumn: args['timestamp-column'],
      valueColumns: list(args['value-columns']),
      ignoreColumns: list(args['ignore-columns']),
      fitRows,
    });
    const learningRows = result.results.filter((r) => r.warmingUp).length;
    if (learningRows > 0 && learningRows === result.results.length) {
      // Scores of 0 on every row look like "nothing unusual"; they mean "nothing judged yet".
      console.error(
        `vigil detect: warning: the detector was still learning on all ${learningRows} rows (the first ${fitRows ?? DEFAULT_FIT_ROWS} ` +
          'rows only train the model, --fit-rows), so every score is 0; give a longer file or a smaller --fit-rows',
      );
    }
    const text = formatScores(result);
    if (args.output && args.output !== '-') writeFileSync(args.output, text);
    else process.stdout.write(text);
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof InputError) console.error(`vigil detect: ${e.message}`);
    else if (e.code === 'ENOENT') console.error(`vigil detect: cannot read ${e.path ?? args.input}: no such file`);
    else console.error(`vigil detect: ${e.message}`);
    return 1;
  }
}
