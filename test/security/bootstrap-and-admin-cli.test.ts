// Bootstrap and recovery with the real `vigil` command: a first start that fails on a busy port
// still leaves the generated password, printed again by the next (good) start and kept 0600 until
// changed; `vigil admin` refuses while a Vigil holds the data directory and works once it stopped.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request, tempDir } from '../helpers/harness.js';
import { runVigil, startVigilProcess } from '../helpers/process.js';

async function vigil(args: string[]) {
  const run = runVigil(args, { VIGIL_ADMIN_PASSWORD: '' });
  const code = await run.exited;
  return { code, output: run.output() };
}

function passwordIn(output: string): string | undefined {
  return /admin@localhost with password (\S+)/.exec(output)?.[1];
}

describe('bootstrap and the admin command', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('a VIGIL_ADMIN_PASSWORD the password policy refuses stops the start with one line', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const run = runVigil(['start', '--http-port', '0', '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { VIGIL_ADMIN_PASSWORD: 'short-pw' });
    assert.equal(await run.exited, 1);
    const lines = run.output().trim().split('\n');
    assert.equal(lines.length, 1, run.output());
    assert.match(lines[0]!, /^vigil: invalid configuration: VIGIL_ADMIN_PASSWORD: password must have at least 12 characters$/);
    assert.doesNotMatch(run.output(), /short-pw/, 'the password is not echoed');
  });

  test('a failed first start, then a good one: the generated password is still shown, kept 0600 until changed', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    const busyPort = (busy.address() as AddressInfo).port;
    try {
      const failed = await vigil(['start', '--http-port', '0', '--mqtt-port', String(busyPort), '--host', '127.0.0.1', '--data-dir', dataDir]);
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.output, /MQTT port .* is already in use/);
      const first = passwordIn(failed.output);
      assert.ok(first, failed.output);
      const file = join(dataDir, 'secrets', 'initial-admin-password');
      assert.equal(statSync(file).mode & 0o777, 0o600);

      const good = await startVigilProcess(dataDir, { VIGIL_ADMIN_PASSWORD: '' });
      try {
        assert.equal(passwordIn(good.output()), first, 'the good start shows the same password');
        const pair = await request(good.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password: first } });
        assert.equal(pair.status, 200);
        const changed = await request(good.http, 'POST', '/api/v1/auth/password', {
          token: pair.body.accessToken,
          body: { currentPassword: first, newPassword: 'my own admin passphrase' },
        });
        assert.equal(changed.status, 204);
        assert.equal(existsSync(file), false, 'the file goes once the password is changed');

        const refused = await vigil(['admin', 'reset-password', '--data-dir', dataDir]);
        assert.equal(refused.code, 1);
        assert.match(refused.output, /another Vigil \(pid \d+\) holds the data directory .*stop it first/);
      } finally {
        good.child.kill('SIGTERM');
        await good.exited;
      }

      const again = await startVigilProcess(dataDir, { VIGIL_ADMIN_PASSWORD: '' });
      assert.equal(passwordIn(again.output()), undefined, 'not printed after it was changed');
      again.child.kill('SIGTERM');
      await again.exited;
    } finally {
      busy.close();
    }
  });

  test('reset-password, create-user and create-device work on a stopped server', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const first = await startVigilProcess(dataDir, { VIGIL_ADMIN_PASSWORD: 'first-admin-passphrase' });
    // Lock the admin out first: reset-password also lifts the lockout.
    for (let i = 0; i < 6; i++) await request(first.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password: 'wrong-password-x' } });
    first.child.kill('SIGTERM');
    await first.exited;

    const reset = await vigil(['admin', 'reset-password', '--data-dir', dataDir]);
    assert.equal(reset.code, 0, reset.output);
    const password = /new password: (\S+)/.exec(reset.output)?.[1];
    assert.ok(password, reset.output);
    const weak = await vigil(['admin', 'create-user', '--data-dir', dataDir, '--email', 'ops@example.com', '--role', 'operator', '--password', 'short']);
    assert.equal(weak.code, 1);
    assert.match(weak.output, /at least 12 characters/);
    const user = await vigil(['admin', 'create-user', '--data-dir', dataDir, '--email', 'ops@example.com', '--role', 'operator', '--password', 'operator passphrase']);
    assert.equal(user.code, 0, user.output);
    const device = await vigil(['admin', 'create-device', '--data-dir', dataDir, '--name', 'scripted-1']);
    assert.equal(device.code, 0, device.output);
    const created = JSON.parse(device.output.trim().split('\n').pop()!) as { id: string; accessToken: string };
    const unknownRole = await vigil(['admin', 'create-user', '--data-dir', dataDir, '--email', 'x@example.com', '--role', 'root']);
    assert.match(unknownRole.output, /unknown role "root"/);

    const second = await startVigilProcess(dataDir, { VIGIL_ADMIN_PASSWORD: 'first-admin-passphrase' });
    try {
      const old = await request(second.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password: 'first-admin-passphrase' } });
      assert.equal(old.status, 401);
      const admin = await request(second.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password } });
      assert.equal(admin.status, 200);
      const ops = await request(second.http, 'POST', '/api/v1/auth/login', { body: { email: 'ops@example.com', password: 'operator passphrase' } });
      assert.equal(ops.status, 200);
      const ingest = await request(second.http, 'POST', `/api/v1/${created.accessToken}/telemetry`, { body: { t: 21.5 } });
      assert.equal(ingest.status, 200);
      const seen = await request(second.http, 'GET', `/api/v1/devices/${created.id}`, { token: admin.body.accessToken });
      assert.equal(seen.body.name, 'scripted-1');
      const audited = await request(second.http, 'GET', '/api/v1/audit?action=cli.', { token: admin.body.accessToken });
      assert.deepEqual(audited.body.items.map((e: { action: string }) => e.action).sort(), ['cli.create-device', 'cli.create-user', 'cli.reset-password']);
      assert.match(audited.body.items[0].actor, /^cli:/);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
