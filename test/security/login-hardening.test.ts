// Login hardening as probed from outside: the limiter cannot be bypassed with a made-up header,
// accounts lock with backoff, refresh tokens rotate and a reused one ends the session, logout
// revokes, tokens without exp/aud are refused, and the password policy holds.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { ADMIN_PASSWORD, login, request, startVigil, type Running } from '../helpers/harness.js';

async function loginPair(base: string, email: string, password: string) {
  const res = await request(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { accessToken: string; refreshToken: string };
}

describe('login hardening', () => {
  let vigil: Running;
  let admin: string;

  before(async () => {
    vigil = await startVigil();
    admin = await login(vigil.http);
  });
  after(async () => vigil?.stop());

  async function newUser(email: string, role = 'viewer', password = 'a-long-enough-passphrase') {
    const res = await request(vigil.http, 'POST', '/api/v1/users', { token: admin, body: { email, password, role } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string };
  }

  test('a made-up Authorization header does not bypass the login limiter', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await request(vigil.http, 'POST', '/api/v1/auth/login', {
        body: { email: 'nobody@example.com', password: `wrong-${i}` },
        headers: { authorization: `Bearer x${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) > 0, 'a 429 says when to retry');
    }
    assert.ok(statuses.includes(429), `no 429 in ${statuses.join(',')}`);
    assert.ok(statuses.slice(0, 5).every((s) => s === 401), 'the first failures are plain 401s');
  });

  test('repeated failures lock the account (even for the right password); admins see and lift the lock', async () => {
    const user = await newUser('locked@example.com');
    for (let i = 0; i < 5; i++) {
      const res = await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'locked@example.com', password: 'wrong-password-x' } });
      assert.equal(res.status, 401);
    }
    const sixth = await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'locked@example.com', password: 'wrong-password-x' } });
    assert.equal(sixth.status, 401, 'the failure that triggers the lock is still answered as a failure');
    const right = await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'locked@example.com', password: 'a-long-enough-passphrase' } });
    assert.equal(right.status, 429, 'locked: even the right password waits');
    assert.ok(Number(right.headers.get('retry-after')) >= 1);
    const seen = await request(vigil.http, 'GET', `/api/v1/users/${user.id}`, { token: admin });
    assert.equal(seen.body.failedLogins, 6);
    assert.ok(seen.body.lockedUntil > Date.now());
    const listed = await request(vigil.http, 'GET', '/api/v1/users', { token: admin });
    assert.ok(listed.body.items.find((u: { id: string; lockedUntil: number | null }) => u.id === user.id).lockedUntil);
    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/users/${user.id}/lockout`, { token: admin })).status, 204);
    await loginPair(vigil.http, 'locked@example.com', 'a-long-enough-passphrase');
  });

  test('refresh tokens rotate; reusing an old one revokes the whole session', async () => {
    await newUser('rotate@example.com');
    const first = await loginPair(vigil.http, 'rotate@example.com', 'a-long-enough-passphrase');
    const second = await request(vigil.http, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refreshToken, first.refreshToken);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: second.body.accessToken })).status, 200);

    const reuse = await request(vigil.http, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(reuse.status, 401);
    assert.match(reuse.body.message, /already used/);
    const stolenAfter = await request(vigil.http, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    assert.equal(stolenAfter.status, 401, 'the newest refresh token of the family is dead too');
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: second.body.accessToken })).status, 401, 'access tokens of the session stop');
    const audit = await request(vigil.http, 'GET', '/api/v1/audit?action=refresh-reuse', { token: admin });
    assert.equal(audit.body.total, 1);
  });

  test('logout ends the session: its access and refresh tokens are refused', async () => {
    await newUser('logout@example.com');
    const pair = await loginPair(vigil.http, 'logout@example.com', 'a-long-enough-passphrase');
    assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token: pair.accessToken })).status, 200);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/auth/logout', { body: { refreshToken: pair.refreshToken } })).status, 204);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token: pair.accessToken })).status, 401);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: pair.refreshToken } })).status, 401);
  });

  test('tokens without exp, aud or iss, or of the wrong audience, are refused even when correctly signed', async () => {
    const key = new TextEncoder().encode((await readFile(join(vigil.dataDir, 'secrets', 'jwt.key'), 'utf8')).trim());
    const me = await request(vigil.http, 'GET', '/api/v1/auth/me', { token: admin });
    const claims = { tid: me.body.tenantId, role: 'superadmin', typ: 'access', sid: me.body.sessionId };
    const base = () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(me.body.userId).setJti('j').setIssuedAt();
    const good = await base().setIssuer('vigil').setAudience('vigil-api').setExpirationTime('5m').sign(key);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token: good })).status, 200, 'control: a complete token passes');
    const variants = {
      noExp: await base().setIssuer('vigil').setAudience('vigil-api').sign(key),
      noAud: await base().setIssuer('vigil').setExpirationTime('5m').sign(key),
      noIss: await base().setAudience('vigil-api').setExpirationTime('5m').sign(key),
      otherAud: await base().setIssuer('vigil').setAudience('someone-else').setExpirationTime('5m').sign(key),
      expired: await base().setIssuer('vigil').setAudience('vigil-api').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key),
    };
    for (const [name, token] of Object.entries(variants)) {
      assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token })).status, 401, name);
    }
  });

  test('password policy: 12 characters minimum and no breached passwords, no composition rules', async () => {
    for (const password of ['short-pw', 'password1234', 'aaaaaaaaaaaaaaa']) {
      const res = await request(vigil.http, 'POST', '/api/v1/users', { token: admin, body: { email: 'weak@example.com', password, role: 'viewer' } });
      assert.equal(res.status, 400, password);
    }
    await newUser('plain@example.com', 'viewer', 'correct horse battery staple');
  });

  test('changing your own password keeps this session, ends the others, and needs the current one', async () => {
    await newUser('changer@example.com');
    const a = await loginPair(vigil.http, 'changer@example.com', 'a-long-enough-passphrase');
    const b = await loginPair(vigil.http, 'changer@example.com', 'a-long-enough-passphrase');
    const wrong = await request(vigil.http, 'POST', '/api/v1/auth/password', { token: a.accessToken, body: { currentPassword: 'nope-nope-nope', newPassword: 'another long passphrase' } });
    assert.equal(wrong.status, 403);
    const ok = await request(vigil.http, 'POST', '/api/v1/auth/password', { token: a.accessToken, body: { currentPassword: 'a-long-enough-passphrase', newPassword: 'another long passphrase' } });
    assert.equal(ok.status, 204);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token: a.accessToken })).status, 200);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token: b.accessToken })).status, 401);
    await loginPair(vigil.http, 'changer@example.com', 'another long passphrase');
    assert.ok(ADMIN_PASSWORD);
  });
});
