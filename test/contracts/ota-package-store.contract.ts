// The OtaPackageStore contract: every implementation runs it (embedded DuckDB and PostgreSQL).
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

  test(`${name} - chunks: any range reads exactly those bytes, short at the end, empty past it, per tenant`, async () => {
    const store = await open();
    const t = randomUUID();
    // Not a multiple of any chunk or piece size, so the last chunk is short.
    const data = randomBytes(40_000 + 123);
    const pkg: OtaPackage = {
      id: randomUUID(),
      tenantId: t,
      kind: 'firmware',
      title: 'chunks',
      version: '1',
      deviceType: null,
      checksumAlgorithm: 'SHA256',
      checksum: 'abc',
      sizeBytes: data.length,
      createdAt: 1,
    };
    await store.createPackage(pkg, data);
    for (const size of [1024, 4096, 16_384]) {
      const parts: Buffer[] = [];
      for (let offset = 0; ; offset += size) {
        const part = (await store.readChunk(t, pkg.id, offset, size))!;
        if (part.length === 0) break;
        assert.ok(part.equals(data.subarray(offset, offset + size)), `chunk at ${offset} of size ${size}`);
        parts.push(part);
      }
      assert.ok(Buffer.concat(parts).equals(data), `chunks of ${size} make up the package`);
    }
    assert.ok((await store.readChunk(t, pkg.id, 999, 3001))!.equals(data.subarray(999, 4000)), 'an unaligned range');
    assert.ok((await store.readChunk(t, pkg.id, 0, data.length * 2))!.equals(data), 'a range past the end is cut at the end');
    assert.equal((await store.readChunk(t, pkg.id, data.length, 10))!.length, 0);
    assert.equal(await store.readChunk(randomUUID(), pkg.id, 0, 10), null, 'another tenant reads nothing');
    assert.equal(await store.readChunk(t, randomUUID(), 0, 10), null);
    await store.deletePackage(t, pkg.id);
    assert.equal(await store.readChunk(t, pkg.id, 0, 10), null);
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
      maxAlarmRatio: 0.25, // and alarmedAt below: the alarm budget of a campaign survives a restart
      status: 'running' as const,
      stage: 0,
      devices: [
        { deviceId: 'd1', stage: 0, state: 'assigned' as const },
        { deviceId: 'd2', stage: 0, state: 'UPDATED' as const, previousPackageId: null, alarmedAt: 1_700_000_000_123 },
      ],
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
