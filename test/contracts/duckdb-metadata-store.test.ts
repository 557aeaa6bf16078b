import { describe } from 'node:test';
import { DuckDbMetadataStore } from '../../src/adapters/embedded/duckdb-metadata-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { metadataStoreContract } from './metadata-store.contract.js';

describe('DuckDbMetadataStore (embedded)', () => {
  metadataStoreContract('DuckDbMetadataStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbMetadataStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
