// `vigil detect` on a file no longer than the fit period: every score is 0 because nothing was
// judged yet, and the command says so instead of letting it pass for "no anomalies".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVigil } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-learning-'));

function series(rows: number): string {
  const lines = ['timestamp,value'];
  for (let i = 0; i < rows; i++) lines.push(`${Date.UTC(2024, 0, 1) + i * 60_000},${20 + Math.sin(i / 5) + (i === rows - 5 ? 50 : 0)}`);
  return lines.join('\n') + '\n';
}

async function detect(rows: number, extra: string[]): Promise<{ code: number | null; stderr: string; scores: string[] }> {
  const input = join(dir, `s${rows}.csv`);
  const output = join(dir, `scores${rows}.csv`);
  writeFileSync(input, series(rows));
  const run = runVigil(['detect', '--input', input, '--output', output, ...extra]);
  const code = await run.exited;
  return { code, stderr: run.output().trim(), scores: readFileSync(output, 'utf8').trim().split('\n').slice(1) };
}

test('detect - a file shorter than --fit-rows warns that every row was learning', async () => {
  const { code, stderr, scores } = await detect(150, []);
  assert.equal(code, 0);
  assert.equal(scores.length, 150);
  assert.ok(scores.every((line) => line.split(',')[1] === '0.000000'));
  assert.equal(
    stderr,
    'vigil detect: warning: the detector was still learning on all 150 rows (the first 400 rows only train the model, --fit-rows), so every score is 0; give a longer file or a smaller --fit-rows',
  );
});

test('detect - no warning once rows are scored', async () => {
  const { code, stderr, scores } = await detect(150, ['--fit-rows', '20']);
  assert.equal(code, 0);
  assert.equal(stderr, '');
  assert.ok(scores.some((line) => Number(line.split(',')[1]) > 0));
});
