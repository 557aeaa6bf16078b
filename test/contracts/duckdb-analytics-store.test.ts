import { describe } from 'node:test';
import { DuckDbAnalyticsStore } from '../../src/adapters/embedded/duckdb-analytics-store.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { analyticsStoreContract } from './analytics-store.contract.js';

describe('DuckDbAnalyticsStore (embedded)', () => {
  analyticsStoreContract('DuckDbAnalyticsStore', async () => {
    const store = new DuckDbAnalyticsStore(await openTempDuckDb());
    await store.init();
    return store;
  });
});
