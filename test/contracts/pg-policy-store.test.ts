import { after, describe } from 'node:test';
import { openTestStores, type TestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { policyStoreContract } from './policy-store.contract.js';

describe('PgPolicyStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  // The PolicyStore port has no close(): the schemas are dropped once the suite is done.
  const opened: TestStores[] = [];
  after(async () => {
    for (const stores of opened) await stores.close();
  });
  policyStoreContract('PgPolicyStore', async () => {
    const stores = await openTestStores();
    opened.push(stores);
    return stores.policies;
  });
});
