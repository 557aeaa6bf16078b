// Ending access takes effect everywhere at once: a live Socket.IO connection ends when its session
// is revoked (logout, user disabled, password reset, tenant suspended); an API key never holds
// more than its creator holds now; and with two nodes sharing PostgreSQL and Redis a revocation
// or suspension on one node is honoured by the other, and API rate limits are one budget for both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { ADMIN_PASSWORD, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';
import { dropSchema } from '../helpers/postgres.js';

const PW = 'a-long-enough-passphrase';

async function loginPair(base: string, email: string, password = PW) {
  const res = await request(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { accessToken: string; refreshToken: string };
}

/** A connected live socket and a promise of its server-side disconnect. */
async function liveSocket(base: string, token: string): Promise<{ socket: Socket; ended: Promise<string> }> {
  const socket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ended = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  return { socket, ended };
}

describe('revocation ends live sockets; API keys follow their creator', () => {
  let vigil: Running;
  let root: string;
  let n = 0;

  before(async () => {
    vigil = await startVigil();
    root = await login(vigil.http);
  });
  after(async () => vigil?.stop());

  async function user(role: string, token = root) {
    const email = `u${++n}@revoke.example`;
    const res = await request(vigil.http, 'POST', '/api/v1/users', { token, body: { email, password: PW, role } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id as string, email, ...(await loginPair(vigil.http, email)) };
  }

  test('a live socket is disconnected on logout, disable, password reset and tenant suspension', async () => {
    const viaLogout = await user('viewer');
    const a = await liveSocket(vigil.http, viaLogout.accessToken);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/auth/logout', { body: { refreshToken: viaLogout.refreshToken } })).status, 204);
    assert.equal(await a.ended, 'io server disconnect');

    const viaDisable = await user('viewer');
    const b = await liveSocket(vigil.http, viaDisable.accessToken);
    assert.equal((await request(vigil.http, 'PATCH', `/api/v1/users/${viaDisable.id}`, { token: root, body: { disabled: true } })).status, 200);
    assert.equal(await b.ended, 'io server disconnect');

    const viaReset = await user('operator');
    const c = await liveSocket(vigil.http, viaReset.accessToken);
    const reset = await request(vigil.http, 'POST', `/api/v1/users/${viaReset.id}/password`, { token: root, body: { password: 'another-long-passphrase' } });
    assert.equal(reset.status, 204);
    assert.equal(await c.ended, 'io server disconnect');
    // A fresh connection with the old token is refused too.
    await assert.rejects(liveSocket(vigil.http, viaReset.accessToken), /unauthorized/);

    const tenant = await request(vigil.http, 'POST', '/api/v1/tenants', { token: root, body: { name: 'sockets', admin: { email: 'admin@sockets.example', password: PW } } });
    assert.equal(tenant.status, 201, JSON.stringify(tenant.body));
    const tenantAdmin = await loginPair(vigil.http, 'admin@sockets.example');
    const d = await liveSocket(vigil.http, tenantAdmin.accessToken);
    const bystander = await liveSocket(vigil.http, root);
    assert.equal((await request(vigil.http, 'PATCH', `/api/v1/tenants/${tenant.body.id}`, { token: root, body: { suspended: true } })).status, 200);
    assert.equal(await d.ended, 'io server disconnect');
    assert.equal(bystander.socket.connected, true, "another tenant's socket stays");
    bystander.socket.disconnect();
  });

  test('an API key never exceeds its creator: demotion narrows it, disable or delete refuses it', async () => {
    const engineer = await user('admin'); // an admin creates the key (API keys need users:manage)
    const created = await request(vigil.http, 'POST', '/api/v1/api-keys', {
      token: engineer.accessToken,
      body: { name: 'ci', scopes: ['read', 'devices:write', 'users:manage'], expiresInDays: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.key as string;
    const asKey = (method: string, path: string, body?: unknown) => request(vigil.http, method, path, { headers: { 'x-api-key': key }, body });
    assert.equal((await asKey('GET', '/api/v1/users')).status, 200);
    assert.equal((await asKey('POST', '/api/v1/devices', { name: 'by-key-1' })).status, 201);

    assert.equal((await request(vigil.http, 'PATCH', `/api/v1/users/${engineer.id}`, { token: root, body: { role: 'engineer' } })).status, 200);
    assert.equal((await asKey('GET', '/api/v1/users')).status, 403, 'the creator is an engineer now: no more users:manage');
    assert.equal((await asKey('POST', '/api/v1/devices', { name: 'by-key-2' })).status, 201, 'what both still hold works');
    assert.equal((await request(vigil.http, 'PATCH', `/api/v1/users/${engineer.id}`, { token: root, body: { role: 'viewer' } })).status, 200);
    const demoted = await asKey('POST', '/api/v1/devices', { name: 'by-key-3' });
    assert.equal(demoted.status, 403, 'the creator is a viewer now: the key can no longer write');
    assert.match(demoted.body.message, /viewer/);
    assert.equal((await asKey('GET', '/api/v1/devices')).status, 200);

    assert.equal((await request(vigil.http, 'PATCH', `/api/v1/users/${engineer.id}`, { token: root, body: { disabled: true } })).status, 200);
    const disabled = await asKey('GET', '/api/v1/devices');
    assert.equal(disabled.status, 401);
    assert.match(disabled.body.message, /disabled or deleted/);
    assert.equal((await request(vigil.http, 'PATCH', `/api/v1/users/${engineer.id}`, { token: root, body: { disabled: false } })).status, 200);
    assert.equal((await asKey('GET', '/api/v1/devices')).status, 200, 'enabled again: the key works again');

    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/users/${engineer.id}`, { token: root })).status, 204);
    assert.equal((await asKey('GET', '/api/v1/devices')).status, 401, "a deleted creator's key is refused");
  });
});

describe('two nodes sharing PostgreSQL and Redis', { skip: (await skipUnless('postgres')) || (await skipUnless('redis')) }, () => {
  const schema = uniqueName('vigil_revoke').toLowerCase();
  const env = {
    VIGIL_POSTGRES_URL: serviceUrls.postgres,
    VIGIL_POSTGRES_SCHEMA: schema,
    VIGIL_REDIS_URL: serviceUrls.redis,
    VIGIL_REDIS_KEY_PREFIX: `${uniqueName('vr')}:`,
    VIGIL_JWT_SECRET: 'revocation-test-secret-of-at-least-32-characters',
    VIGIL_ANOMALY_DETECTION: 'false',
  };
  let a: Running;
  let b: Running;

  before(async () => {
    a = await startVigil(env);
    b = await startVigil(env);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await dropSchema(schema).catch(() => undefined);
  });

  test('a session revoked, a user disabled or a tenant suspended on one node is refused on the other', async () => {
    const root = await login(a.http, 'admin@localhost', ADMIN_PASSWORD);
    const pair = await loginPair(a.http, 'admin@localhost', ADMIN_PASSWORD);
    // Node B caches the session as active once it has seen it.
    assert.equal((await request(b.http, 'GET', '/api/v1/devices', { token: pair.accessToken })).status, 200);
    const socketOnB = await liveSocket(b.http, pair.accessToken);
    assert.equal((await request(a.http, 'POST', '/api/v1/auth/logout', { body: { refreshToken: pair.refreshToken } })).status, 204);
    await waitFor(async () => (await request(b.http, 'GET', '/api/v1/devices', { token: pair.accessToken })).status === 401, 'node B refuses the revoked session');
    assert.equal(await socketOnB.ended, 'io server disconnect');

    const created = await request(a.http, 'POST', '/api/v1/users', { token: root, body: { email: 'ops@nodes.example', password: PW, role: 'operator' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const operator = await loginPair(b.http, 'ops@nodes.example');
    assert.equal((await request(b.http, 'GET', '/api/v1/devices', { token: operator.accessToken })).status, 200);
    assert.equal((await request(a.http, 'PATCH', `/api/v1/users/${created.body.id}`, { token: root, body: { disabled: true } })).status, 200);
    await waitFor(async () => (await request(b.http, 'GET', '/api/v1/devices', { token: operator.accessToken })).status === 401, 'node B refuses the disabled user');

    const tenant = await request(a.http, 'POST', '/api/v1/tenants', { token: root, body: { name: 'paused', admin: { email: 'admin@paused.example', password: PW } } });
    assert.equal(tenant.status, 201, JSON.stringify(tenant.body));
    const tenantAdmin = await loginPair(b.http, 'admin@paused.example');
    assert.equal((await request(b.http, 'GET', '/api/v1/tenant', { token: tenantAdmin.accessToken })).status, 200);
    assert.equal((await request(a.http, 'PATCH', `/api/v1/tenants/${tenant.body.id}`, { token: root, body: { suspended: true } })).status, 200);
    await waitFor(async () => {
      const res = await request(b.http, 'GET', '/api/v1/tenant', { token: tenantAdmin.accessToken });
      return res.status === 401 && /suspended/.test(res.body.message);
    }, 'node B refuses the suspended tenant');
    assert.equal((await request(a.http, 'PATCH', `/api/v1/tenants/${tenant.body.id}`, { token: root, body: { suspended: false } })).status, 200);
    await waitFor(async () => (await request(b.http, 'GET', '/api/v1/tenant', { token: tenantAdmin.accessToken })).status === 200, 'node B serves the resumed tenant');
  });

  test("a custom role edited on one node applies to its users' requests on the other", async () => {
    const root = await login(a.http, 'admin@localhost', ADMIN_PASSWORD);
    const role = await request(a.http, 'POST', '/api/v1/roles', { token: root, body: { name: 'desk', permissions: ['read'] } });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const user = await request(a.http, 'POST', '/api/v1/users', { token: root, body: { email: 'desk@nodes.example', password: PW, role: 'viewer', customRoleId: role.body.id } });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const token = await login(b.http, 'desk@nodes.example', PW);
    assert.equal((await request(b.http, 'POST', '/api/v1/devices', { token, body: { name: 'nope' } })).status, 403, 'node B caches the role as read-only');
    const edited = await request(a.http, 'PUT', `/api/v1/roles/${role.body.id}`, { token: root, body: { name: 'desk', permissions: ['read', 'devices:write'] } });
    assert.equal(edited.status, 200);
    await waitFor(async () => (await request(b.http, 'GET', '/api/v1/auth/me', { token })).body.permissions?.includes('devices:write'), 'node B drops its cached role');
    assert.equal((await request(b.http, 'POST', '/api/v1/devices', { token, body: { name: 'by-desk' } })).status, 201);
  });

  test("a tenant's API rate limit is one budget across nodes (Redis), and a change to it reaches every node", async () => {
    const root = await login(a.http, 'admin@localhost', ADMIN_PASSWORD);
    const created = await request(a.http, 'POST', '/api/v1/tenants', { token: root, body: { name: 'budget', apiRequestsPerMinPerUser: 3, admin: { email: 'admin@budget.example', password: PW } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const token = await login(b.http, 'admin@budget.example', PW);
    await waitFor(async () => (await request(b.http, 'GET', '/api/v1/tenant', { token })).body?.rateLimits?.apiRequestsPerMinPerUser === 3, 'node B knows the limit'); // 1
    assert.equal((await request(a.http, 'GET', '/api/v1/devices', { token })).status, 200); // 2
    assert.equal((await request(b.http, 'GET', '/api/v1/devices', { token })).status, 200); // 3
    const refusedOnA = await request(a.http, 'GET', '/api/v1/devices', { token });
    assert.equal(refusedOnA.status, 429, 'node A counts what node B served');
    assert.ok(Number(refusedOnA.headers.get('retry-after')) >= 1);
    assert.equal((await request(a.http, 'PATCH', `/api/v1/tenants/${created.body.id}`, { token: root, body: { apiRequestsPerMinPerUser: 1000 } })).status, 200);
    await waitFor(async () => (await request(b.http, 'GET', '/api/v1/devices', { token })).status === 200, 'node B applies the raised limit');
  });
});
