import { describe } from 'node:test';
import { join } from 'node:path';
import { DuckDbDatabase } from '../../src/adapters/embedded/duckdb-database.js';
import { DuckDbMetadataStore } from '../../src/adapters/embedded/duckdb-metadata-store.js';
import { tempDir } from '../helpers/harness.js';
import { metadataStoreContract } from './metadata-store.contract.js';

describe('DuckDbMetadataStore (embedded)', () => {
  metadataStoreContract('DuckDbMetadataStore', async () => {
    const db = await DuckDbDatabase.open(join(await tempDir('vigil-duck-'), 'meta.duckdb'));
    const store = new DuckDbMetadataStore(db);
    await store.init();
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      db.close();
    };
    return store;
  });
});
