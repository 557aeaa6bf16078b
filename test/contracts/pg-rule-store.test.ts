import { describe } from 'node:test';
import { PgRuleStore } from '../../src/adapters/distributed/pg-rule-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { ruleStoreContract } from './rule-store.contract.js';

describe('PgRuleStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  ruleStoreContract('PgRuleStore', async () => {
    const stores = await openTestStores();
    const store = new PgRuleStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });
});
