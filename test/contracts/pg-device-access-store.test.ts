import { describe } from 'node:test';
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
});
