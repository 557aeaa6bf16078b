import { describe } from 'node:test';
import { DuckDbProvisioningStore } from '../../src/adapters/embedded/duckdb-provisioning-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { provisioningStoreContract } from './provisioning-store.contract.js';

describe('DuckDbProvisioningStore (embedded)', () => {
  provisioningStoreContract('DuckDbProvisioningStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbProvisioningStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
