import { describe } from 'node:test';
import { openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { dashboardStoreContract } from './dashboard-store.contract.js';

describe('PgDashboardStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  dashboardStoreContract('PgDashboardStore', async () => {
    const stores = await openTestStores();
    return { store: stores.dashboards, close: () => stores.close() };
  });
});
