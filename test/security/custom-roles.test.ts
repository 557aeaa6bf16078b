// Custom roles as a tenant admin uses them: create a permission set, assign it, edit it (applies
// at once), delete it (the user falls back to the built-in role); nobody grants more than they
// hold; another tenant's roles are invisible; API keys of a custom-role user follow the role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { login, request, startVigil, type Running } from '../helpers/harness.js';

const PW = 'a-long-enough-passphrase';

describe('custom roles', () => {
  let vigil: Running;
  let root: string;

  before(async () => {
    vigil = await startVigil();
    root = await login(vigil.http);
  });
  after(async () => vigil?.stop());

  const call = (method: string, path: string, token: string, body?: unknown) => request(vigil.http, method, path, { token, body });

  test('create, assign, edit (at once), delete (back to the built-in role)', async () => {
    const desk = await call('POST', '/api/v1/roles', root, { name: 'alarm desk', description: 'night shift', permissions: ['read', 'alarms:write'] });
    assert.equal(desk.status, 201, JSON.stringify(desk.body));
    assert.equal((await call('POST', '/api/v1/roles', root, { name: 'alarm desk', permissions: ['read'] })).status, 409);
    assert.equal((await call('POST', '/api/v1/roles', root, { name: 'platform', permissions: ['tenants:manage'] })).status, 400);
    const listed = await call('GET', '/api/v1/roles', root);
    assert.deepEqual(listed.body.custom.map((r: { name: string }) => r.name), ['alarm desk']);
    assert.ok(listed.body.builtIn.some((r: { name: string; permissions: string[] }) => r.name === 'operator' && r.permissions.includes('commands:send')));

    const user = await call('POST', '/api/v1/users', root, { email: 'night@roles.example', password: PW, role: 'viewer' });
    let token = await login(vigil.http, 'night@roles.example', PW);
    const assigned = await call('PATCH', `/api/v1/users/${user.body.id}`, root, { customRoleId: desk.body.id });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.deepEqual(assigned.body.permissions, ['read', 'alarms:write']);
    assert.equal((await call('GET', '/api/v1/devices', token)).status, 401, 'an assignment ends the sessions');
    token = await login(vigil.http, 'night@roles.example', PW);
    const me = await call('GET', '/api/v1/auth/me', token);
    assert.deepEqual([me.body.customRoleId, me.body.permissions], [desk.body.id, ['read', 'alarms:write']]);
    assert.equal((await call('GET', '/api/v1/devices', token)).status, 200);
    const refused = await call('POST', '/api/v1/devices', token, { name: 'x' });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /requires permission devices:write \(your custom role lacks it\)/);

    const edited = await call('PUT', `/api/v1/roles/${desk.body.id}`, root, { name: 'alarm desk', permissions: ['read', 'alarms:write', 'devices:write'] });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal((await call('POST', '/api/v1/devices', token, { name: 'by-desk' })).status, 201, 'the edit applies to the live session');

    assert.equal((await call('DELETE', `/api/v1/roles/${desk.body.id}`, root)).status, 204);
    assert.equal((await call('GET', '/api/v1/devices', token)).status, 401, 'deleting the role ends its users\' sessions');
    token = await login(vigil.http, 'night@roles.example', PW);
    const back = await call('GET', '/api/v1/auth/me', token);
    assert.deepEqual([back.body.customRoleId, back.body.permissions], [null, ['read']], 'back to the built-in viewer');
    assert.equal((await call('GET', `/api/v1/roles/${desk.body.id}`, root)).status, 404);
  });

  test('nobody grants more than they hold; other tenants see nothing', async () => {
    const hr = await call('POST', '/api/v1/roles', root, { name: 'people', permissions: ['read', 'users:manage'] });
    assert.equal(hr.status, 201);
    const person = await call('POST', '/api/v1/users', root, { email: 'hr@roles.example', password: PW, role: 'viewer', customRoleId: hr.body.id });
    assert.equal(person.status, 201, JSON.stringify(person.body));
    const token = await login(vigil.http, 'hr@roles.example', PW);

    const wider = await call('POST', '/api/v1/roles', token, { name: 'wider', permissions: ['read', 'devices:write'] });
    assert.equal(wider.status, 403);
    assert.match(wider.body.message, /devices:write/);
    assert.equal((await call('POST', '/api/v1/users', token, { email: 'boss@roles.example', password: PW, role: 'admin' })).status, 403);
    assert.equal((await call('POST', '/api/v1/users', token, { email: 'reader@roles.example', password: PW, role: 'viewer' })).status, 201);
    const admins = (await call('GET', '/api/v1/users', token)).body.items.filter((u: { role: string }) => u.role === 'superadmin');
    const disable = await call('PATCH', `/api/v1/users/${admins[0].id}`, token, { disabled: true });
    assert.equal(disable.status, 403, 'a user holding more (the superadmin) cannot be managed');

    // API keys within the role only; a narrowed role narrows the key.
    assert.equal((await call('POST', '/api/v1/api-keys', token, { name: 'too much', scopes: ['devices:write'], expiresInDays: 1 })).status, 403);
    const key = await call('POST', '/api/v1/api-keys', token, { name: 'hr-sync', scopes: ['read', 'users:manage'], expiresInDays: 1 });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const asKey = (path: string) => request(vigil.http, 'GET', path, { headers: { 'x-api-key': key.body.key } });
    assert.equal((await asKey('/api/v1/users')).status, 200);
    assert.equal((await call('PUT', `/api/v1/roles/${hr.body.id}`, root, { name: 'people', permissions: ['read'] })).status, 200);
    assert.equal((await asKey('/api/v1/users')).status, 403, "the key follows its creator's narrowed role");
    assert.equal((await asKey('/api/v1/devices')).status, 200);

    const other = await call('POST', '/api/v1/tenants', root, { name: 'roles-other', admin: { email: 'admin@roles-other.example', password: PW } });
    const otherAdmin = await login(vigil.http, 'admin@roles-other.example', PW);
    assert.equal((await call('GET', `/api/v1/roles/${hr.body.id}`, otherAdmin)).status, 404);
    assert.deepEqual((await call('GET', '/api/v1/roles', otherAdmin)).body.custom, []);
    assert.equal((await call('PUT', `/api/v1/roles/${hr.body.id}`, otherAdmin, { name: 'x', permissions: ['read'] })).status, 404);
    assert.equal((await call('DELETE', `/api/v1/roles/${hr.body.id}`, otherAdmin)).status, 404);
    const otherUser = await call('POST', '/api/v1/users', otherAdmin, { email: 'x@roles-other.example', password: PW, role: 'viewer', customRoleId: hr.body.id });
    assert.equal(otherUser.status, 400, "another tenant's role cannot be assigned");
    assert.equal(other.status, 201);
  });
});
