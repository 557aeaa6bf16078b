// The permission table is enforced at start-up: a route without an entry stops the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { installAccessControl, type AccessDeps } from '../../src/transports/http/access.js';
import { ROLE_PERMISSIONS, canGrant } from '../../src/domains/auth/permissions.js';
import { afterFailure, lockRemainingMs, FREE_FAILURES, FIRST_LOCK_MS, MAX_LOCK_MS } from '../../src/domains/auth/lockout.js';
import { checkPassword } from '../../src/domains/auth/password-policy.js';
import { PointsQuota } from '../../src/domains/tenants/points-quota.js';

test('permissions - a route missing from the table refuses to register', async () => {
  const app = Fastify();
  installAccessControl(app, {} as AccessDeps);
  assert.throws(() => app.get('/api/v1/unlisted', async () => 'x'), /no entry in ROUTE_ACCESS/);
  app.get('/health', async () => 'ok'); // listed
  await app.close();
});

test('permissions - roles nest: every permission of a role is held by the roles above it', () => {
  const order = ['viewer', 'operator', 'engineer', 'admin', 'superadmin'] as const;
  for (let i = 1; i < order.length; i++) {
    for (const p of ROLE_PERMISSIONS[order[i - 1]!]) assert.ok(ROLE_PERMISSIONS[order[i]!].has(p), `${order[i]} lacks ${p}`);
  }
  assert.equal(canGrant('admin', 'superadmin'), false);
  assert.equal(canGrant('admin', 'engineer'), true);
});

test('lockout - free failures, then doubling locks up to a ceiling; old failures are forgotten', () => {
  let state = null;
  for (let i = 0; i < FREE_FAILURES; i++) state = afterFailure(state, 'a', 1000);
  assert.equal(lockRemainingMs(state, 1000), 0);
  state = afterFailure(state, 'a', 1000);
  assert.equal(lockRemainingMs(state, 1000), FIRST_LOCK_MS);
  state = afterFailure(state, 'a', 1000);
  assert.equal(lockRemainingMs(state, 1000), 2 * FIRST_LOCK_MS);
  for (let i = 0; i < 20; i++) state = afterFailure(state, 'a', 1000);
  assert.equal(lockRemainingMs(state, 1000), MAX_LOCK_MS);
  assert.equal(afterFailure(state, 'a', 1000 + 25 * 3_600_000).failures, 1);
});

test('password policy - length and breach list, no composition rules', () => {
  assert.throws(() => checkPassword('short'), /at least 12/);
  assert.throws(() => checkPassword('Password1234'), /too common/);
  assert.throws(() => checkPassword('alice-12345', { email: 'alice@example.com' }), /at least 12|email/);
  assert.doesNotThrow(() => checkPassword('correct horse battery staple'));
  assert.doesNotThrow(() => checkPassword('alllowercaseletters'));
});

test('points quota - a bucket of two seconds refills at the limit; usage counts accepted points', () => {
  const q = new PointsQuota();
  assert.equal(q.admit('other', 1_000_000, 0), true, 'no limit: everything passes');
  q.setLimit('t', 10);
  assert.equal(q.admit('t', 21, 1000), false);
  assert.equal(q.admit('t', 20, 1000), true);
  assert.equal(q.admit('t', 1, 1000), false);
  assert.equal(q.admit('t', 5, 1500), true, 'half a second refills 5');
  assert.equal(q.pointsPerSec('t', 3000), 2.8, '25 points over the last 9 complete seconds');
  q.setLimit('t', null);
  assert.equal(q.admit('t', 1000, 3000), true);
});

test('permissions - the per-address rate limit runs before authentication (bad credentials are limited too)', async () => {
  const { default: rateLimit } = await import('@fastify/rate-limit');
  const app = Fastify();
  await app.register(rateLimit, { max: 3, timeWindow: '1 minute' });
  installAccessControl(app, { auth: { authenticate: async () => { throw Object.assign(new Error('bad token'), { statusCode: 401 }); } } } as unknown as AccessDeps);
  app.get('/api/v1/devices', async () => []);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: '/api/v1/devices', headers: { authorization: `Bearer made-up-${i}` } })).statusCode);
  assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  await app.close();
});

test('lockout - failed logins per address across accounts are capped per window', async () => {
  const { AddressFailures } = await import('../../src/domains/auth/lockout.js');
  const a = new AddressFailures(3, 1000);
  for (let i = 0; i < 3; i++) {
    assert.equal(a.blockedMs('10.0.0.1', 100), 0);
    a.fail('10.0.0.1', 100);
  }
  assert.equal(a.blockedMs('10.0.0.1', 200), 900);
  assert.equal(a.blockedMs('10.0.0.2', 200), 0, 'other addresses are not affected');
  assert.equal(a.blockedMs('10.0.0.1', 1100), 0, 'a new window starts');
});
