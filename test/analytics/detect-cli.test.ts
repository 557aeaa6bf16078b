import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/detect.js';
import { parseCsv, parseTimestamp, sniffSeparator } from '../../src/domains/analytics/csv/index.js';
import { scoreTable } from '../../src/domains/analytics/detectors/batch.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));

/** A SKAB-shaped file: `;` separator, a datetime column, two sensors and two label columns. */
function skabLike(rows: number): string {
  const lines = ['datetime;flow;current;anomaly;changepoint'];
  for (let i = 0; i < rows; i++) {
    const t = new Date(Date.UTC(2020, 2, 9, 10, 0, i)).toISOString().slice(0, 19).replace('T', ' ');
    const fault = i >= 500 && i < 560;
    const flow = 32 + Math.sin(i * 1.7) * 0.3 - (fault ? 3 : 0);
    const current = 1 + Math.cos(i * 2.3) * 0.2;
    lines.push(`${t};${flow};${current};${fault ? 1 : 0};0`);
  }
  return lines.join('\n') + '\n';
}

async function quietly(fn: () => Promise<number>): Promise<number> {
  const [log, error] = [console.log, console.error];
  console.log = console.error = () => {};
  try {
    return await fn();
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test('csv - separators are sniffed and quoted fields kept whole', () => {
  assert.equal(sniffSeparator('datetime;a;b'), ';');
  assert.equal(sniffSeparator('timestamp,value'), ',');
  assert.deepEqual(parseCsv('a,b\n"x,1",2\n').rows, [['x,1', '2']]);
  assert.equal(parseTimestamp('2014-04-01 00:05:00'), Date.UTC(2014, 3, 1, 0, 5));
  assert.equal(parseTimestamp('1396310700'), Date.UTC(2014, 3, 1, 0, 5));
});

test('detect cli - writes one row per input row with explanations, ignoring label columns', async () => {
  const input = join(dir, 'skab.csv');
  const output = join(dir, 'scores.csv');
  writeFileSync(input, skabLike(700));
  const code = await quietly(() => run(['--input', input, '--output', output, '--ignore-columns', 'anomaly,changepoint', '--fit-rows', '400']));
  assert.equal(code, 0);
  const lines = readFileSync(output, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'timestamp,score,is_anomaly,alarm,key,expected_low,expected_high,observed');
  assert.equal(lines.length, 701);
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.ok(rows.slice(0, 400).every((r) => r[2] === '0' && Number(r[1]) === 0), 'fit rows must not be judged');
  const faulty = rows.slice(500, 560).filter((r) => r[2] === '1');
  assert.ok(faulty.length > 30, `only ${faulty.length} faulty rows flagged`);
  assert.equal(faulty[faulty.length - 1][4], 'flow');
});

test('detect cli - scoring is causal: a prefix of the file scores exactly like the whole file', () => {
  const whole = scoreTable(parseCsv(skabLike(700)), { detector: 'auto', ignoreColumns: ['anomaly', 'changepoint'] });
  const prefix = scoreTable(parseCsv(skabLike(700).split('\n').slice(0, 551).join('\n')), { detector: 'auto', ignoreColumns: ['anomaly', 'changepoint'] });
  assert.deepEqual(prefix.results, whole.results.slice(0, 550));
});

test('detect cli - bad input gives a one-line error and a non-zero exit code', async () => {
  const input = join(dir, 'nab.csv');
  writeFileSync(input, 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n');
  assert.equal(await quietly(() => run(['--help'])), 0);
  assert.equal(await quietly(() => run([])), 2);
  assert.equal(await quietly(() => run(['--input', input, '--detector', 'magic'])), 2);
  assert.equal(await quietly(() => run(['--input', input, '--fit-rows', '-3'])), 2);
  assert.equal(await quietly(() => run(['--input', input, '--value-columns', 'nope'])), 1);
  assert.equal(await quietly(() => run(['--input', join(dir, 'missing.csv')])), 1);
});
