// Walks every route of docs/openapi.json with every role (built-in, and a custom permission set),
// with a token of another tenant, with an expired token and with none, and checks each outcome
// against the permission table (src/domains/auth/permissions.ts). No cross-tenant read or write
// may succeed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { OPENAPI_PATH } from '../../scripts/openapi.js';
import { ROUTE_ACCESS, ROLES, accessFor, roleHas } from '../../src/domains/auth/permissions.js';
import type { Role } from '../../src/ports/metadata-store.js';
import { createDevice, login, request, startVigil, type Running } from '../helpers/harness.js';

const PW = 'a-long-enough-passphrase';

interface Route {
  method: string;
  path: string; // OpenAPI form: /api/v1/devices/{id}
  url: string; // Fastify form: /api/v1/devices/:id
}

async function documentedRoutes(): Promise<Route[]> {
  const doc = JSON.parse(await readFile(OPENAPI_PATH, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) out.push({ method: method.toUpperCase(), path, url: path.replace(/\{(\w+)\}/g, ':$1') });
  }
  return out;
}

describe('every route, every role, every tenant', () => {
  let vigil: Running;
  const tokens = new Map<Role, string>();
  let otherTenantAdmin: string;
  let otherTenantId: string;
  let expired: string;
  /** Real ids of the first tenant's objects, by the path segment that names them. */
  const ownIds = new Map<string, string>();
  const secrets: string[] = [];
  /** A custom role no built-in role equals: reads, handles alarms, edits dashboards, sees the dead-letter log. */
  const CUSTOM_SET = ['read', 'alarms:write', 'dashboards:write', 'deadletter:read'];
  let customToken: string;

  before(async () => {
    vigil = await startVigil();
    const root = await login(vigil.http);
    tokens.set('superadmin', root);
    for (const role of ROLES.filter((r) => r !== 'superadmin')) {
      const res = await request(vigil.http, 'POST', '/api/v1/users', { token: root, body: { email: `${role}@walk.example`, password: PW, role } });
      assert.equal(res.status, 201);
      tokens.set(role, await login(vigil.http, `${role}@walk.example`, PW));
      if (role === 'viewer') ownIds.set('users', res.body.id);
    }
    const role = await request(vigil.http, 'POST', '/api/v1/roles', { token: root, body: { name: 'alarm desk', permissions: CUSTOM_SET } });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    ownIds.set('roles', role.body.id);
    const customUser = await request(vigil.http, 'POST', '/api/v1/users', {
      token: root,
      body: { email: 'custom@walk.example', password: PW, role: 'viewer', customRoleId: role.body.id },
    });
    assert.equal(customUser.status, 201, JSON.stringify(customUser.body));
    assert.deepEqual([...customUser.body.permissions].sort(), [...CUSTOM_SET].sort());
    customToken = await login(vigil.http, 'custom@walk.example', PW);
    const device = await createDevice(vigil.http, root, 'walk-device');
    ownIds.set('devices', device.id);
    const key = await request(vigil.http, 'POST', '/api/v1/api-keys', { token: root, body: { name: 'walk', scopes: ['read'] } });
    ownIds.set('api-keys', key.body.id);
    const me = await request(vigil.http, 'GET', '/api/v1/auth/me', { token: root });
    ownIds.set('tenants', me.body.tenantId);
    ownIds.set('sessions', me.body.sessionId);
    secrets.push(device.id, ownIds.get('users')!, key.body.id, role.body.id);

    const other = await request(vigil.http, 'POST', '/api/v1/tenants', { token: root, body: { name: 'walk-other', admin: { email: 'admin@walk-other.example', password: PW } } });
    assert.equal(other.status, 201);
    otherTenantId = other.body.id;
    otherTenantAdmin = await login(vigil.http, 'admin@walk-other.example', PW);

    const jwtKey = new TextEncoder().encode((await readFile(join(vigil.dataDir, 'secrets', 'jwt.key'), 'utf8')).trim());
    expired = await new SignJWT({ tid: me.body.tenantId, role: 'superadmin', typ: 'access', sid: me.body.sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(me.body.userId)
      .setJti(randomUUID())
      .setIssuer('vigil')
      .setAudience('vigil-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(jwtKey);
  });
  after(async () => vigil?.stop());

  function fill(route: Route, ids: 'own' | 'random'): string {
    return route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (ids === 'random') return name === 'type' ? `walk-type-${randomUUID().slice(0, 8)}` : randomUUID();
      const segments = route.path.split('/');
      const owner = segments[segments.indexOf(`{${name}}`) - 1]!;
      return ownIds.get(owner) ?? randomUUID();
    });
  }

  const call = (route: Route, path: string, token?: string) =>
    request(vigil.http, route.method, path, { token, body: ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined });

  test('the permission table and the documented routes are the same set', async () => {
    const routes = await documentedRoutes();
    for (const r of routes) assert.ok(accessFor(r.method, r.url), `${r.method} ${r.url} has no permission entry`);
    const documented = new Set(routes.map((r) => `${r.method} ${r.url}`));
    const stale = Object.keys(ROUTE_ACCESS).filter((k) => !documented.has(k) && k !== 'GET /api/openapi.json' && k !== 'OPTIONS *');
    assert.deepEqual(stale, [], 'entries for routes that no longer exist');
  });

  test('no credential and an expired token get 401 on every protected route', async () => {
    for (const route of await documentedRoutes()) {
      const access = accessFor(route.method, route.url)!;
      if (access === 'public' || access === 'device') continue;
      assert.equal((await call(route, fill(route, 'random'))).status, 401, `${route.method} ${route.path} without a token`);
      assert.equal((await call(route, fill(route, 'random'), expired)).status, 401, `${route.method} ${route.path} with an expired token`);
    }
  });

  test('each role gets exactly what the table grants', async () => {
    let checked = 0;
    for (const route of await documentedRoutes()) {
      const access = accessFor(route.method, route.url)!;
      if (access === 'public' || access === 'device') continue;
      for (const role of ROLES) {
        // Random ids: an allowed call reaches the handler (then 400/404/2xx) without destroying fixtures.
        const res = await call(route, fill(route, 'random'), tokens.get(role));
        const allowed = access === 'self' || roleHas(role, access);
        if (allowed) assert.ok(res.status !== 401 && res.status !== 403, `${role} ${route.method} ${route.path}: ${res.status} ${JSON.stringify(res.body)}`);
        else assert.equal(res.status, 403, `${role} ${route.method} ${route.path}`);
        checked++;
      }
    }
    assert.ok(checked > 200, `only ${checked} checks`);
  });

  test('a custom role gets exactly its permission set, through the same table', async () => {
    let allowedCount = 0;
    for (const route of await documentedRoutes()) {
      const access = accessFor(route.method, route.url)!;
      if (access === 'public' || access === 'device') continue;
      const res = await call(route, fill(route, 'random'), customToken);
      const allowed = access === 'self' || CUSTOM_SET.includes(access);
      if (allowed) {
        allowedCount++;
        assert.ok(res.status !== 401 && res.status !== 403, `custom role ${route.method} ${route.path}: ${res.status} ${JSON.stringify(res.body)}`);
      } else assert.equal(res.status, 403, `custom role ${route.method} ${route.path}: ${JSON.stringify(res.body)}`);
    }
    assert.ok(allowedCount > 20, `only ${allowedCount} routes allowed`);
  });

  test("another tenant's admin can neither read nor change this tenant's objects", async () => {
    for (const route of await documentedRoutes()) {
      const access = accessFor(route.method, route.url)!;
      if (access === 'public' || access === 'device') continue;
      const path = fill(route, 'own');
      const res = await call(route, path, otherTenantAdmin);
      const text = JSON.stringify(res.body);
      if (route.path.startsWith('/api/v1/audit')) {
        // The caller's own audit trail records the ids it tried; it must hold only its own tenant's entries.
        if (route.path === '/api/v1/audit') assert.ok(res.body.items.every((e: { tenantId: string }) => e.tenantId === otherTenantId), text);
        continue;
      }
      // An id the caller sent may be echoed in a 404 message; any other id of this tenant is a leak.
      for (const secret of secrets.filter((s) => !path.includes(s))) {
        assert.ok(!text.includes(secret), `${route.method} ${route.path} leaked ${secret}: ${text}`);
      }
      if (route.path.includes('{id}')) {
        assert.ok([400, 403, 404].includes(res.status), `${route.method} ${route.path} with this tenant's id: ${res.status} ${text}`);
      }
    }
    // Nothing of the first tenant changed.
    const root = tokens.get('superadmin')!;
    assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${ownIds.get('devices')}`, { token: root })).status, 200);
    assert.equal((await request(vigil.http, 'GET', `/api/v1/users/${ownIds.get('users')}`, { token: root })).body.disabled, false);
    const keys = await request(vigil.http, 'GET', '/api/v1/api-keys', { token: root });
    assert.equal(keys.body.items.find((k: { id: string }) => k.id === ownIds.get('api-keys')).revokedAt, null);
  });
});
