import { describe } from 'node:test';
import { DuckDbDashboardStore } from '../../src/adapters/embedded/duckdb-dashboard-store.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { dashboardStoreContract } from './dashboard-store.contract.js';

describe('DuckDbDashboardStore (embedded)', () => {
  dashboardStoreContract('DuckDbDashboardStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbDashboardStore(db);
    await store.init();
    return { store, close: async () => db.close() };
  });
});
