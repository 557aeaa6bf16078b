// The IdentityStore contract: every implementation runs it (the DuckDB and PostgreSQL stores). The
// factory also returns the MetadataStore that owns users and tenants in the same database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IdentityStore, Session } from '../../src/ports/identity-store.js';
import type { MetadataStore } from '../../src/ports/metadata-store.js';

export interface IdentityFixture {
  identity: IdentityStore;
  metadata: MetadataStore;
  close(): Promise<void>;
}

async function userIn(f: IdentityFixture, tenantId: string, email: string) {
  const user = { id: randomUUID(), tenantId, email, passwordHash: 'h1', role: 'viewer' as const, createdAt: Date.now() };
  await f.metadata.createUser(user);
  return user;
}

function session(userId: string, tenantId: string, extra: Partial<Session> = {}): Session {
  const now = Date.now();
  return {
    id: randomUUID(), userId, tenantId, currentTokenId: 't1', createdAt: now, lastUsedAt: now, expiresAt: now + 60_000,
    revokedAt: null, revokedReason: null, ip: '127.0.0.1', userAgent: 'test', ...extra,
  };
}

export function identityStoreContract(name: string, open: () => Promise<IdentityFixture>): void {
  test(`${name} - users: list per tenant, update role/password/disabled, delete`, async () => {
    const f = await open();
    try {
      const a = randomUUID();
      const b = randomUUID();
      const ua = await userIn(f, a, 'a@example.com');
      await userIn(f, b, 'b@example.com');
      assert.deepEqual((await f.identity.listUsers(a)).map((u) => u.email), ['a@example.com']);
      assert.equal((await f.identity.getUser(ua.id))?.disabled, false);
      assert.equal(await f.identity.updateUser(ua.id, { role: 'engineer', disabled: true, passwordHash: 'h2' }), true);
      const changed = await f.identity.getUserByEmail('A@example.com');
      assert.deepEqual([changed?.role, changed?.disabled, changed?.passwordHash], ['engineer', true, 'h2']);
      assert.equal(await f.identity.updateUser(randomUUID(), { disabled: true }), false);
      assert.equal(await f.identity.deleteUser(ua.id), true);
      assert.equal(await f.identity.getUser(ua.id), null);
    } finally {
      await f.close();
    }
  });

  test(`${name} - sessions: rotation is a compare-and-set; a revoked session cannot rotate`, async () => {
    const f = await open();
    try {
      const s = session(randomUUID(), randomUUID());
      await f.identity.createSession(s);
      assert.equal(await f.identity.rotateSession(s.id, 't1', 't2', Date.now(), Date.now() + 1000), true);
      assert.equal(await f.identity.rotateSession(s.id, 't1', 't3', Date.now(), Date.now() + 1000), false, 'old token reused');
      assert.equal((await f.identity.getSession(s.id))?.currentTokenId, 't2');
      assert.equal(await f.identity.revokeSession(s.id, 'logout', Date.now()), true);
      assert.equal(await f.identity.revokeSession(s.id, 'again', Date.now()), false);
      assert.equal(await f.identity.rotateSession(s.id, 't2', 't4', Date.now(), Date.now() + 1000), false);
      assert.equal((await f.identity.getSession(s.id))?.revokedReason, 'logout');
    } finally {
      await f.close();
    }
  });

  test(`${name} - sessions: list shows only active ones; revoking a user's sessions ends them all`, async () => {
    const f = await open();
    try {
      const userId = randomUUID();
      const t = randomUUID();
      const s1 = session(userId, t);
      const s2 = session(userId, t);
      const expired = session(userId, t, { expiresAt: Date.now() - 1 });
      for (const s of [s1, s2, expired]) await f.identity.createSession(s);
      assert.equal((await f.identity.listSessions(userId, Date.now())).length, 2);
      assert.deepEqual((await f.identity.revokeUserSessions(userId, 'reset', Date.now())).length, 3);
      assert.equal((await f.identity.listSessions(userId, Date.now())).length, 0);
    } finally {
      await f.close();
    }
  });

  test(`${name} - login failures are kept per account, case-insensitively, and cleared`, async () => {
    const f = await open();
    try {
      await f.identity.putLoginFailures({ account: 'X@Example.com', failures: 3, lastFailureAt: 10, lockedUntil: null });
      await f.identity.putLoginFailures({ account: 'x@example.com', failures: 6, lastFailureAt: 20, lockedUntil: 99 });
      assert.deepEqual(await f.identity.getLoginFailures('x@EXAMPLE.com'), { account: 'x@example.com', failures: 6, lastFailureAt: 20, lockedUntil: 99 });
      await f.identity.clearLoginFailures('X@example.com');
      assert.equal(await f.identity.getLoginFailures('x@example.com'), null);
    } finally {
      await f.close();
    }
  });

  test(`${name} - tenant settings default to active and unlimited; deleting a tenant removes its people and keys`, async () => {
    const f = await open();
    try {
      const t = randomUUID();
      await f.metadata.createTenant({ id: t, name: 'gone', createdAt: 1 });
      assert.deepEqual(await f.identity.getTenantSettings(t), { tenantId: t, suspended: false, maxDevices: null, maxPointsPerSec: null, maxSeries: null, maxStorageBytes: null, apiRequestsPerMin: null, apiRequestsPerMinPerUser: null });
      await f.identity.putTenantSettings({ tenantId: t, suspended: true, maxDevices: 5, maxPointsPerSec: 100 });
      assert.deepEqual(await f.identity.getTenantSettings(t), { tenantId: t, suspended: true, maxDevices: 5, maxPointsPerSec: 100, maxSeries: null, maxStorageBytes: null, apiRequestsPerMin: null, apiRequestsPerMinPerUser: null });
      const limits = { maxSeries: 50, maxStorageBytes: 1_000_000, apiRequestsPerMin: 600, apiRequestsPerMinPerUser: 60 };
      await f.identity.putTenantSettings({ tenantId: t, suspended: true, maxDevices: 5, maxPointsPerSec: 100, ...limits });
      assert.deepEqual(await f.identity.getTenantSettings(t), { tenantId: t, suspended: true, maxDevices: 5, maxPointsPerSec: 100, ...limits });
      const role = { id: randomUUID(), tenantId: t, name: 'alarm desk', description: '', permissions: ['read', 'alarms:write'], createdAt: 1, updatedAt: 1 };
      await f.identity.putCustomRole(role);
      const u = await userIn(f, t, 'gone@example.com');
      await f.identity.createSession(session(u.id, t));
      await f.identity.createApiKey({
        id: randomUUID(), tenantId: t, name: 'k', keyHash: 'kh-gone', role: 'viewer', scopes: ['read'], createdBy: u.id,
        createdAt: 1, expiresAt: Date.now() + 1000, revokedAt: null, lastUsedAt: null,
      });
      await f.identity.setUserCustomRole(u.id, role.id);
      await f.identity.deleteTenant(t);
      assert.equal(await f.identity.getUser(u.id), null);
      assert.equal(await f.identity.getCustomRole(role.id), null);
      assert.equal(await f.identity.getUserCustomRole(u.id), null);
      assert.equal(await f.identity.findApiKeyByHash('kh-gone'), null);
      assert.equal((await f.metadata.listTenants()).some((x) => x.id === t), false);
      assert.equal((await f.identity.getTenantSettings(t)).suspended, false);
    } finally {
      await f.close();
    }
  });

  test(`${name} - custom roles: listed per tenant, names unique per tenant, updated in place, assignments follow`, async () => {
    const f = await open();
    try {
      const [t1, t2] = [randomUUID(), randomUUID()];
      await f.metadata.createTenant({ id: t1, name: `r1-${t1}`, createdAt: 1 });
      await f.metadata.createTenant({ id: t2, name: `r2-${t2}`, createdAt: 1 });
      const desk = { id: randomUUID(), tenantId: t1, name: 'desk', description: 'alarm desk', permissions: ['read', 'alarms:write'], createdAt: 1, updatedAt: 1 };
      await f.identity.putCustomRole(desk);
      await f.identity.putCustomRole({ ...desk, id: randomUUID(), tenantId: t2 }); // same name, other tenant
      await assert.rejects(f.identity.putCustomRole({ ...desk, id: randomUUID() }), 'a second "desk" in one tenant');
      await f.identity.putCustomRole({ ...desk, permissions: ['read'], description: 'read only', updatedAt: 2 });
      assert.deepEqual(await f.identity.getCustomRole(desk.id), { ...desk, permissions: ['read'], description: 'read only', updatedAt: 2 });
      assert.deepEqual((await f.identity.listCustomRoles(t1)).map((r) => r.id), [desk.id]);

      const u = await userIn(f, t1, `desk-${t1}@example.com`);
      assert.equal(await f.identity.getUserCustomRole(u.id), null);
      await f.identity.setUserCustomRole(u.id, desk.id);
      await f.identity.setUserCustomRole(u.id, desk.id);
      assert.equal(await f.identity.getUserCustomRole(u.id), desk.id);
      assert.deepEqual(await f.identity.usersWithCustomRole(desk.id), [u.id]);
      assert.equal(await f.identity.deleteCustomRole(desk.id), true);
      assert.equal(await f.identity.getUserCustomRole(u.id), null, 'deleting a role ends its assignments');
      assert.equal(await f.identity.deleteCustomRole(desk.id), false);
    } finally {
      await f.close();
    }
  });

  test(`${name} - API keys: found by hash, listed per tenant, revoked only within their tenant`, async () => {
    const f = await open();
    try {
      const t = randomUUID();
      const key = {
        id: randomUUID(), tenantId: t, name: 'ci', keyHash: `kh-${randomUUID()}`, role: 'engineer' as const, scopes: ['read', 'devices:write'],
        createdBy: 'u', createdAt: 1, expiresAt: 2, revokedAt: null, lastUsedAt: null,
      };
      await f.identity.createApiKey(key);
      assert.deepEqual(await f.identity.findApiKeyByHash(key.keyHash), key);
      assert.equal((await f.identity.listApiKeys(t)).length, 1);
      assert.equal(await f.identity.revokeApiKey(randomUUID(), key.id, 5), false, 'another tenant cannot revoke it');
      assert.equal(await f.identity.revokeApiKey(t, key.id, 5), true);
      await f.identity.touchApiKey(key.id, 7);
      const after = await f.identity.findApiKeyByHash(key.keyHash);
      assert.deepEqual([after?.revokedAt, after?.lastUsedAt], [5, 7]);
    } finally {
      await f.close();
    }
  });
}
