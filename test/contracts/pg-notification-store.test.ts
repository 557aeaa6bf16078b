import { describe } from 'node:test';
import { PgNotificationStore } from '../../src/adapters/distributed/pg-notification-store.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { notificationStoreContract, sharedNotificationStoreContract } from './notification-store.contract.js';

describe('PgNotificationStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  notificationStoreContract('PgNotificationStore', async () => {
    const stores = await openTestStores();
    const store = new PgNotificationStore(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });

  // Each node is a store of its own (its own node id and liveness lock) on one shared schema.
  sharedNotificationStoreContract('PgNotificationStore', async () => {
    const stores = await openTestStores({ poolSize: 10 });
    return {
      node: async () => {
        const store = new PgNotificationStore(stores.pool);
        await store.init();
        return store;
      },
      close: () => stores.close(),
    };
  });
});
