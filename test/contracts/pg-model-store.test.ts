import { after, describe } from 'node:test';
import { openTestStores, type TestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { modelStoreContract } from './model-store.contract.js';

describe('PgModelStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  // The ModelStore port has no close(): the schemas are dropped once the suite is done.
  const opened: TestStores[] = [];
  after(async () => {
    for (const stores of opened) await stores.close();
  });
  modelStoreContract('PgModelStore', async () => {
    const stores = await openTestStores();
    opened.push(stores);
    return stores.models;
  });
});
