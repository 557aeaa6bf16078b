import { describe } from 'node:test';
import { DuckDbDeviceProfileStore } from '../../src/adapters/embedded/duckdb-device-profile-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { deviceProfileStoreContract } from './device-profile-store.contract.js';

describe('DuckDbDeviceProfileStore (embedded)', () => {
  deviceProfileStoreContract('DuckDbDeviceProfileStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbDeviceProfileStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
