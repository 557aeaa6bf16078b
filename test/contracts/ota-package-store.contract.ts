// The OtaPackageStore contract: every implementation runs it (today the embedded DuckDB store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { OtaPackage, OtaPackageStore } from '../../src/ports/ota-package-store.js';

export function otaPackageStoreContract(name: string, open: () => Promise<OtaPackageStore>): void {
  test(`${name} - packages: bytes round-trip exactly, unique per tenant/kind/title/version, find, list, delete`, async () => {
    const store = await open();
    const t = randomUUID();
    const data = Buffer.concat([randomBytes(70_000), Buffer.from([0, 255, 0])]);
    const pkg: OtaPackage = {
      id: randomUUID(),
      tenantId: t,
      kind: 'firmware',
      title: 'tracker',
      version: '1.2.0',
      deviceType: 'tracker',
      checksumAlgorithm: 'SHA256',
      checksum: 'abc',
      sizeBytes: data.length,
      createdAt: 5,
    };
    await store.createPackage(pkg, data);
    assert.deepEqual(await store.getPackage(t, pkg.id), pkg);
    assert.equal(await store.getPackage(randomUUID(), pkg.id), null);
    assert.ok((await store.readData(t, pkg.id))!.equals(data));
    await assert.rejects(store.createPackage({ ...pkg, id: randomUUID() }, data));
    const sw = { ...pkg, id: randomUUID(), kind: 'software' as const, deviceType: null, createdAt: 6 };
    await store.createPackage(sw, Buffer.from('x'));
    assert.equal((await store.findPackage(t, 'firmware', 'tracker', '1.2.0'))?.id, pkg.id);
    assert.equal(await store.findPackage(t, 'firmware', 'tracker', '9'), null);
    assert.deepEqual((await store.listPackages(t)).map((p) => p.id), [sw.id, pkg.id]);
    assert.deepEqual((await store.listPackages(t, 'firmware')).map((p) => p.id), [pkg.id]);
    assert.equal(await store.deletePackage(randomUUID(), pkg.id), false);
    assert.equal(await store.deletePackage(t, pkg.id), true);
    assert.equal(await store.readData(t, pkg.id), null);
    await store.close();
  });

  test(`${name} - campaigns: save replaces, get per tenant, list per tenant and running across tenants`, async () => {
    const store = await open();
    const t = randomUUID();
    const campaign = {
      id: randomUUID(),
      tenantId: t,
      packageId: randomUUID(),
      deviceType: 'tracker',
      stagePercents: [10, 100],
      maxFailureRatio: 0.2,
      status: 'running' as const,
      stage: 0,
      devices: [{ deviceId: 'd1', stage: 0, state: 'assigned' as const }],
      pausedReason: null,
      createdAt: 1,
      updatedAt: 1,
    };
    await store.saveCampaign(campaign);
    assert.deepEqual(await store.getCampaign(t, campaign.id), campaign);
    assert.equal(await store.getCampaign(randomUUID(), campaign.id), null);
    assert.ok((await store.listCampaigns({ status: 'running' })).some((c) => c.id === campaign.id));
    await store.saveCampaign({ ...campaign, status: 'paused', pausedReason: 'x', updatedAt: 2 });
    assert.equal((await store.getCampaign(t, campaign.id))?.status, 'paused');
    assert.ok(!(await store.listCampaigns({ status: 'running' })).some((c) => c.id === campaign.id));
    assert.deepEqual((await store.listCampaigns({ tenantId: t })).map((c) => c.id), [campaign.id]);
    await store.close();
  });
}
