// What a newcomer sees when they get a command line wrong: one line that names the flag and
// what it expects, from the real `vigil` command.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, tempDir } from '../helpers/harness.js';
import { runVigil, startVigilProcess } from '../helpers/process.js';
import { LOCK_FILE_NAME } from '../../src/adapters/embedded/data-dir-lock.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const env = { VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD };

async function vigil(args: string[]): Promise<{ code: number | null; output: string }> {
  const run = runVigil(args, env);
  const code = await run.exited;
  return { code, output: run.output().trim() };
}

describe('vigil command line', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('vigil --version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const { code, output } = await vigil([flag]);
      assert.equal(code, 0);
      assert.equal(output, `vigil ${version}`);
    }
  });

  test('a duration without a unit is refused, naming the flag and the units', async () => {
    const { code, output } = await vigil(['simulate', '--interval', '1', '--password', ADMIN_PASSWORD]);
    assert.equal(code, 1);
    assert.equal(output, 'vigil simulate: --interval needs a unit: ms, s, m, h, d or w (e.g. 500ms, 1s, 10m, 2h, 1d, 1w); got "1"');
    const bench = await vigil(['bench', 'ingest', '--duration', '30', '--password', ADMIN_PASSWORD]);
    assert.equal(bench.code, 1);
    assert.match(bench.output, /--duration needs a unit: ms, s, m, h, d or w/);
  });

  test('a bad port names the flag and what it expects', async () => {
    const { code, output } = await vigil(['start', '--http-port', 'abc']);
    assert.equal(code, 1);
    assert.equal(output, 'vigil: invalid configuration: --http-port / VIGIL_HTTP_PORT: expected a port number 0-65535 (0 picks a free port); got "abc"');
  });

  test('vigil simulate lists only the transports it has, and refuses others in one line', async () => {
    const help = await vigil(['simulate', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.output, /--transport <t>\s+mqtt \| http \| coap \| mixed/);
    const { code, output } = await vigil(['simulate', '--transport', 'lora', '--password', ADMIN_PASSWORD]);
    assert.equal(code, 1);
    assert.equal(output, 'vigil simulate: --transport must be mqtt, http, coap or mixed; got "lora"');
  });

  test('a second vigil start on the same data directory names the Vigil that holds it', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startVigilProcess(dataDir, env);
    try {
      assert.equal(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8').trim(), String(first.child.pid));
      const second = await vigil(['start', '--http-port', '0', '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
      assert.equal(second.code, 1);
      assert.equal(
        second.output,
        `vigil: another Vigil (pid ${first.child.pid}) holds the data directory ${dataDir}; stop it or choose another with --data-dir`,
      );
      // The first one is unharmed.
      const health = await fetch(`${first.http}/health`);
      assert.equal(health.status, 200);
    } finally {
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0);
    }
    assert.equal(existsSync(join(dataDir, LOCK_FILE_NAME)), false, 'a clean shutdown removes the lock');
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const gone = spawnSync(process.execPath, ['-e', '0']);
    writeFileSync(join(dataDir, LOCK_FILE_NAME), `${gone.pid}\n`);
    const vigilProcess = await startVigilProcess(dataDir, env);
    try {
      assert.equal(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8').trim(), String(vigilProcess.child.pid));
    } finally {
      vigilProcess.child.kill('SIGTERM');
      await vigilProcess.exited;
    }
  });
});
