import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/domains/auth/passwords.js';
import { login, request, startVigil, type Running } from '../helpers/harness.js';

describe('dashboards API', () => {
  let vigil: Running;
  let token: string;
  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
  });
  after(async () => vigil.stop());

  const widget = { id: 'w1', type: 'chart', x: 0, y: 0, w: 6, h: 4, title: 'Temperature', config: { deviceId: 'd1', key: 'temperature' } };

  test('create, list, read, replace and delete; widgets come back exactly as saved', async () => {
    const created = await request(vigil.http, 'POST', '/api/v1/dashboards', { token, body: { name: 'Plant', widgets: [widget] } });
    assert.equal(created.status, 201);
    assert.equal(created.body.rangeMs, 24 * 3_600_000, 'last 24 h by default');
    const id = created.body.id;
    const list = await request(vigil.http, 'GET', '/api/v1/dashboards', { token });
    assert.deepEqual(list.body.items.map((d: { name: string }) => d.name), ['Plant']);
    const moved = { ...widget, x: 6, y: 2, w: 4, config: { ...widget.config, agg: 'max' } };
    const text = { id: 'w2', type: 'text', x: 0, y: 0, w: 3, h: 2, config: { text: '# Line 1' } };
    const replaced = await request(vigil.http, 'PUT', `/api/v1/dashboards/${id}`, {
      token,
      body: { name: 'Plant A', widgets: [moved, text], rangeMs: 3_600_000 },
    });
    assert.equal(replaced.status, 200);
    const read = await request(vigil.http, 'GET', `/api/v1/dashboards/${id}`, { token });
    assert.equal(read.body.name, 'Plant A');
    assert.equal(read.body.rangeMs, 3_600_000);
    assert.deepEqual(read.body.widgets, [moved, text]);
    assert.equal((await request(vigil.http, 'DELETE', `/api/v1/dashboards/${id}`, { token })).status, 204);
    assert.equal((await request(vigil.http, 'GET', `/api/v1/dashboards/${id}`, { token })).status, 404);
  });

  test('bad widgets are refused: unknown type, off the grid, duplicate ids', async () => {
    for (const widgets of [[{ ...widget, type: 'pie' }], [{ ...widget, x: 12 }], [widget, { ...widget }]]) {
      const res = await request(vigil.http, 'POST', '/api/v1/dashboards', { token, body: { name: 'bad', widgets } });
      assert.equal(res.status, 400, JSON.stringify(widgets));
    }
    assert.equal((await request(vigil.http, 'PUT', '/api/v1/dashboards/nope', { token, body: { name: 'x' } })).status, 404);
    assert.equal((await request(vigil.http, 'GET', '/api/v1/dashboards')).status, 401);
  });
});

describe('dashboards API - tenant scope', () => {
  let vigil: Running;
  before(async () => {
    vigil = await startVigil();
  });
  after(async () => vigil.stop());

  test("another tenant neither lists, reads, changes nor deletes a tenant's dashboard", async () => {
    const token = await login(vigil.http);
    const mine = await request(vigil.http, 'POST', '/api/v1/dashboards', { token, body: { name: 'private' } });
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
    const other = await login(vigil.http, 'ops@other.example', 'other-password');
    assert.deepEqual((await request(vigil.http, 'GET', '/api/v1/dashboards', { token: other })).body.items, []);
    const path = `/api/v1/dashboards/${mine.body.id}`;
    assert.equal((await request(vigil.http, 'GET', path, { token: other })).status, 404);
    assert.equal((await request(vigil.http, 'PUT', path, { token: other, body: { name: 'taken' } })).status, 404);
    assert.equal((await request(vigil.http, 'DELETE', path, { token: other })).status, 404);
    assert.equal((await request(vigil.http, 'GET', path, { token })).body.name, 'private');
  });
});
