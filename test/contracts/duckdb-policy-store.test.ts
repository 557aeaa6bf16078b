import { describe } from 'node:test';
import { DuckDbPolicyStore } from '../../src/adapters/embedded/duckdb-policy-store.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { policyStoreContract } from './policy-store.contract.js';

describe('DuckDbPolicyStore (embedded)', () => {
  policyStoreContract('DuckDbPolicyStore', async () => {
    const store = new DuckDbPolicyStore(await openTempDuckDb());
    await store.init();
    return store;
  });
});
