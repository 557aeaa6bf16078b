import { describe } from 'node:test';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { metadataStoreContract } from './metadata-store.contract.js';

describe('PgMetadataStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  metadataStoreContract('PgMetadataStore', async () => {
    const stores = await openTestStores();
    return closingStores(stores.metadata, stores);
  });
});
