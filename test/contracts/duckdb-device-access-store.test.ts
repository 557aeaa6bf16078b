import { describe } from 'node:test';
import { DuckDbDeviceAccessStore } from '../../src/adapters/embedded/duckdb-device-access-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { deviceAccessStoreContract } from './device-access-store.contract.js';

describe('DuckDbDeviceAccessStore (embedded)', () => {
  deviceAccessStoreContract('DuckDbDeviceAccessStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbDeviceAccessStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
