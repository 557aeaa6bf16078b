import { after, describe } from 'node:test';
import { openTestStores, type TestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { analyticsStoreContract } from './analytics-store.contract.js';

describe('PgAnalyticsStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  // The AnalyticsStore port has no close(): the schemas are dropped once the suite is done.
  const opened: TestStores[] = [];
  after(async () => {
    for (const stores of opened) await stores.close();
  });
  analyticsStoreContract('PgAnalyticsStore', async () => {
    const stores = await openTestStores();
    opened.push(stores);
    return stores.analytics;
  });
});
