// Tenants, roles, API keys, quotas, audit and the dead-letter log's tenant scoping, end to end
// over HTTP as a platform superadmin, tenant admins and their users would use them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

function connectMqtt(port: number, username: string): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, reconnectPeriod: 0, connectTimeout: 5000 });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

const PW = 'a-long-enough-passphrase';

describe('tenants, roles, API keys, quotas and audit', () => {
  let vigil: Running;
  let root: string; // admin@localhost: the platform superadmin

  before(async () => {
    vigil = await startVigil();
    root = await login(vigil.http);
  });
  after(async () => vigil?.stop());

  async function user(token: string, email: string, role: string) {
    const res = await request(vigil.http, 'POST', '/api/v1/users', { token, body: { email, password: PW, role } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id as string, token: await login(vigil.http, email, PW) };
  }

  test('roles: engineers manage devices, operators handle alarms only, viewers read; nobody grants above their role', async () => {
    const admin = await user(root, 'admin@default.example', 'admin');
    const engineer = await user(admin.token, 'eng@default.example', 'engineer');
    const operator = await user(admin.token, 'op@default.example', 'operator');
    const viewer = await user(admin.token, 'view@default.example', 'viewer');
    const device = await createDevice(vigil.http, engineer.token, 'by-engineer');
    for (const who of [operator, viewer]) {
      assert.equal((await request(vigil.http, 'POST', '/api/v1/devices', { token: who.token, body: { name: 'x' } })).status, 403);
      assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token: who.token })).status, 200);
    }
    assert.equal((await request(vigil.http, 'GET', '/api/v1/users', { token: engineer.token })).status, 403);
    const grant = await request(vigil.http, 'POST', '/api/v1/users', { token: admin.token, body: { email: 'boss@default.example', password: PW, role: 'superadmin' } });
    assert.equal(grant.status, 403, 'an admin cannot create a superadmin');
    const self = await request(vigil.http, 'PATCH', `/api/v1/users/${admin.id}`, { token: admin.token, body: { disabled: true } });
    assert.equal(self.status, 409);

    const demote = await request(vigil.http, 'PATCH', `/api/v1/users/${engineer.id}`, { token: admin.token, body: { role: 'viewer' } });
    assert.equal(demote.status, 200);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: engineer.token })).status, 401, 'a role change ends the sessions');
    const disable = await request(vigil.http, 'PATCH', `/api/v1/users/${viewer.id}`, { token: admin.token, body: { disabled: true } });
    assert.equal(disable.body.disabled, true);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'view@default.example', password: PW } })).status, 401);
    const sessions = await request(vigil.http, 'GET', `/api/v1/users/${operator.id}/sessions`, { token: admin.token });
    assert.equal(sessions.body.items.length, 1);
    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/users/${operator.id}/sessions`, { token: admin.token })).body.revoked, 1);
    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/users/${operator.id}`, { token: admin.token })).status, 204);
  });

  test('a superadmin creates, suspends and deletes tenants; each has its own admin; suspension refuses users and devices', async () => {
    const created = await request(vigil.http, 'POST', '/api/v1/tenants', {
      token: root,
      body: { name: 'acme', maxDevices: 1, admin: { email: 'admin@acme.example', password: PW } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const tenantId = created.body.id as string;
    const acme = await login(vigil.http, 'admin@acme.example', PW);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/tenants', { token: acme })).status, 403, 'a tenant admin is not a platform admin');

    // Quota: one device, the second is refused; usage is shown.
    const device = await createDevice(vigil.http, acme, 'acme-1');
    const second = await request(vigil.http, 'POST', '/api/v1/devices', { token: acme, body: { name: 'acme-2' } });
    assert.equal(second.status, 403);
    assert.equal(second.body.error, 'QUOTA_EXCEEDED');
    const own = await request(vigil.http, 'GET', '/api/v1/tenant', { token: acme });
    assert.deepEqual([own.body.quota.maxDevices, own.body.usage.devices], [1, 1]);

    // The other tenant's admin sees none of acme's devices or users.
    const rootDevices = await request(vigil.http, 'GET', '/api/v1/devices', { token: root });
    assert.ok(!JSON.stringify(rootDevices.body).includes(device.id));
    assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token: root })).status, 404);
    const acmeUsers = await request(vigil.http, 'GET', '/api/v1/users', { token: acme });
    assert.deepEqual(acmeUsers.body.items.map((u: { email: string }) => u.email), ['admin@acme.example']);

    const telemetry = () => request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { t: 1 } });
    assert.equal((await telemetry()).status, 200);
    const connected = await connectMqtt(vigil.mqttPort, device.accessToken);
    const closed = new Promise<void>((resolve) => connected.once('close', () => resolve()));
    const suspended = await request(vigil.http, 'PATCH', `/api/v1/tenants/${tenantId}`, { token: root, body: { suspended: true } });
    assert.equal(suspended.body.suspended, true);
    assert.equal((await telemetry()).status, 401, "a suspended tenant's devices are refused");
    await closed; // its MQTT connections are ended
    connected.end(true);
    await assert.rejects(connectMqtt(vigil.mqttPort, device.accessToken), /Not authorized|not authori/i);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: acme })).status, 401, "a suspended tenant's tokens stop");
    assert.equal((await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@acme.example', password: PW } })).status, 401);
    await request(vigil.http, 'PATCH', `/api/v1/tenants/${tenantId}`, { token: root, body: { suspended: false } });
    assert.equal((await telemetry()).status, 200);

    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/tenants/${tenantId}`, { token: root })).status, 204);
    assert.equal((await telemetry()).status, 401);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@acme.example', password: PW } })).status, 401);
    const left = await request(vigil.http, 'GET', '/api/v1/tenants', { token: root });
    assert.ok(!left.body.items.some((t: { id: string }) => t.id === tenantId));
  });

  test('points-per-second quota: a tenant over its quota gets 429 rate_limited; usage is shown', async () => {
    const created = await request(vigil.http, 'POST', '/api/v1/tenants', {
      token: root,
      body: { name: 'delta', maxPointsPerSec: 10, admin: { email: 'admin@delta.example', password: PW } },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.quota.maxPointsPerSec, 10);
    const delta = await login(vigil.http, 'admin@delta.example', PW);
    const device = await createDevice(vigil.http, delta, 'delta-1');
    const batch = (n: number) => Array.from({ length: n }, (_, i) => ({ ts: Date.now() - 60_000 + i, values: { t: i } }));
    const over = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: batch(25) });
    assert.equal(over.status, 429, 'more than the burst (2 s worth) is refused');
    assert.equal(over.body.error, 'RATE_LIMITED');
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: batch(20) })).status, 200);
    const usage = await waitFor(async () => {
      const res = await request(vigil.http, 'GET', '/api/v1/tenant', { token: delta });
      return res.body.usage.pointsPerSec > 0 ? res.body.usage : null;
    }, 'points-per-second usage');
    assert.ok(usage.pointsPerSec <= 20);
    const rejected = await waitFor(async () => {
      const res = await request(vigil.http, 'GET', '/api/v1/ingest/rejected', { token: delta });
      return res.body.items.find((e: { reason: string }) => e.reason === 'rate_limited');
    }, 'rate_limited in the dead-letter log');
    assert.match(rejected.message, /quota of 10 points per second/);
  });

  test('API keys: shown once, scoped, usable as Bearer or X-API-Key, revocable; device X-API-Key ingest still works', async () => {
    const created = await request(vigil.http, 'POST', '/api/v1/api-keys', { token: root, body: { name: 'grafana', scopes: ['read'], expiresInDays: 30 } });
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    const listed = await request(vigil.http, 'GET', '/api/v1/api-keys', { token: root });
    assert.ok(!JSON.stringify(listed.body).includes(key), 'the secret is never listed');
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: key })).status, 200);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { headers: { 'x-api-key': key } })).status, 200);
    assert.equal((await request(vigil.http, 'POST', '/api/v1/devices', { token: key, body: { name: 'x' } })).status, 403, 'outside its scope');
    assert.equal((await request(vigil.http, 'GET', '/api/v1/auth/me', { token: key })).status, 403, 'no own account');
    const beyond = await request(vigil.http, 'POST', '/api/v1/api-keys', { token: await (async () => {
      const eng = await user(root, 'keys-eng@default.example', 'engineer');
      return eng.token;
    })(), body: { name: 'x', scopes: ['read'] } });
    assert.equal(beyond.status, 403, 'engineers do not manage keys');
    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/api-keys/${created.body.id}`, { token: root })).status, 204);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: key })).status, 401);

    const device = await createDevice(vigil.http, root, 'x-api-key-device');
    const ingest = await request(vigil.http, 'POST', '/api/v1/telemetry', { headers: { 'x-api-key': device.accessToken }, body: { t: 1 } });
    assert.equal(ingest.status, 200);
  });

  test("the dead-letter log never shows another tenant's payloads, nor unattributed ones to a tenant admin", async () => {
    await request(vigil.http, 'POST', '/api/v1/tenants', { token: root, body: { name: 'beta', admin: { email: 'admin@beta.example', password: PW } } });
    const beta = await login(vigil.http, 'admin@beta.example', PW);
    const betaDevice = await createDevice(vigil.http, beta, 'beta-sensor');
    await request(vigil.http, 'POST', `/api/v1/${betaDevice.accessToken}/telemetry`, { raw: '{"beta-secret":' });
    await request(vigil.http, 'POST', '/api/v1/not-a-token/telemetry', { raw: '{"unattributed-secret":1}' });
    const betaLog = await waitFor(async () => {
      const res = await request(vigil.http, 'GET', '/api/v1/ingest/rejected', { token: beta });
      return res.body.items.length > 0 ? res : null;
    }, 'beta rejection');
    assert.ok(JSON.stringify(betaLog.body).includes('beta-secret'));
    assert.ok(!JSON.stringify(betaLog.body).includes('unattributed-secret'));
    const defaultAdmin = await user(root, 'dl-admin@default.example', 'admin');
    const seen = JSON.stringify((await request(vigil.http, 'GET', '/api/v1/ingest/rejected', { token: defaultAdmin.token })).body);
    assert.ok(!seen.includes('beta-secret') && !seen.includes('unattributed-secret'), seen);
    const platform = JSON.stringify((await request(vigil.http, 'GET', '/api/v1/ingest/rejected', { token: root })).body);
    assert.ok(!platform.includes('beta-secret'), 'even the platform view does not mix in a tenant');
    assert.ok(platform.includes('unattributed-secret'), 'unattributed payloads are for the platform superadmin');
  });

  test('audit: logins and state changes are recorded with who, tenant, target, address and outcome; exported as CSV/NDJSON', async () => {
    await request(vigil.http, 'POST', '/api/v1/auth/login', { body: { email: 'admin@localhost', password: 'wrong-password-z' } });
    const device = await createDevice(vigil.http, root, 'audited');
    await request(vigil.http, 'DELETE', `/api/v1/devices/${device.id}`, { token: root });
    const entries = await waitFor(async () => {
      const res = await request(vigil.http, 'GET', `/api/v1/audit?limit=500`, { token: root });
      return res.body.items.some((e: { action: string }) => e.action === 'DELETE /api/v1/devices/:id') ? res.body.items : null;
    }, 'audit entries');
    const del = entries.find((e: { action: string }) => e.action === 'DELETE /api/v1/devices/:id');
    assert.equal(del.target, device.id);
    assert.equal(del.outcome, 'success');
    assert.equal(del.ip, '127.0.0.1');
    const failed = entries.find((e: { action: string; outcome: string }) => e.action === 'auth.login' && e.outcome === 'failure');
    assert.equal(failed.actorEmail, 'admin@localhost');
    assert.ok(failed.tenantId);
    const filtered = await request(vigil.http, 'GET', '/api/v1/audit?action=auth.login&limit=1&offset=0', { token: root });
    assert.equal(filtered.body.items.length, 1);
    assert.ok(filtered.body.total >= 2);
    const csv = await request(vigil.http, 'GET', '/api/v1/audit/export?format=csv', { token: root });
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(String(csv.body), /^id,at,tenantId,actor/);
    const nd = await request(vigil.http, 'GET', '/api/v1/audit/export?format=ndjson', { token: root });
    const lines = String(nd.body).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((e) => e.target === device.id));

    const acme = await request(vigil.http, 'POST', '/api/v1/tenants', { token: root, body: { name: 'gamma', admin: { email: 'admin@gamma.example', password: PW } } });
    assert.equal(acme.status, 201);
    const gamma = await login(vigil.http, 'admin@gamma.example', PW);
    const theirs = await request(vigil.http, 'GET', '/api/v1/audit?limit=1000', { token: gamma });
    assert.ok(theirs.body.items.every((e: { tenantId: string }) => e.tenantId === acme.body.id), 'a tenant admin sees only their tenant');
  });
});
