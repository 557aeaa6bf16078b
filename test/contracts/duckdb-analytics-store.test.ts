import { describe } from 'node:test';
import { join } from 'node:path';
import { DuckDbDatabase } from '../../src/adapters/embedded/duckdb-database.js';
import { DuckDbAnalyticsStore } from '../../src/adapters/embedded/duckdb-analytics-store.js';
import { tempDir } from '../helpers/harness.js';
import { analyticsStoreContract } from './analytics-store.contract.js';

describe('DuckDbAnalyticsStore (embedded)', () => {
  analyticsStoreContract('DuckDbAnalyticsStore', async () => {
    const db = await DuckDbDatabase.open(join(await tempDir('vigil-duck-'), 'analytics.duckdb'));
    const store = new DuckDbAnalyticsStore(db);
    await store.init();
    return store;
  });
});
