// The ProvisioningStore contract: every implementation runs it (embedded DuckDB and PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ProvisionProfile, ProvisioningStore } from '../../src/ports/provisioning-store.js';

export function provisioningStoreContract(name: string, open: () => Promise<ProvisioningStore>): void {
  test(`${name} - profiles: unique key across tenants, found by key, listed and deleted per tenant`, async () => {
    const store = await open();
    const t = randomUUID();
    const profile: ProvisionProfile = {
      id: randomUUID(),
      tenantId: t,
      name: 'thermostats',
      deviceType: 'thermostat',
      strategy: 'allow_new',
      provisionKey: `key-${randomUUID()}`,
      secretHash: 'h',
      createdAt: 1,
    };
    await store.createProfile(profile);
    assert.deepEqual(await store.findProfileByKey(profile.provisionKey), profile);
    assert.equal(await store.findProfileByKey('nope'), null);
    await assert.rejects(store.createProfile({ ...profile, id: randomUUID(), tenantId: randomUUID() }), 'a key is unique across tenants');
    assert.deepEqual((await store.listProfiles(t)).map((p) => p.id), [profile.id]);
    assert.equal(await store.deleteProfile(randomUUID(), profile.id), false, 'another tenant cannot delete it');
    assert.equal(await store.deleteProfile(t, profile.id), true);
    assert.deepEqual(await store.listProfiles(t), []);
    await store.close();
  });

  test(`${name} - claims: put replaces, get per tenant, delete`, async () => {
    const store = await open();
    const [t, d] = [randomUUID(), randomUUID()];
    await store.putClaim({ tenantId: t, deviceId: d, secretHash: 'a', expiresAt: 10 });
    await store.putClaim({ tenantId: t, deviceId: d, secretHash: 'b', expiresAt: 20 });
    assert.deepEqual(await store.getClaim(t, d), { tenantId: t, deviceId: d, secretHash: 'b', expiresAt: 20 });
    assert.equal(await store.getClaim(randomUUID(), d), null);
    await store.deleteClaim(t, d);
    assert.equal(await store.getClaim(t, d), null);
    await store.close();
  });
}
