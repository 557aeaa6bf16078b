import { describe } from 'node:test';
import { PgProvisioningStore } from '../../src/adapters/distributed/pg-provisioning-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { provisioningStoreContract } from './provisioning-store.contract.js';

describe('PgProvisioningStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  provisioningStoreContract('PgProvisioningStore', async () => {
    const stores = await openTestStores();
    const store = new PgProvisioningStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });
});
