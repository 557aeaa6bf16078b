import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PgDeviceAccessStore } from '../../src/adapters/distributed/pg-device-access-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { deviceAccessStoreContract } from './device-access-store.contract.js';

describe('PgDeviceAccessStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  deviceAccessStoreContract('PgDeviceAccessStore', async () => {
    const stores = await openTestStores();
    const store = new PgDeviceAccessStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });

  test('PgDeviceAccessStore - one client id / username pair belongs to one device, even when two nodes race: the second gets a conflict', async () => {
    const stores = await openTestStores();
    const store = new PgDeviceAccessStore(stores.pool);
    try {
      const t = randomUUID();
      const pair = { clientId: null, username: `u-${randomUUID()}` };
      await store.putBasicCredential({ tenantId: t, deviceId: randomUUID(), ...pair, passwordHash: 'h1', updatedAt: 1 });
      await assert.rejects(store.putBasicCredential({ tenantId: t, deviceId: randomUUID(), ...pair, passwordHash: 'h2', updatedAt: 2 }), (err: Error & { statusCode?: number }) => {
        assert.equal(err.statusCode, 409);
        return true;
      });
      assert.equal((await store.findBasicCredential(null, pair.username))?.passwordHash, 'h1', 'the first holder keeps it');
    } finally {
      await store.close();
      await stores.close();
    }
  });

  test("PgDeviceAccessStore - a tenant has one CA of its own (two nodes making it at once keep one); uploaded CAs are many", async () => {
    const stores = await openTestStores();
    const store = new PgDeviceAccessStore(stores.pool);
    try {
      const t = randomUUID();
      const ca = (kind: 'vigil' | 'uploaded') => ({
        id: randomUUID(),
        tenantId: t,
        kind,
        name: kind,
        certificatePem: 'pem',
        privateKey: kind === 'vigil' ? 'sealed-key' : null,
        subject: 'CN=ca',
        fingerprint: randomUUID(),
        createDevices: false,
        deviceType: 'default',
        createdAt: 1,
      });
      const own = ca('vigil');
      await store.putAuthority(own);
      await store.putAuthority({ ...own, privateKey: 'resealed-key' }); // the same CA saved again
      await assert.rejects(store.putAuthority(ca('vigil')), (err: Error & { statusCode?: number }) => err.statusCode === 409);
      await store.putAuthority(ca('uploaded'));
      await store.putAuthority(ca('uploaded'));
      const listed = await store.listAuthorities(t);
      assert.deepEqual(listed.map((a) => a.kind).sort(), ['uploaded', 'uploaded', 'vigil']);
      assert.equal(listed.find((a) => a.kind === 'vigil')?.privateKey, 'resealed-key', 'the key is stored exactly as given');
    } finally {
      await store.close();
      await stores.close();
    }
  });
});
