import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/domains/auth/passwords.js';
import { createDevice, login, request, startVigil, type Running } from '../helpers/harness.js';

describe('API authentication, devices and tenants', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
  });
  after(async () => vigil.stop());

  test('every management route needs a bearer token', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/devices'],
      ['POST', '/api/v1/devices'],
      ['GET', '/api/v1/ingest/rejected'],
    ] as const) {
      const res = await request(vigil.http, method, path, { body: method === 'POST' ? { name: 'x' } : undefined });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.body.error, 'UNAUTHORIZED');
    }
    const forged = await request(vigil.http, 'GET', '/api/v1/devices', { token: `${token}x` });
    assert.equal(forged.status, 401);
  });

  test('wrong password is refused; refresh issues a new working pair', async () => {
    const wrong = await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password: 'nope' } });
    assert.equal(wrong.status, 401);
    const ok = await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password: 'test-password-123' } });
    const refreshed = await request(vigil.http, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: ok.body.refreshToken } });
    assert.equal(refreshed.status, 200);
    const list = await request(vigil.http, 'GET', '/api/v1/devices', { token: refreshed.body.accessToken });
    assert.equal(list.status, 200);
    // An access token is not a refresh token.
    const misuse = await request(vigil.http, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: ok.body.accessToken } });
    assert.equal(misuse.status, 401);
  });

  test('device lifecycle: create, get, list with filters and paging, patch, rotate, delete', async () => {
    const a = await createDevice(vigil.http, token, 'pump-a', { type: 'pump', labels: { line: '1' } });
    await createDevice(vigil.http, token, 'pump-b', { type: 'pump' });
    await createDevice(vigil.http, token, 'door-1', { type: 'lock' });
    assert.ok(a.accessToken.length >= 20);
    assert.equal(a.status, 'offline');

    const got = await request(vigil.http, 'GET', `/api/v1/devices/${a.id}`, { token });
    assert.equal(got.body.name, 'pump-a');
    assert.equal(got.body.accessToken, undefined, 'the credential is shown only once');

    const pumps = await request(vigil.http, 'GET', '/api/v1/devices?type=pump&limit=1', { token });
    assert.equal(pumps.body.total, 2);
    assert.equal(pumps.body.items.length, 1);
    const byName = await request(vigil.http, 'GET', '/api/v1/devices?name=DOOR', { token });
    assert.deepEqual(byName.body.items.map((d: { name: string }) => d.name), ['door-1']);

    const patched = await request(vigil.http, 'PATCH', `/api/v1/devices/${a.id}`, { token, body: { name: 'pump-a2', labels: { line: '2' } } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'pump-a2');
    assert.deepEqual(patched.body.labels, { line: '2' });

    const sent = await request(vigil.http, 'POST', `/api/v1/${a.accessToken}/telemetry`, { body: { t: 1 } });
    assert.equal(sent.status, 200);
    const online = await request(vigil.http, 'GET', '/api/v1/devices?status=online', { token });
    assert.deepEqual(online.body.items.map((d: { id: string }) => d.id), [a.id]);

    const rotated = await request(vigil.http, 'POST', `/api/v1/devices/${a.id}/credentials/rotate`, { token });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.accessToken, a.accessToken);
    const old = await request(vigil.http, 'POST', `/api/v1/${a.accessToken}/telemetry`, { body: { t: 1 } });
    assert.equal(old.status, 401);
    const fresh = await request(vigil.http, 'POST', `/api/v1/${rotated.body.accessToken}/telemetry`, { body: { t: 2 } });
    assert.equal(fresh.status, 200);

    const del = await request(vigil.http, 'DELETE', `/api/v1/devices/${a.id}`, { token });
    assert.equal(del.status, 204);
    const gone = await request(vigil.http, 'GET', `/api/v1/devices/${a.id}`, { token });
    assert.equal(gone.status, 404);
  });

  test('bad request bodies get 400 with details', async () => {
    const res = await request(vigil.http, 'POST', '/api/v1/devices', { token, body: { type: 'x' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'BAD_REQUEST');
    const malformed = await request(vigil.http, 'POST', '/api/v1/devices', { token, raw: '{"name":' });
    assert.equal(malformed.status, 400);
  });

  test('a tenant never sees another tenant\'s devices or data', async () => {
    const mine = await createDevice(vigil.http, token, 'private-sensor');
    const otherTenant = randomUUID();
    await vigil.app.metadataStore.createTenant({ id: otherTenant, name: 'other', createdAt: Date.now() });
    await vigil.app.metadataStore.createUser({
      id: randomUUID(),
      tenantId: otherTenant,
      email: 'ops@other.example',
      passwordHash: await hashPassword('other-password'),
      role: 'admin',
      createdAt: Date.now(),
    });
    const otherToken = await login(vigil.http, 'ops@other.example', 'other-password');
    const list = await request(vigil.http, 'GET', '/api/v1/devices', { token: otherToken });
    assert.equal(list.body.total, 0);
    for (const path of [`/api/v1/devices/${mine.id}`, `/api/v1/devices/${mine.id}/telemetry`, `/api/v1/devices/${mine.id}/telemetry/latest`]) {
      const res = await request(vigil.http, 'GET', path, { token: otherToken });
      assert.equal(res.status, 404, path);
    }
    const del = await request(vigil.http, 'DELETE', `/api/v1/devices/${mine.id}`, { token: otherToken });
    assert.equal(del.status, 404);
    const rejected = await request(vigil.http, 'GET', '/api/v1/ingest/rejected', { token: otherToken });
    assert.equal(rejected.body.items.length, 0);
  });

  test('OpenAPI document is generated from the route schemas and browsable', async () => {
    const doc = await request(vigil.http, 'GET', '/api/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi.startsWith('3.'), true);
    for (const path of ['/api/v1/devices', '/api/v1/devices/{id}/telemetry', '/api/v1/{token}/telemetry', '/api/v1/auth/login']) {
      assert.ok(doc.body.paths[path], path);
    }
    const ui = await fetch(`${vigil.http}/api/docs`);
    assert.equal(ui.status, 200);
  });

  test('health and readiness', async () => {
    assert.equal((await request(vigil.http, 'GET', '/health')).status, 200);
    const ready = await request(vigil.http, 'GET', '/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.telemetryStore, 'ok');
  });
});
