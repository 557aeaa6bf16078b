import { describe } from 'node:test';
import { DuckDbNotificationStore } from '../../src/adapters/embedded/duckdb-notification-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { notificationStoreContract } from './notification-store.contract.js';

describe('DuckDbNotificationStore (embedded)', () => {
  notificationStoreContract('DuckDbNotificationStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbNotificationStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
