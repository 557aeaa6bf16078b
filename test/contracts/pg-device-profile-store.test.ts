import { describe } from 'node:test';
import { PgDeviceProfileStore } from '../../src/adapters/distributed/pg-device-profile-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { deviceProfileStoreContract } from './device-profile-store.contract.js';

describe('PgDeviceProfileStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  deviceProfileStoreContract('PgDeviceProfileStore', async () => {
    const stores = await openTestStores();
    const store = new PgDeviceProfileStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });
});
