import { describe } from 'node:test';
import { PgOtaPackageStore } from '../../src/adapters/distributed/pg-ota-package-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { otaPackageStoreContract } from './ota-package-store.contract.js';

describe('PgOtaPackageStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  otaPackageStoreContract('PgOtaPackageStore', async () => {
    const stores = await openTestStores();
    const store = new PgOtaPackageStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });
  // Pieces far smaller than the test packages, so chunk reads cross piece boundaries.
  otaPackageStoreContract('PgOtaPackageStore (5000-byte pieces)', async () => {
    const stores = await openTestStores();
    const store = new PgOtaPackageStore(stores.pool, 5_000);
    await store.init();
    return closingStores(store, stores);
  });
});
