import { describe } from 'node:test';
import { DuckDbDeviceStateStore } from '../../src/adapters/embedded/duckdb-device-state-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { deviceStateStoreContract } from './device-state-store.contract.js';

describe('DuckDbDeviceStateStore (embedded)', () => {
  deviceStateStoreContract('DuckDbDeviceStateStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbDeviceStateStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
