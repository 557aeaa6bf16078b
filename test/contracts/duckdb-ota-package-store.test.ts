import { describe } from 'node:test';
import { DuckDbOtaPackageStore } from '../../src/adapters/embedded/duckdb-ota-package-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { otaPackageStoreContract } from './ota-package-store.contract.js';

describe('DuckDbOtaPackageStore (embedded)', () => {
  otaPackageStoreContract('DuckDbOtaPackageStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbOtaPackageStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
