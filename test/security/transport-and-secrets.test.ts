// HTTPS and MQTT over TLS from certificate files (checked with curl --cacert and mosquitto_pub
// --cafile) with reload on SIGHUP, security
// headers, CORS closed by default and open to configured origins, and the JWT key encrypted at rest.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { ADMIN_PASSWORD, login, request, startVigil, tempDir } from '../helpers/harness.js';
import { runVigil } from '../helpers/process.js';

function makeCa(dir: string, name: string): { ca: string; cert: string; key: string } {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`);
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', `${name}.key`, '-out', `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ${ext}`]);
  ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}.pem`);
  return { ca: join(dir, `${name}-ca.pem`), cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

function curl(url: string, cacert: string): { code: number; body: string } {
  const res = spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', cacert, url], { encoding: 'utf8' });
  return { code: res.status ?? -1, body: res.stdout + res.stderr };
}

/** Publishes one message over MQTT/TLS, verifying the server against `cafile`; the exit code and output. */
function mosquittoPub(port: number, cafile: string, username: string): { code: number; output: string } {
  const res = spawnSync(
    'mosquitto_pub',
    ['-h', 'localhost', '-p', String(port), '--cafile', cafile, '-u', username, '-V', 'mqttv311', '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"t":1}'],
    { encoding: 'utf8', timeout: 15_000 },
  );
  return { code: res.status ?? -1, output: res.stdout + res.stderr };
}

/** JSON over HTTPS trusting only `ca` (fetch takes no CA). */
function httpsJson(url: string, ca: string, method: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(url, { method, ca: readFileSync(ca), headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function waitForReady(output: () => string, exited: () => boolean): Promise<{ port: number; mqttsPort?: number }> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const match = /vigil ready: https:\/\/[^:]+:(\d+).*?(?: mqtts:\/\/[^:]+:(\d+))?$/m.exec(output());
    if (match) return { port: Number(match[1]), mqttsPort: match[2] ? Number(match[2]) : undefined };
    if (exited()) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`vigil did not start with HTTPS:\n${output()}`);
}

describe('transport security and secrets at rest', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('HTTPS and MQTT over TLS from certificate files; SIGHUP swaps in a renewed certificate for both', async () => {
    const dir = await tempDir('vigil-tls-');
    dirs.push(dir);
    const first = makeCa(dir, 'first');
    const second = makeCa(dir, 'second');
    const live = join(dir, 'live');
    execFileSync('mkdir', [live]);
    execFileSync('cp', [first.cert, join(live, 'cert.pem')]);
    execFileSync('cp', [first.key, join(live, 'key.pem')]);
    const run = runVigil(['start', '--http-port', '0', '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'data')], {
      VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      VIGIL_TLS_CERT_FILE: join(live, 'cert.pem'),
      VIGIL_TLS_KEY_FILE: join(live, 'key.pem'),
      VIGIL_MQTT_TLS_PORT: '0', // MQTT over TLS falls back to the HTTPS files
    });
    try {
      const { port, mqttsPort } = await waitForReady(run.output, () => run.child.exitCode !== null);
      const url = `https://localhost:${port}/health`;
      const ok = curl(url, first.ca);
      assert.equal(ok.code, 0, ok.body);
      assert.match(ok.body, /ok/);
      assert.notEqual(curl(url, second.ca).code, 0, 'the other CA does not verify it');

      assert.ok(mqttsPort, `MQTT over TLS is on with the HTTPS files:\n${run.output()}`);
      const base = `https://localhost:${port}`;
      const login = await httpsJson(`${base}/api/v1/auth/login`, first.ca, 'POST', { email: 'admin@localhost', password: ADMIN_PASSWORD });
      const device = await httpsJson(`${base}/api/v1/devices`, first.ca, 'POST', { name: 'tls-device' }, login.body.accessToken);
      assert.equal(device.status, 201, JSON.stringify(device.body));
      const username = device.body.accessToken as string;
      const pub = mosquittoPub(mqttsPort, first.ca, username);
      assert.equal(pub.code, 0, pub.output);
      assert.notEqual(mosquittoPub(mqttsPort, second.ca, username).code, 0, 'the other CA does not verify the MQTT listener');

      execFileSync('cp', [second.cert, join(live, 'cert.pem')]);
      execFileSync('cp', [second.key, join(live, 'key.pem')]);
      run.child.kill('SIGHUP');
      const deadline = Date.now() + 20_000;
      while (curl(url, second.ca).code !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(curl(url, second.ca).code, 0, `after SIGHUP the renewed certificate is served:\n${run.output()}`);
      assert.notEqual(curl(url, first.ca).code, 0);
      const renewed = mosquittoPub(mqttsPort, second.ca, username);
      assert.equal(renewed.code, 0, `after SIGHUP MQTT serves the renewed certificate: ${renewed.output}`);
      assert.notEqual(mosquittoPub(mqttsPort, first.ca, username).code, 0);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  test('security headers are sent; CORS is closed by default', async () => {
    const vigil = await startVigil();
    try {
      const res = await request(vigil.http, 'GET', '/health', { headers: { origin: 'https://evil.example' } });
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=/);
      assert.ok(res.headers.get('content-security-policy'));
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      const preflight = await request(vigil.http, 'OPTIONS', '/api/v1/devices', {
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    } finally {
      await vigil.stop();
    }
  });

  test('CORS answers the configured origins only', async () => {
    const vigil = await startVigil({ VIGIL_CORS_ORIGINS: 'https://dash.example, https://ops.example' });
    try {
      const allowed = await request(vigil.http, 'OPTIONS', '/api/v1/devices', {
        headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://dash.example');
      const other = await request(vigil.http, 'GET', '/health', { headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      await vigil.stop();
    }
  });

  test('with a secrets key the JWT key is encrypted at rest (an existing plaintext one too) and tokens survive a restart', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const keyFile = join(dataDir, '..', `secrets-key-${Date.now()}`);
    execFileSync('sh', ['-c', `printf 'an operator chosen secrets key of 32+ chars' > ${keyFile}`]);
    const plain = await startVigil({}, dataDir); // first without a key: plaintext file
    await plain.stop({ keepData: true });
    const jwtPath = join(dataDir, 'secrets', 'jwt.key');
    const plaintext = readFileSync(jwtPath, 'utf8').trim();
    assert.doesNotMatch(plaintext, /^vigil-secret:/);

    const sealed = await startVigil({ VIGIL_SECRETS_KEY_FILE: keyFile }, dataDir);
    const token = await login(sealed.http);
    await sealed.stop({ keepData: true });
    const stored = readFileSync(jwtPath, 'utf8');
    assert.match(stored, /^vigil-secret:v1:/);
    assert.ok(!stored.includes(plaintext));

    const again = await startVigil({ VIGIL_SECRETS_KEY_FILE: keyFile }, dataDir);
    try {
      assert.equal((await request(again.http, 'GET', '/api/v1/auth/me', { token })).status, 200, 'same signing key after decryption');
    } finally {
      await again.stop({ keepData: true });
    }
    await assert.rejects(startVigil({}, dataDir), /encrypted; set VIGIL_SECRETS_KEY/);
    await assert.rejects(startVigil({ VIGIL_SECRETS_KEY: 'a different key that is long enough!!' }, dataDir), /cannot be decrypted/);
    await rm(keyFile, { force: true });
  });
});
