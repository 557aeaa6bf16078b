import { describe } from 'node:test';
import { DuckDbModelStore } from '../../src/adapters/embedded/duckdb-model-store.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { modelStoreContract } from './model-store.contract.js';

describe('DuckDbModelStore (embedded)', () => {
  modelStoreContract('DuckDbModelStore', async () => {
    const store = new DuckDbModelStore(await openTempDuckDb());
    await store.init();
    return store;
  });
});
