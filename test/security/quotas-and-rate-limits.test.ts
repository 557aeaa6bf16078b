// Per-tenant API rate limits (per user login, per API key, per tenant; 429 with Retry-After), the
// series quota (a new series over it is refused at ingest: 422 over HTTP, 0x97 over MQTT 5, the
// reason in the dead-letter log) and the storage quota (telemetry refused once reached: 403 over
// HTTP, 0x97 over MQTT 5), set by the superadmin and shown with usage on the tenant.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { createDevice, login, request, startVigil, type Running } from '../helpers/harness.js';

const PW = 'a-long-enough-passphrase';

describe('per-tenant API rate limits and quotas', () => {
  let vigil: Running;
  let root: string;

  before(async () => {
    vigil = await startVigil();
    root = await login(vigil.http);
  });
  after(async () => vigil?.stop());

  async function tenant(name: string, limits: Record<string, number>) {
    const res = await request(vigil.http, 'POST', '/api/v1/tenants', { token: root, body: { name, ...limits, admin: { email: `admin@${name}.example`, password: PW } } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id as string, admin: await login(vigil.http, `admin@${name}.example`, PW) };
  }

  test('per user and per API key: over the tenant\'s limit a caller gets 429 with Retry-After; others go on', async () => {
    const t = await tenant('limited', { apiRequestsPerMinPerUser: 5 });
    const shown = await request(vigil.http, 'GET', '/api/v1/tenant', { token: t.admin });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.rateLimits.apiRequestsPerMinPerUser, 5);
    assert.equal(shown.body.effective.apiRequestsPerMinPerUser, 5);
    assert.ok(shown.body.effective.apiRequestsPerMin > 5, 'the tenant-wide limit is the platform default');

    const viewer = await request(vigil.http, 'POST', '/api/v1/users', { token: t.admin, body: { email: 'viewer@limited.example', password: PW, role: 'viewer' } });
    assert.equal(viewer.status, 201);
    const key = await request(vigil.http, 'POST', '/api/v1/api-keys', { token: t.admin, body: { name: 'etl', scopes: ['read'], expiresInDays: 1 } });
    assert.equal(key.status, 201);

    // Three requests so far (GET tenant, POST user, POST API key): two more pass, the sixth is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await request(vigil.http, 'GET', '/api/v1/devices', { token: t.admin })).status);
    assert.deepEqual(statuses, [200, 200]);
    const refused = await request(vigil.http, 'GET', '/api/v1/devices', { token: t.admin });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'RATE_LIMITED');
    assert.match(refused.body.message, /5 API requests per minute/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 12, `Retry-After ${refused.headers.get('retry-after')}`);

    const viewerToken = await login(vigil.http, 'viewer@limited.example', PW);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: viewerToken })).status, 200, 'another user has a bucket of its own');
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { headers: { 'x-api-key': key.body.key } })).status, 200, 'so has an API key');
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: root })).status, 200, 'other tenants are not affected');

    // The superadmin lifts the limit: the refused caller goes on at once.
    const lifted = await request(vigil.http, 'PATCH', `/api/v1/tenants/${t.id}`, { token: root, body: { apiRequestsPerMinPerUser: 1000 } });
    assert.equal(lifted.status, 200, JSON.stringify(lifted.body));
    assert.equal(lifted.body.rateLimits.apiRequestsPerMinPerUser, 1000);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: t.admin })).status, 200);
  });

  test('per tenant: all callers of a tenant together', async () => {
    const t = await tenant('shared-budget', { apiRequestsPerMin: 4 });
    const other = await request(vigil.http, 'POST', '/api/v1/users', { token: t.admin, body: { email: 'two@shared-budget.example', password: PW, role: 'viewer' } });
    assert.equal(other.status, 201); // 1 of 4
    const second = await login(vigil.http, 'two@shared-budget.example', PW);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: t.admin })).status, 200); // 2
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: second })).status, 200); // 3
    assert.equal((await request(vigil.http, 'GET', '/api/v1/devices', { token: second })).status, 200); // 4
    const refused = await request(vigil.http, 'GET', '/api/v1/devices', { token: t.admin });
    assert.equal(refused.status, 429);
    assert.match(refused.body.message, /your tenant exceeds 4 API requests per minute/);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  });

  test('series quota: a new series over it is refused (HTTP 422, MQTT 5 0x97, dead-letter reason); usage is shown', async () => {
    const t = await tenant('few-series', { maxSeries: 3 });
    const device = await createDevice(vigil.http, t.admin, 'meter');
    const ingest = (body: unknown) => request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body });
    assert.equal((await ingest({ a: 1, b: 2, c: 3 })).status, 200);
    const over = await ingest({ a: 1, d: 4 });
    assert.equal(over.status, 422);
    assert.equal(over.body.error, 'TOO_MANY_SERIES');
    assert.match(over.body.message, /series quota/);
    assert.equal((await ingest({ a: 5, b: 6 })).status, 200, 'known series go on');

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      await assert.rejects(client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ e: 1 }), { qos: 1 }), (err: Error & { code?: number }) => {
        assert.equal(err.code, 0x97, String(err));
        return true;
      });
    } finally {
      await client.endAsync(true);
    }

    const rejected = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token: t.admin });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    const reasons = (rejected.body.items as { reason: string; message: string }[]).map((r) => r.reason);
    assert.deepEqual(reasons.slice(0, 2), ['too_many_series', 'too_many_series']);

    const own = await request(vigil.http, 'GET', '/api/v1/tenant', { token: t.admin });
    assert.deepEqual([own.body.quota.maxSeries, own.body.effective.maxSeries, own.body.usage.series], [3, 3, 3]);
    const raised = await request(vigil.http, 'PATCH', `/api/v1/tenants/${t.id}`, { token: root, body: { maxSeries: null } });
    assert.equal(raised.body.quota.maxSeries, null);
    assert.ok(raised.body.effective.maxSeries > 3, 'back to the platform default');
    assert.equal((await ingest({ d: 4 })).status, 200);
  });

  test('storage quota: once reached, telemetry is refused (HTTP 403, MQTT 5 0x97, dead-letter reason); usage is shown', async () => {
    const t = await tenant('tiny-disk', { maxStorageBytes: 1 });
    const device = await createDevice(vigil.http, t.admin, 'logger');
    const ingest = (body: unknown) => request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body });
    assert.equal((await ingest({ a: 1, b: 2 })).status, 200, 'nothing stored yet: under the quota');
    const over = await ingest({ a: 3 });
    assert.equal(over.status, 403);
    assert.equal(over.body.error, 'QUOTA_EXCEEDED');
    assert.match(over.body.message, /storage quota reached: \d+ of 1 bytes/);

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      await assert.rejects(client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ a: 4 }), { qos: 1 }), (err: Error & { code?: number }) => {
        assert.equal(err.code, 0x97, String(err));
        return true;
      });
    } finally {
      await client.endAsync(true);
    }
    const rejected = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token: t.admin });
    assert.deepEqual((rejected.body.items as { reason: string }[]).slice(0, 2).map((r) => r.reason), ['quota_exceeded', 'quota_exceeded']);

    const own = await request(vigil.http, 'GET', '/api/v1/tenant', { token: t.admin });
    assert.equal(own.body.quota.maxStorageBytes, 1);
    assert.equal(own.body.usage.storedPoints, 2);
    assert.ok(own.body.usage.storageBytes > 0, JSON.stringify(own.body.usage));
    const raised = await request(vigil.http, 'PATCH', `/api/v1/tenants/${t.id}`, { token: root, body: { maxStorageBytes: null } });
    assert.equal(raised.body.effective.maxStorageBytes, null);
    assert.equal((await ingest({ a: 5 })).status, 200, 'unlimited again');
  });
});
