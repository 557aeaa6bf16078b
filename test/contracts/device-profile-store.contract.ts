// The DeviceProfileStore contract: every implementation runs it (today the embedded DuckDB store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DeviceProfile, DeviceProfileStore } from '../../src/ports/device-profile-store.js';

export function deviceProfileStoreContract(name: string, open: () => Promise<DeviceProfileStore>): void {
  test(`${name} - put inserts and replaces by id, names are unique per tenant, delete is per tenant`, async () => {
    const store = await open();
    const t = randomUUID();
    const profile: DeviceProfile = {
      id: randomUUID(),
      tenantId: t,
      name: 'thermostat',
      description: '',
      telemetrySchema: { keys: { temperature: { type: 'number', unit: '°C', min: -40, max: 85 } }, unknownKeys: 'reject' },
      onViolation: 'reject',
      inactivityTimeoutMs: 60_000,
      createdAt: 1,
      updatedAt: 1,
    };
    await store.putProfile(profile);
    const renamed = { ...profile, name: 'thermostat-v2', telemetrySchema: null, inactivityTimeoutMs: null, updatedAt: 2 };
    await store.putProfile(renamed);
    assert.deepEqual((await store.listAllProfiles()).filter((p) => p.tenantId === t), [renamed]);
    await store.putProfile({ ...profile, id: randomUUID(), tenantId: randomUUID() }); // same name, another tenant
    await assert.rejects(store.putProfile({ ...profile, id: randomUUID(), name: 'thermostat-v2' }), 'a name is unique in a tenant');
    assert.equal(await store.deleteProfile(randomUUID(), profile.id), false);
    assert.equal(await store.deleteProfile(t, profile.id), true);
    assert.deepEqual((await store.listAllProfiles()).filter((p) => p.tenantId === t), []);
    await store.close();
  });
}
