import { describe } from 'node:test';
import { DuckDbKeyUnitsStore } from '../../src/adapters/embedded/duckdb-key-units-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { keyUnitsStoreContract } from './key-units-store.contract.js';

describe('DuckDbKeyUnitsStore (embedded)', () => {
  keyUnitsStoreContract('DuckDbKeyUnitsStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbKeyUnitsStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
