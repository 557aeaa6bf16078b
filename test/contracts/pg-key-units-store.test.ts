import { describe } from 'node:test';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { keyUnitsStoreContract } from './key-units-store.contract.js';

describe('PgKeyUnitsStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  keyUnitsStoreContract('PgKeyUnitsStore', async () => {
    const stores = await openTestStores();
    return closingStores(stores.keyUnits, stores);
  });
});
